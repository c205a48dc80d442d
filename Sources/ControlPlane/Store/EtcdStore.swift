import EtcdAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Metrics
import NIOCore

/// The `Store` on an etcd v3 cluster, over its gRPC API: etcd's revision is the store's revision (an object's
/// `resourceVersion` is its key's `mod_revision`), creates and compare-and-swaps are `Txn`s on `create_revision`
/// and `mod_revision`, lists are `Range`s at a revision, watches are `Watch` streams with `prev_kv`, and a key with a
/// time to live is put with a lease that writes share (see `EtcdStore+Leases.swift`).
///
/// One HTTP/2 connection serves every call; it goes to the first member of `endpoints` that accepts it and moves to
/// another when that member dies (in-flight reads and watches are retried there, see `perform`).
///
/// ```swift
/// let store = try await EtcdStore.connect(endpoints: [.init(host: "127.0.0.1", port: 2379)], logger: logger)
/// ```
public actor EtcdStore: ManagedStore {
    /// One etcd member's client address.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public var description: String { "\(host):\(port)" }
    }

    typealias Transport = HTTP2ClientTransport.Posix

    public nonisolated let endpoints: [Endpoint]
    let grpc: GRPCClient<Transport>
    let kv: Etcdserverpb_KV.Client<Transport>
    let watchClient: Etcdserverpb_Watch.Client<Transport>
    let maintenance: Etcdserverpb_Maintenance.Client<Transport>
    let leaseClient: Etcdserverpb_Lease.Client<Transport>
    let logger: Logger
    private let retention: StoreRetention
    private let connections: Task<Void, Never>
    private var compactor: Task<Void, Never>?
    /// (time, revision) samples the compactor takes, so it can compact to the revision of `minimumAge` ago.
    private var revisionSamples: [(time: ContinuousClock.Instant, revision: Int64)] = []
    /// Calls retried because the cluster was unavailable (a member died, the connection dropped), for tests and logs.
    public private(set) var retriedCalls = 0
    var watches: [Int: OpenWatch] = [:]
    var nextWatchID = 0
    var closed = false
    /// The lease writes with a time to live are attached to while it lasts (see `lease(seconds:)`).
    var sharedLease: SharedLease?
    /// The LeaseGrant in flight, which concurrent writes wait for instead of each granting one.
    var leaseGrant: Task<SharedLease, any Error>?
    /// Keys attached to each lease, recorded when writes stop sharing it (upstream's histogram).
    let leaseObjectCounts = Recorder(label: "etcd_lease_object_counts", aggregate: true)

    /// A watch being fed from an etcd Watch stream.
    struct OpenWatch {
        var feed: Task<Void, Never>
        var sink: WatchSink
    }

    /// How long one call may take before it fails (and, for a retried call, how long retries go on).
    static let callTimeout: Duration = .seconds(10)

    /// Connects to the cluster and checks a member answers within `timeout`; fails with `StoreError.backend` naming the
    /// endpoints and the last error otherwise.
    public static func connect(endpoints: [Endpoint], retention: StoreRetention = StoreRetention(), timeout: Duration = .seconds(10),
                               logger: Logger) async throws -> EtcdStore {
        let store = try EtcdStore(endpoints: endpoints, retention: retention, logger: logger)
        do {
            try await store.waitUntilServing(timeout: timeout)
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// Sets up the connection; calls wait for it. `connect` also checks a member answers.
    public init(endpoints: [Endpoint], retention: StoreRetention = StoreRetention(), logger: Logger) throws {
        guard !endpoints.isEmpty else { throw StoreError.backend("etcd: no endpoints given") }
        self.endpoints = endpoints
        self.retention = retention
        self.logger = logger
        let transport = try Transport(
            target: EtcdMembers(endpoints: endpoints), transportSecurity: .plaintext,
            config: .defaults { config in
                config.backoff = .init(initial: .milliseconds(100), max: .seconds(2), multiplier: 1.6, jitter: 0.2)
                // grpc-go closes idle connections it did not ask for pings on; keepalive finds a dead member quickly.
                config.connection.keepalive = .init(time: .seconds(10), timeout: .seconds(5), allowWithoutCalls: true)
                config.connection.maxIdleTime = nil
                config.channelDebuggingCallbacks.onCreateTCPConnection = { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP2PingResponder(), position: .first)
                    }
                }
            }, resolverRegistry: EtcdMembers.resolvers)
        let grpc = GRPCClient(transport: transport)
        self.grpc = grpc
        kv = Etcdserverpb_KV.Client(wrapping: grpc)
        watchClient = Etcdserverpb_Watch.Client(wrapping: grpc)
        maintenance = Etcdserverpb_Maintenance.Client(wrapping: grpc)
        leaseClient = Etcdserverpb_Lease.Client(wrapping: grpc)
        connections = Task {
            do { try await grpc.runConnections() } catch {
                logger.error("etcd client stopped", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The endpoints as given on the command line, for messages.
    nonisolated var endpointList: String { endpoints.map(\.description).joined(separator: ",") }

    /// Asks members for their status until one answers, for at most `timeout`.
    func waitUntilServing(timeout: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var lastError: any Error = StoreError.backend("no answer")
        var options = Self.options(timeout: .seconds(2))
        options.waitForReady = false
        while clock.now < deadline {
            do {
                let status = try await maintenance.status(Etcdserverpb_StatusRequest(), options: options)
                if status.leader != 0 {
                    logger.info("connected to etcd", metadata: ["endpoints": "\(endpointList)", "version": "\(status.version)"])
                    return
                }
                lastError = StoreError.backend("the member has no leader")
            } catch {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw StoreError.backend("etcd at \(endpointList) is unreachable after \(timeout): \(Self.describe(lastError))")
    }

    // MARK: Reads

    public func get(key: String) async throws -> KeyValue? {
        var request = Etcdserverpb_RangeRequest()
        request.key = Data(key.utf8)
        let response = try await perform("get", key: key, idempotent: true) { [kv, request] in
            try await kv.range(request, options: Self.options())
        }.value
        return response.kvs.first.map(KeyValue.init)
    }

    public func currentRevision() async throws -> Int64 {
        var request = Etcdserverpb_RangeRequest()
        request.key = Data([0])
        request.countOnly = true
        return try await perform("read the revision", key: "", idempotent: true) { [kv, request] in
            try await kv.range(request, options: Self.options())
        }.value.header.revision
    }

    public func count(prefix: String) async throws -> Int {
        var request = Etcdserverpb_RangeRequest()
        request.key = Data(prefix.utf8)
        request.rangeEnd = Self.rangeEnd(prefix)
        request.countOnly = true
        return Int(try await perform("count", key: prefix, idempotent: true) { [kv, request] in
            try await kv.range(request, options: Self.options())
        }.value.count)
    }

    public func list(prefix: String, startAfter: String?, limit: Int, revision: Int64?, counting: Bool) async throws -> ListResult {
        var request = Etcdserverpb_RangeRequest()
        let from = startAfter.map { Data($0.utf8) + [0] } ?? Data()
        let start = Data(prefix.utf8)
        request.key = start.lexicographicallyPrecedes(from) ? from : start
        request.rangeEnd = Self.rangeEnd(prefix)
        request.limit = Int64(max(limit, 0))
        request.revision = revision ?? 0
        let response = try await read(at: revision ?? 0, prefix: prefix) { [kv, request] in
            try await kv.range(request, options: Self.options())
        }
        return ListResult(items: response.kvs.map(KeyValue.init), revision: revision ?? response.header.revision, hasMore: response.more,
                          count: counting ? Int(response.count) : nil)
    }

    /// A read at `revision` (0 = now), with etcd's "compacted" and "future revision" answers as `StoreError`s.
    func read(at revision: Int64, prefix: String,
              _ body: @escaping @Sendable () async throws -> Etcdserverpb_RangeResponse) async throws -> Etcdserverpb_RangeResponse {
        do {
            return try await perform("list", key: prefix, idempotent: true, body).value
        } catch let error as RPCError {
            if error.message.contains("required revision has been compacted") {
                throw StoreError.compacted(requested: revision, compactedRevision: try await compactedRevision(prefix: prefix))
            }
            if error.message.contains("required revision is a future revision") {
                throw StoreError.futureRevision(requested: revision, current: try await currentRevision())
            }
            throw StoreError.backend(Self.context("list", key: prefix, endpoints: endpointList, error))
        }
    }

    // MARK: Writes

    public func create(key: String, value: Data, ttl: Duration?) async throws -> Int64 {
        var absent = Etcdserverpb_Compare()
        absent.key = Data(key.utf8)
        absent.target = .create
        absent.result = .equal
        absent.createRevision = 0
        return try await withLease(ttl) { lease in
            let (response, retried) = try await transaction("create", key: key, if: absent, then: Self.put(key, value, lease: lease),
                                                            else: Self.range(key))
            if response.succeeded { return response.header.revision }
            let current = Self.rangeResult(response)
            // A retried create may have been applied the first time: the stored value is then ours.
            if retried, let current, current.value == value { return current.modRevision }
            throw StoreError.keyExists(key: key)
        }
    }

    public func update(key: String, value: Data, expectedRevision: Int64?, ttl: Duration?) async throws -> Int64 {
        try await withLease(ttl) { lease in
            let (response, retried) = try await transaction("update", key: key, if: Self.compare(key, expectedRevision),
                                                            then: Self.put(key, value, lease: lease), else: Self.range(key))
            if response.succeeded { return response.header.revision }
            guard let current = Self.rangeResult(response) else { throw StoreError.keyNotFound(key: key) }
            // A retried compare-and-swap may have been applied the first time: the stored value is then ours.
            if retried, current.value == value { return current.modRevision }
            throw StoreError.conflict(key: key, expected: expectedRevision ?? 0, current: current)
        }
    }

    public func delete(key: String, expectedRevision: Int64?) async throws -> KeyValue {
        var delete = Etcdserverpb_RequestOp()
        delete.requestDeleteRange.key = Data(key.utf8)
        delete.requestDeleteRange.prevKv = true
        // A retried delete that was applied the first time answers keyNotFound: the deleted value is gone with it.
        let (response, _) = try await transaction("delete", key: key, if: Self.compare(key, expectedRevision),
                                                  then: delete, else: Self.range(key))
        if response.succeeded {
            guard case .responseDeleteRange(let deleted)? = response.responses.first?.response, let previous = deleted.prevKvs.first else {
                throw StoreError.backend("etcd \(endpointList): delete \(key): the answer carries no previous value")
            }
            return KeyValue(key: key, value: previous.value, createRevision: previous.createRevision, modRevision: response.header.revision)
        }
        guard let current = Self.rangeResult(response) else { throw StoreError.keyNotFound(key: key) }
        throw StoreError.conflict(key: key, expected: expectedRevision ?? 0, current: current)
    }

    /// One `Txn`: `then` if `condition` holds, else `otherwise`; `retried` says an earlier attempt's fate is unknown.
    private func transaction(_ operation: String, key: String, if condition: Etcdserverpb_Compare, then: Etcdserverpb_RequestOp,
                             else otherwise: Etcdserverpb_RequestOp) async throws -> (Etcdserverpb_TxnResponse, retried: Bool) {
        var request = Etcdserverpb_TxnRequest()
        request.compare = [condition]
        request.success = [then]
        request.failure = [otherwise]
        return try await perform(operation, key: key, idempotent: false) { [kv, request] in
            try await kv.txn(request, options: Self.options())
        }
    }

    /// The condition of a write: the key's `mod_revision` is `expected`, or (nil) the key exists.
    private static func compare(_ key: String, _ expected: Int64?) -> Etcdserverpb_Compare {
        var compare = Etcdserverpb_Compare()
        compare.key = Data(key.utf8)
        if let expected {
            compare.target = .mod
            compare.result = .equal
            compare.modRevision = expected
        } else {
            compare.target = .create
            compare.result = .greater
            compare.createRevision = 0
        }
        return compare
    }

    /// A put attached to `lease` (0: none, so a key that had a lease loses it and stays for good).
    private static func put(_ key: String, _ value: Data, lease: Int64) -> Etcdserverpb_RequestOp {
        var op = Etcdserverpb_RequestOp()
        op.requestPut.key = Data(key.utf8)
        op.requestPut.value = value
        op.requestPut.lease = lease
        return op
    }

    private static func range(_ key: String) -> Etcdserverpb_RequestOp {
        var op = Etcdserverpb_RequestOp()
        op.requestRange.key = Data(key.utf8)
        return op
    }

    private static func rangeResult(_ response: Etcdserverpb_TxnResponse) -> KeyValue? {
        guard case .responseRange(let range)? = response.responses.first?.response else { return nil }
        return range.kvs.first.map(KeyValue.init)
    }

    // MARK: Compaction

    public func compact(revision target: Int64) async throws {
        let bounded = min(target, try await currentRevision())
        guard bounded > 1 else { return }
        var request = Etcdserverpb_CompactionRequest()
        request.revision = bounded
        do {
            _ = try await perform("compact", key: "\(bounded)", idempotent: true) { [kv, request] in
                try await kv.compact(request, options: Self.options())
            }
            logger.debug("compacted", metadata: ["revision": "\(bounded)"])
        } catch let error as RPCError {
            // Another server (or an earlier call) compacted this far already.
            guard error.message.contains("required revision has been compacted") else {
                throw StoreError.backend(Self.context("compact", key: "\(bounded)", endpoints: endpointList, error))
            }
        }
    }

    /// Starts compacting every `retention.interval` to the newest revision that is both `minimumRevisions` behind the
    /// current one and at least `minimumAge` old (as kube-apiserver's compactor does, every server may run one).
    public func startCompactor() {
        guard compactor == nil else { return }
        let interval = retention.interval
        compactor = Task { [weak self] in
            while !Task.isCancelled {
                // Cancelled (the store is closing): stop before another round, which would use a closed client.
                guard (try? await Task.sleep(for: interval)) != nil, let self else { return }
                do { try await self.compactExpiredHistory() } catch {
                    self.logger.warning("compaction failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// One compactor round: samples the revision and compacts to what `retention` allows.
    public func compactExpiredHistory() async throws {
        let now = ContinuousClock.now
        let current = try await currentRevision()
        revisionSamples.append((now, current))
        let old = revisionSamples.filter { now - $0.time >= retention.minimumAge }
        guard let byAge = old.last?.revision else { return }
        revisionSamples.removeAll { now - $0.time > retention.minimumAge }
        let target = min(byAge, current - retention.minimumRevisions)
        if target > 1 { try await compact(revision: target) }
    }

    // MARK: Lifecycle

    public func close() async {
        closed = true
        // A round in flight finishes before the client goes away.
        let compactor = self.compactor
        self.compactor = nil
        compactor?.cancel()
        await compactor?.value
        leaseGrant?.cancel()
        leaseGrant = nil
        for watch in watches.values {
            watch.feed.cancel()
            watch.sink.finish()
        }
        watches.removeAll()
        grpc.beginGracefulShutdown()
        connections.cancel()
    }

    // MARK: Calls

    /// Call options with a deadline and room for large lists.
    static func options(timeout: Duration = callTimeout) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = timeout
        // While the connection moves to another member, calls wait for it instead of failing.
        options.waitForReady = true
        options.maxRequestMessageBytes = 512 << 20
        options.maxResponseMessageBytes = 512 << 20
        return options
    }

    /// Runs a call, retrying while the cluster is unavailable (a member died, a leader election runs) for up to
    /// `callTimeout`. A write that failed in flight may have been applied, so it is retried as well but reported as
    /// `retried` for the caller to reconcile; its other failures surface at once. Failures become `StoreError.backend`
    /// with the operation, key and endpoints, except `RPCError`s of reads, which `read(at:)` maps first.
    func perform<R: Sendable>(_ operation: String, key: String, idempotent: Bool,
                              _ body: @escaping @Sendable () async throws -> R) async throws -> (value: R, retried: Bool) {
        let clock = ContinuousClock()
        let deadline = clock.now + Self.callTimeout
        var attempt = 0
        while true {
            do {
                return (try await body(), attempt > 0)
            } catch let error as RPCError {
                let transient = error.code == .unavailable || (idempotent && error.code == .deadlineExceeded)
                    || error.message.contains("leader changed") || error.message.contains("no leader")
                if !transient || clock.now >= deadline || closed {
                    if error.code == .outOfRange { throw error }
                    throw StoreError.backend(Self.context(operation, key: key, endpoints: endpointList, error))
                }
                attempt += 1
                retriedCalls += 1
                logger.debug("retrying etcd call", metadata: ["operation": "\(operation)", "key": "\(key)", "error": "\(Self.describe(error))"])
                try await Task.sleep(for: .milliseconds(min(50 * (1 << min(attempt, 5)), 1000)))
            } catch {
                throw StoreError.backend(Self.context(operation, key: key, endpoints: endpointList, error))
            }
        }
    }

    static func context(_ operation: String, key: String, endpoints: String, _ error: any Error) -> String {
        "etcd \(endpoints): \(operation) \(key): \(describe(error))"
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? RPCError { return "\(error.code): \(error.message)" }
        return "\(error)"
    }

    /// etcd's range end for every key starting with `prefix`: the prefix with its last byte below 0xff incremented.
    static func rangeEnd(_ prefix: String) -> Data {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xff {
                bytes[bytes.count - 1] = last + 1
                return Data(bytes)
            }
            bytes.removeLast()
        }
        return Data([0])
    }
}

extension KeyValue {
    init(_ kv: Mvccpb_KeyValue) {
        self.init(key: String(decoding: kv.key, as: UTF8.self), value: kv.value, createRevision: kv.createRevision, modRevision: kv.modRevision)
    }
}

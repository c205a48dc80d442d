import EtcdAPI
import Foundation
import Logging
import Metrics

/// Keys with a time to live: put with an etcd lease, which etcd revokes when it runs out, deleting its keys at a new
/// revision that watches see. Writes share leases as kube-apiserver's lease manager has them share: a lease is reused
/// while its expiry falls within a window (5 % of the ttl, at most 60 s) after the write's own and it holds fewer
/// than `leaseMaxObjects` keys, and is granted for the ttl plus that window. Concurrent writes wait for the one
/// LeaseGrant in flight instead of each granting one. etcd counts whole seconds: a sub-second ttl becomes 1 s.
extension EtcdStore {
    /// The lease writes with a time to live currently share.
    struct SharedLease: Sendable {
        var id: Int64
        var expires: ContinuousClock.Instant
        var keys: Int
    }

    /// Keys attached to one lease at most (upstream's `--lease-max-object-size` default).
    static let leaseMaxObjects = 1000
    /// The reuse window: this share of the ttl…
    static let leaseReuseShare = 0.05
    /// …and at most this long (upstream's `--lease-reuse-duration-seconds` default).
    static let leaseReuseMaximumSeconds: Int64 = 60

    /// Runs `write` with the lease `ttl` asks for (0: none). A lease that went away in between (revoked, or expired
    /// while the write waited) fails the write with "requested lease not found": it is retried once with a new lease.
    func withLease<R>(_ ttl: Duration?, _ write: (Int64) async throws -> R) async throws -> R {
        guard let ttl else { return try await write(0) }
        let seconds = Self.leaseSeconds(ttl)
        let lease = try await lease(seconds: seconds)
        do {
            return try await write(lease)
        } catch let error where "\(error)".contains("requested lease not found") {
            logger.debug("lease gone, writing with a new one", metadata: ["lease": "\(lease)"])
            if sharedLease?.id == lease { sharedLease = nil }
            return try await write(try await self.lease(seconds: seconds))
        }
    }

    /// A lease for a key that should live `seconds`: the shared one if it fits, else a new one.
    func lease(seconds: Int64) async throws -> Int64 {
        let window = Self.reuseWindow(seconds)
        while true {
            let now = ContinuousClock.now
            if let shared = sharedLease, now + .seconds(seconds) < shared.expires, now + .seconds(seconds + window) > shared.expires,
               shared.keys < Self.leaseMaxObjects {
                sharedLease?.keys += 1
                return shared.id
            }
            if let grant = leaseGrant {
                // Someone else's grant: it may fit this write too.
                _ = try await grant.value
                continue
            }
            let grant = Task { try await self.grantSharedLease(seconds: seconds, window: window) }
            leaseGrant = grant
            return try await grant.value.id
        }
    }

    /// Grants a lease of `seconds + window` and makes it the shared one, holding the granting write's key.
    private func grantSharedLease(seconds: Int64, window: Int64) async throws -> SharedLease {
        defer { leaseGrant = nil }
        let start = ContinuousClock.now
        var request = Etcdserverpb_LeaseGrantRequest()
        request.ttl = seconds + window
        let response = try await perform("grant a lease", key: "\(request.ttl)s", idempotent: true) { [leaseClient, request] in
            try await leaseClient.leaseGrant(request, options: Self.options())
        }.value
        if !response.error.isEmpty {
            throw StoreError.backend("etcd \(endpointList): grant a lease of \(request.ttl)s: \(response.error)")
        }
        if let previous = sharedLease { leaseObjectCounts.record(previous.keys) }
        let granted = SharedLease(id: response.id, expires: start + .seconds(response.ttl), keys: 1)
        sharedLease = granted
        return granted
    }

    /// etcd's whole seconds for `ttl`, rounded up, at least 1.
    static func leaseSeconds(_ ttl: Duration) -> Int64 {
        let (seconds, attoseconds) = ttl.components
        return max(1, seconds + (attoseconds > 0 ? 1 : 0))
    }

    /// How much longer than asked a shared lease may live: 5 % of the ttl, at most 60 s (whole seconds, as upstream).
    static func reuseWindow(_ seconds: Int64) -> Int64 {
        min(leaseReuseMaximumSeconds, Int64(leaseReuseShare * Double(seconds)))
    }

    // MARK: Expirations

    public func expirations(prefix: String) async throws -> [String: Duration] {
        var request = Etcdserverpb_RangeRequest()
        request.key = Data(prefix.utf8)
        request.rangeEnd = Self.rangeEnd(prefix)
        request.keysOnly = true
        let response = try await read(at: 0, prefix: prefix) { [kv, request] in try await kv.range(request, options: Self.options()) }
        var left: [Int64: Duration] = [:]
        var result: [String: Duration] = [:]
        for item in response.kvs where item.lease != 0 {
            if left[item.lease] == nil { left[item.lease] = try await timeToLive(lease: item.lease) }
            result[String(decoding: item.key, as: UTF8.self)] = left[item.lease]
        }
        return result
    }

    /// The time `lease` has left (zero once it has run out).
    private func timeToLive(lease: Int64) async throws -> Duration {
        var request = Etcdserverpb_LeaseTimeToLiveRequest()
        request.id = lease
        do {
            let response = try await perform("read a lease's time to live", key: "\(lease)", idempotent: true) { [leaseClient, request] in
                try await leaseClient.leaseTimeToLive(request, options: Self.options())
            }.value
            return .seconds(max(response.ttl, 0))
        } catch let error where "\(error)".contains("requested lease not found") {
            return .zero
        }
    }
}

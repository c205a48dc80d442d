import CRI
import RemoteCommand
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import KubeAPI
import LinuxSystem
import Logging
import ServiceLifecycle

/// The kubelet's HTTP server (port 10250): `/containerLogs/{namespace}/{pod}/{container}` with `follow`,
/// `previous`, `timestamps`, `tailLines`, `sinceSeconds`/`sinceTime` and `limitBytes`, read from the CRI log files
/// the runtime writes, which the API server's `pods/log` proxies to (`kubectl logs [-f] [--previous] [--tail N]
/// [--timestamps] [--since D | --since-time T] [--limit-bytes N]`), and
/// `/exec/{namespace}/{pod}/{container}` for `pods/exec` (`kubectl exec`, see `KubeletServer+Exec`). HTTPS when the
/// API server is HTTPS (`KubeletServing`), every request authenticated and authorized by `KubeletAuth` (client
/// certificates from the cluster CA, bearer tokens by TokenReview, SubjectAccessReviews); `/healthz`, `/pods`,
/// `/runningpods/`, `/configz`, `/stats/summary`, `/metrics`, `/metrics/resource`, `/metrics/cadvisor`, `/metrics/probes` and
/// `/logs/` too (see `KubeletServer+Node`), which the API server's
/// `nodes/{name}/proxy` reaches.
struct KubeletServer: ServiceLifecycle.Service {
    let address: String
    let port: Int
    let podLogDirectory: String
    let workers: PodWorkers
    /// HTTPS with client certificates from the cluster CA (see `KubeletServing`); nil: plain HTTP.
    var tls: TLSConfiguration? = nil
    /// Who may call (with TLS); nil: everyone (plain HTTP, an API server without authentication).
    var auth: KubeletAuth? = nil
    /// The CRI runtime, asked whether a followed container still runs; nil: a follow ends only with the client.
    var runtime: RuntimeConnection? = nil
    /// `/stats/summary`; nil: not served.
    var summary: StatsSummaryProvider? = nil
    /// `/metrics/cadvisor`; nil: not served.
    var cadvisor: CadvisorMetrics? = nil
    /// `/configz`'s document; nil: not served.
    var configz: (@Sendable () -> [String: Any])? = nil
    /// The process's metrics in the Prometheus text format for `/metrics`; nil: not served.
    var metrics: (@Sendable () -> String)? = nil
    /// What `/logs/` serves (upstream's system log handler: the node's `/var/log`).
    var systemLogDirectory = "/var/log"
    let logger: Logger

    func run() async throws {
        let router = Router(context: PeerRequestContext.self)
        let workers = workers, directory = podLogDirectory, auth = auth, runtime = runtime
        if let auth { router.add(middleware: KubeletAuthMiddleware(auth: auth)) }
        router.get("/healthz") { _, _ in "ok" }
        Self.addNodeRoutes(to: router, workers: workers, summary: summary, cadvisor: cadvisor, runtime: runtime, configz: configz,
                           metrics: metrics, logDirectory: systemLogDirectory)
        router.get("/containerLogs/:namespace/:pod/:container") { request, context -> Response in
            let namespace = try context.parameters.require("namespace"), name = try context.parameters.require("pod")
            let container = try context.parameters.require("container")
            let options = PodLogOptions(query: FormQuery(encoded: request.uri.query ?? ""))
            guard let pod = await workers.pod(namespace: namespace, name: name), let uid = pod.metadata.uid else {
                return Self.text("pod \"\(name)\" not found in namespace \"\(namespace)\" on this node", status: .notFound)
            }
            let files = ContainerLogFiles(directory: "\(directory)/\(namespace)_\(name)_\(uid)/\(container)")
            guard let file = files.current(previous: options.previous) else {
                return Self.text(options.previous
                    ? "previous terminated container \"\(container)\" in pod \"\(name)\" not found"
                    : Self.waitingMessage(pod, container: container), status: .badRequest)
            }
            let reader = CRILogReader(path: file, timestamps: options.timestamps, tailLines: options.tailLines, since: options.since(),
                                      limitBytes: options.limitBytes)
            if options.follow, !options.previous {
                let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
                let attempt = UInt32(URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent)
                let task = Task {
                    await reader.follow(isRunning: {
                        guard let runtime, let attempt else { return true }
                        return await Self.isRunning(runtime, podUID: uid, container: container, attempt: attempt)
                    }) { continuation.yield(ByteBuffer(string: $0)) }
                    continuation.finish()
                }
                continuation.onTermination = { _ in task.cancel() }
                return Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(asyncSequence: stream))
            }
            return Self.text(reader.readAll(), status: .ok)
        }
        let webSockets = Router(context: PeerStreamRequestContext.self)
        Self.addExecRoute(to: webSockets, workers: workers, auth: auth, logger: logger)
        Self.addPortForwardRoute(to: webSockets, workers: workers, auth: auth, logger: logger)
        let logger = logger
        let http: HTTPServerBuilder = .streaming(webSocketRouter: webSockets) { head in
            // A connection's first upgrade (WebSocket or SPDY) is checked here, so a refusal gets upstream's answer
            // instead of the WebSocket stack's empty 400; later upgrades on a kept-alive connection in the routes.
            if let auth, head.upgrades(to: "SPDY/3.1") || head.upgrades(to: "websocket"), let refusal = await auth.refusal(head) { return refusal }
            return await Self.spdyUpgrade(head, workers: workers, logger: logger)
        }
        let app = HTTPServerService(router: router, server: try tls.map { try .tls(http, tlsConfiguration: $0) } ?? http,
                                    address: .hostname(address, port: port), logger: logger)
        // `run()`, not `runService()`: the latter traps SIGTERM/SIGINT itself, and a signal it caught ended this server
        // on its own — the enclosing service group then failed ("finished unexpectedly") instead of shutting down in
        // order (the agent skipped removing its pods). The group this runs in shuts it down.
        try await app.run()
    }

    /// Whether attempt `attempt` of the pod's container runs (true when the runtime cannot say).
    static func isRunning(_ runtime: RuntimeConnection, podUID: String, container: String, attempt: UInt32) async -> Bool {
        var request = Runtime_V1_ListContainersRequest()
        request.filter.labelSelector = [PodLabels.podUID: podUID, PodLabels.containerName: container]
        request.filter.state.state = .containerRunning
        guard let running = try? await runtime.runtime.listContainers(request, options: RuntimeConnection.options(.seconds(10))) else { return true }
        return running.containers.contains { $0.metadata.attempt == attempt }
    }

    /// Why a container without a log file has none, in upstream's words (kubelet `validateContainerLogStatus`): its
    /// waiting reason as the pod's status says it, a failing pull spelled out.
    static func waitingMessage(_ pod: Pod, container: String) -> String {
        let statuses = (pod.status?.containerStatuses ?? []) + (pod.status?.initContainerStatuses ?? []) + (pod.status?.ephemeralContainerStatuses ?? [])
        let reason = statuses.first { $0.name == container }?.state?.waiting?.reason ?? "ContainerCreating"
        let prefix = "container \"\(container)\" in pod \"\(pod.metadata.name ?? "")\" is waiting to start"
        switch reason {
        case "ErrImagePull": return prefix + ": image can't be pulled"
        case "ImagePullBackOff": return prefix + ": trying and failing to pull image"
        default: return prefix + ": " + reason
        }
    }

    static func text(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// A container's log files in the kubelet's layout: `<restartCount>.log` per attempt.
struct ContainerLogFiles {
    let directory: String

    /// The newest attempt's log, or the one before it.
    func current(previous: Bool) -> String? {
        let attempts = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .compactMap { $0.hasSuffix(".log") ? Int($0.dropLast(4)) : nil }.sorted()
        guard let chosen = previous ? attempts.dropLast().last : attempts.last else { return nil }
        return "\(directory)/\(chosen).log"
    }
}

/// The options of `/containerLogs` (upstream's PodLogOptions as query parameters; booleans as Go's
/// strconv.ParseBool reads them, so the Python client's `follow=True` follows).
struct PodLogOptions: Equatable {
    var follow = false
    var previous = false
    var timestamps = false
    var tailLines: Int?
    var sinceSeconds: Int?
    var sinceTime: Date?
    var limitBytes: Int?

    init(query: FormQuery) {
        func value(_ name: String) -> String? { query.values(name).first }
        func flag(_ name: String) -> Bool { value(name).map { ["1", "t", "T", "true", "TRUE", "True"].contains($0) } ?? false }
        follow = flag("follow")
        previous = flag("previous")
        timestamps = flag("timestamps")
        tailLines = value("tailLines").flatMap { Int($0) }
        sinceSeconds = value("sinceSeconds").flatMap { Int($0) }
        sinceTime = value("sinceTime").flatMap { RFC3339.parse($0) }
        limitBytes = value("limitBytes").flatMap { Int($0) }
    }

    /// The earliest line to show: `sinceSeconds` before `now`, or `sinceTime`.
    func since(now: Date = Date()) -> Date? {
        if let sinceSeconds { return now.addingTimeInterval(-Double(sinceSeconds)) }
        return sinceTime
    }
}

/// Turns CRI log lines (`<RFC3339Nano> <stream> <P|F> <content>`) back into what the container wrote, as upstream's
/// kubelet reads them: the last `tailLines` records, of those the ones written at or after `since`, and no more than
/// `limitBytes` bytes in all (cut mid-line; a follow ends there). Records are split at the newline byte: a TTY's
/// output ends its lines in `\r\n`, which Swift's `String` holds as one `Character` that is not `"\n"`.
struct CRILogReader: Sendable {
    let path: String
    let timestamps: Bool
    let tailLines: Int?
    var since: Date? = nil
    var limitBytes: Int? = nil

    func readAll() -> String {
        let bytes = tailLines.map { Self.end(of: path, records: max(0, $0)) } ?? (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
        var limit = ByteLimit(remaining: limitBytes)
        return limit.take(initial(bytes).joined())
    }

    /// The end of the file that holds its last `records` records (the whole file when it has no more), read backwards
    /// in 64 KiB blocks as upstream's `FindTailLineStartIndex` does, so a tail of a long log does not read all of it.
    /// It may start inside an earlier record, which ``initial(_:)``'s tail then leaves out.
    static func end(of path: String, records: Int) -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else { return Data() }
        defer { try? handle.close() }
        var offset = (try? handle.seekToEnd()) ?? 0
        var blocks: [Data] = [], newlines = 0
        while offset > 0, newlines <= records {
            let length = min(UInt64(1 << 16), offset)
            offset -= length
            guard (try? handle.seek(toOffset: offset)) != nil, let block = try? handle.read(upToCount: Int(length)) else { break }
            blocks.append(block)
            newlines += block.reduce(0) { $0 + ($1 == newline ? 1 : 0) }
        }
        return blocks.reversed().reduce(into: Data()) { $0.append($1) }
    }

    /// Everything so far (respecting `tailLines`, `since` and `limitBytes`), then new lines as they are written, until
    /// cancelled, until `limitBytes` are out or, as upstream's kubelet ends a follow, until `isRunning` (asked about
    /// once a second) says the container has exited and its last lines are out. A rotated file (the runtime renamed
    /// it to `<path>.1` and writes a new one) is read to its end, then the new file from its start, so no line is
    /// lost or repeated across a rotation.
    func follow(isRunning: @Sendable () async -> Bool = { true }, _ emit: @Sendable (String) -> Void) async {
        var limit = ByteLimit(remaining: limitBytes)
        var handle = FileHandle(forReadingAtPath: path)
        defer { try? handle?.close() }
        let initial = (try? handle?.readToEnd()) ?? Data()
        // Whole records now; a record still being written waits in `pending`.
        let cut = initial.lastIndex(of: Self.newline).map { $0 + 1 } ?? initial.startIndex
        let rendered = limit.take(self.initial(initial[..<cut]).joined())
        if !rendered.isEmpty { emit(rendered) }
        var pending = Data(initial[cut...])
        var opened = handle.flatMap { FileIdentity.inode(descriptor: $0.fileDescriptor) }
        var lastStateCheck = ContinuousClock.now
        var exited = false
        while !Task.isCancelled, !limit.isExhausted {
            var data = (try? handle?.readToEnd()) ?? Data()
            let current = FileIdentity.inode(path: path)
            if current != opened, let next = FileHandle(forReadingAtPath: path) {
                // Rotated (or created late): the old file is read to its end above; go on with the new one.
                try? handle?.close()
                handle = next
                opened = FileIdentity.inode(descriptor: next.fileDescriptor)
                data += (try? next.readToEnd()) ?? Data()
            }
            if !data.isEmpty {
                pending += data
                if let lastNewline = pending.lastIndex(of: Self.newline) {
                    let complete = pending[...lastNewline]
                    pending = Data(pending[(lastNewline + 1)...])
                    let text = limit.take(render(complete).filter { !$0.isBefore(since) }.map(\.text).joined())
                    if !text.isEmpty { emit(text) }
                }
            }
            if exited { break }
            if ContinuousClock.now - lastStateCheck >= .seconds(1) {
                lastStateCheck = ContinuousClock.now
                // One more read after the exit picks up what the container wrote last.
                if !(await isRunning()) { exited = true; continue }
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// The records of what is in the file now: the last `tailLines`, then those not before `since`.
    private func initial(_ bytes: Data) -> [String] {
        var lines = render(bytes)
        if let tailLines { lines = Array(lines.suffix(max(0, tailLines))) }
        lines.removeAll { $0.isBefore(since) }
        return lines.map(\.text)
    }

    private static let newline = UInt8(ascii: "\n")

    /// One output string per CRI record, with the record's time: partial records (`P`) carry no newline of their own.
    private func render(_ bytes: Data) -> [Record] {
        bytes.split(separator: Self.newline, omittingEmptySubsequences: true).compactMap { line in
            let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count >= 3 else { return nil }
            let time = String(decoding: fields[0], as: UTF8.self)
            let content = fields.count == 4 ? String(decoding: fields[3], as: UTF8.self) : ""
            let body = fields[2].elementsEqual("P".utf8) ? content : content + "\n"
            return Record(time: time, text: timestamps ? "\(time) \(body)" : body)
        }
    }

    /// One CRI record as shown, with the time the runtime stamped it.
    private struct Record {
        let time: String
        let text: String

        /// Whether it was written before `since` (never, without a `since`).
        func isBefore(_ since: Date?) -> Bool {
            guard let since, let time = RFC3339.parse(time) else { return false }
            return time < since
        }
    }
}

/// What is left of `limitBytes` (nil: no limit); `take` cuts text to it in UTF-8 bytes, as upstream's LimitWriter.
private struct ByteLimit {
    var remaining: Int?

    var isExhausted: Bool { remaining.map { $0 <= 0 } ?? false }

    mutating func take(_ text: String) -> String {
        guard let left = remaining else { return text }
        let bytes = Array(text.utf8)
        guard bytes.count > left else {
            remaining = left - bytes.count
            return text
        }
        // A cut inside a character falls back to its start: output stays valid UTF-8 and within the limit.
        var cut = max(0, left)
        while cut > 0, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        remaining = 0
        return String(decoding: bytes[..<cut], as: UTF8.self)
    }
}

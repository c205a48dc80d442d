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
            let query = request.uri.queryParameters
            guard let pod = await workers.pod(namespace: namespace, name: name), let uid = pod.metadata.uid else {
                return Self.text("pod \"\(name)\" not found in namespace \"\(namespace)\" on this node", status: .notFound)
            }
            let previous = query["previous"] == "true"
            let files = ContainerLogFiles(directory: "\(directory)/\(namespace)_\(name)_\(uid)/\(container)")
            guard let file = files.current(previous: previous) else {
                return Self.text(previous
                    ? "previous terminated container \"\(container)\" in pod \"\(name)\" not found"
                    : Self.waitingMessage(pod, container: container), status: .badRequest)
            }
            // As upstream's kubelet: sinceSeconds counts back from now, and the later of it and sinceTime wins.
            var since = query["sinceSeconds"].flatMap { Int($0) }.map { Date().addingTimeInterval(-Double($0)) }
            if let time = query["sinceTime"].flatMap(CRILogReader.timestamp), since.map({ time > $0 }) ?? true { since = time }
            let reader = CRILogReader(path: file, timestamps: query["timestamps"] == "true", tailLines: query["tailLines"].flatMap { Int($0) },
                                      since: since, limitBytes: query["limitBytes"].flatMap { Int($0) })
            if query["follow"] == "true", !previous {
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
        let app = Application(router: router, server: try tls.map { try .tls(http, tlsConfiguration: $0) } ?? http,
                              configuration: .init(address: .hostname(address, port: port), serverName: nil), logger: logger)
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
        let statuses = (pod.status?.containerStatuses ?? []) + (pod.status?.initContainerStatuses ?? [])
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

/// Turns CRI log lines (`<RFC3339Nano> <stream> <P|F> <content>`) back into what the container wrote.
struct CRILogReader: Sendable {
    let path: String
    let timestamps: Bool
    let tailLines: Int?
    /// Records written before this are left out (after `tailLines` picked the last ones, as upstream's kubelet).
    var since: Date? = nil
    /// At most this many bytes of output (timestamps included); a follow ends once they are out.
    var limitBytes: Int? = nil

    func readAll() -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var budget = limitBytes
        return Self.limited(render(text, tail: tailLines).joined(), to: &budget)
    }

    /// `text` cut to what is left of `budget` (nil: no limit), which is reduced by what is returned; the cut falls on
    /// a character boundary.
    static func limited(_ text: String, to budget: inout Int?) -> String {
        guard let left = budget else { return text }
        let bytes = Array(text.utf8)
        var cut = min(max(0, left), bytes.count)
        while cut < bytes.count, cut > 0, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        budget = left - cut
        return cut == bytes.count ? text : String(decoding: bytes[..<cut], as: UTF8.self)
    }

    /// A CRI log record's time (RFC 3339 with up to nine fractional digits, `Z` or an offset), also what
    /// `sinceTime` carries; nil when it is not one.
    static func timestamp<S: StringProtocol>(_ text: S) -> Date? {
        let characters = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= characters.count else { return nil }
            var value = 0
            for byte in characters[range] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard characters.count >= 20, characters[4] == 45, characters[7] == 45, characters[10] == 84 || characters[10] == 116,
              characters[13] == 58, characters[16] == 58,
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19) else { return nil }
        var index = 19, fraction = 0.0
        if characters[index] == 46 {
            var scale = 0.1
            index += 1
            while index < characters.count, characters[index] >= 48, characters[index] <= 57 {
                fraction += Double(characters[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        guard index < characters.count else { return nil }
        var offset = 0
        switch characters[index] {
        case 90, 122: guard index + 1 == characters.count else { return nil }
        case 43, 45:
            guard index + 6 == characters.count, characters[index + 3] == 58,
                  let hours = number(index + 1..<index + 3), let minutes = number(index + 4..<index + 6) else { return nil }
            offset = (hours * 3600 + minutes * 60) * (characters[index] == 43 ? 1 : -1)
        default: return nil
        }
        var components = DateComponents()
        components.calendar = Calendar(identifier: .gregorian)
        components.timeZone = TimeZone(secondsFromGMT: 0)
        (components.year, components.month, components.day) = (year, month, day)
        (components.hour, components.minute, components.second) = (hour, minute, second)
        guard let date = components.date else { return nil }
        return date.addingTimeInterval(fraction - Double(offset))
    }

    /// Everything so far (respecting `tailLines`), then new lines as they are written, until cancelled or, as
    /// upstream's kubelet ends a follow, until `isRunning` (asked about once a second) says the container has exited
    /// and its last lines are out. A rotated file (the runtime renamed it to `<path>.1` and writes a new one) is
    /// read to its end, then the new file from its start, so no line is lost or repeated across a rotation.
    func follow(isRunning: @Sendable () async -> Bool = { true }, _ emit: @Sendable (String) -> Void) async {
        var handle = FileHandle(forReadingAtPath: path)
        defer { try? handle?.close() }
        let initial = String(decoding: (try? handle?.readToEnd()) ?? Data(), as: UTF8.self)
        // Whole records now; a record still being written waits in `pending`.
        let cut = initial.lastIndex(of: "\n").map { initial.index(after: $0) } ?? initial.startIndex
        let rendered = render(String(initial[..<cut]), tail: tailLines)
        var budget = limitBytes
        // Output goes out through the byte budget; once it is spent the follow is over (upstream's LimitedWriter).
        func send(_ text: String) -> Bool {
            let allowed = Self.limited(text, to: &budget)
            if !allowed.isEmpty { emit(allowed) }
            return budget.map { $0 > 0 } ?? true
        }
        if !rendered.isEmpty, !send(rendered.joined()) { return }
        var pending = String(initial[cut...])
        var opened = handle.flatMap { FileIdentity.inode(descriptor: $0.fileDescriptor) }
        var lastStateCheck = ContinuousClock.now
        var exited = false
        while !Task.isCancelled {
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
                pending += String(decoding: data, as: UTF8.self)
                if let lastNewline = pending.lastIndex(of: "\n") {
                    let complete = String(pending[...lastNewline])
                    pending = String(pending[pending.index(after: lastNewline)...])
                    if !send(render(complete).joined()) { break }
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

    /// One output string per CRI record: partial records (`P`) carry no newline of their own. Of the last `tail`
    /// records (all when nil), those before `since` are left out.
    private func render(_ text: String, tail: Int? = nil) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        if let tail { lines = Array(lines.suffix(max(0, tail))) }
        return lines.compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count >= 3 else { return nil }
            if let since, let time = Self.timestamp(fields[0]), time < since { return nil }
            let content = fields.count == 4 ? String(fields[3]) : ""
            let body = fields[2] == "P" ? content : content + "\n"
            return timestamps ? "\(fields[0]) \(body)" : body
        }
    }
}

import Foundation
import KubeAPI
import KubeClient
import LinuxSystem
import Synchronization
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Network-programming latency, end to end: a NodePort Service whose only backend is a fresh web pod each round
/// (placed on each node in turn); from the moment the bench's watch sees the pod Ready until a request from the host
/// through each node's NodePort (that node's proxy) is answered by that pod. One prober thread per node sends a
/// request every 10 ms from inside the lab's outer namespace. The EndpointSlice's ready endpoint is timed as well,
/// to split the controller's part from the proxies'. The first half of the rounds follow each other at once, the
/// second half each start after 2.5 s of quiet, so both a busy and an idle proxy are measured.
struct NetworkProgramming {
    let client: KubeClient
    let lab: LabCluster

    struct Result {
        /// Pod Ready seen → answered through each node's NodePort (one sample per node and round), for rounds that
        /// follow each other at once ("churn": each round's creation, readiness and deletion keep the proxies'
        /// sync rate limit busy) …
        var samples: [Duration]
        /// … and for rounds that start after the proxies have been idle for a while (an isolated change).
        var isolated: [Duration]
        /// Pod Ready seen → the EndpointSlice's endpoint seen ready (the controller's share), per round.
        var sliceDelays: [Duration]
    }

    /// The first time each node's prober got an answer from the pod named `target`, and each node's probes since the
    /// target was set until then (so a slow sample shows what its probes met: refused, timed out, another pod).
    private final class Probes: Sendable {
        struct State {
            var target = ""
            var firstAnswer: [Int: ContinuousClock.Instant] = [:]
            var attempts: [Int: [Prober.Attempt]] = [:]
            /// Every attempt, and those that got no answer at all (neither a reset nor a reply) within 200 ms.
            var total = 0, unanswered = 0
            var stop = false
        }
        let state = Mutex(State())
    }

    func run(rounds: Int) async throws -> Result {
        progress("network programming: \(rounds) rounds, probing every node's NodePort")
        let service = try await client.create(try object(Service.self, """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"np","namespace":"default"},
             "spec":{"type":"NodePort","selector":{"app":"np"},"ports":[{"port":80,"targetPort":8080}]}}
            """))
        guard let nodePort = service.spec?.ports?.first?.nodePort else { throw TestSupportError("np has no nodePort") }
        let probes = Probes()
        let threads = try lab.addresses.enumerated().map { index, address in
            try Prober.start(in: lab.harness.outer, address: address, port: Int(nodePort)) { attempt in
                probes.state.withLock { state in
                    state.total += 1
                    if attempt.unanswered { state.unanswered += 1 }
                    if !state.target.isEmpty, state.firstAnswer[index] == nil {
                        state.attempts[index, default: []].append(attempt)
                        if case .answered(let body) = attempt.outcome, body.hasPrefix(state.target + " ") { state.firstAnswer[index] = attempt.ended }
                    }
                    return !state.stop
                }
            }
        }
        defer {
            probes.state.withLock { $0.stop = true }
            threads.forEach { $0.wait() }
        }

        let listed = try await client.list(Pod.self, namespace: "default", options: ListOptions(labelSelector: "app=np"))
        let ready = Mutex<[String: ContinuousClock.Instant]>([:])
        let podWatch = client.watch(Pod.self, namespace: "default", labelSelector: "app=np", resourceVersion: listed.metadata.resourceVersion)
        let podWatcher = Task {
            for try await event in podWatch {
                guard let pod = event.object, pod.status?.conditions?.contains(where: { $0.type == "Ready" && $0.status == "True" }) == true else { continue }
                let now = ContinuousClock.now
                ready.withLock { if $0[pod.metadata.name ?? ""] == nil { $0[pod.metadata.name ?? ""] = now } }
            }
        }
        defer { podWatcher.cancel() }
        let slices = try await client.list(EndpointSlice.self, namespace: "default", options: ListOptions(labelSelector: "kubernetes.io/service-name=np"))
        let sliceReady = Mutex<[String: ContinuousClock.Instant]>([:])
        let sliceWatch = client.watch(EndpointSlice.self, namespace: "default", labelSelector: "kubernetes.io/service-name=np",
                                      resourceVersion: slices.metadata.resourceVersion)
        let sliceWatcher = Task {
            for try await event in sliceWatch {
                guard let slice = event.object else { continue }
                let now = ContinuousClock.now
                for endpoint in slice.endpoints where endpoint.conditions?.ready == true {
                    guard let name = endpoint.targetRef?.name else { continue }
                    sliceReady.withLock { if $0[name] == nil { $0[name] = now } }
                }
            }
        }
        defer { sliceWatcher.cancel() }

        var result = Result(samples: [], isolated: [], sliceDelays: [])
        for round in 1...rounds {
            // The second half: let every proxy's rate limiter refill (2 syncs, one per second) before the round.
            let isolated = round > rounds / 2
            if isolated { try await Task.sleep(for: .milliseconds(2500)) }
            let name = "np-\(round)"
            let node = lab.nodes[(round - 1) % lab.nodes.count]
            probes.state.withLock { $0.target = name; $0.firstAnswer = [:]; $0.attempts = [:] }
            _ = try await client.create(try object(Pod.self, """
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"\(name)","namespace":"default","labels":{"app":"np"}},
                 "spec":{"nodeName":"\(node)","terminationGracePeriodSeconds":0,"containers":[{"name":"web","image":"swiftlet.local/web:1",
                 "imagePullPolicy":"IfNotPresent","command":["/bin/sh","-c","echo \\"$(hostname) up\\" >/www/index.html; exec /bin/busybox httpd -f -p 8080 -h /www"],
                 "readinessProbe":{"httpGet":{"path":"/","port":8080},"periodSeconds":1}}]}}
                """))
            try await waitUntil(probes.state.withLock { $0.firstAnswer.count } == lab.addresses.count && ready.withLock { $0[name] } != nil,
                                what: "\(name) answering through every NodePort", timeout: .seconds(120))
            guard let readyAt = ready.withLock({ $0[name] }) else { continue }
            let (answers, attempts) = probes.state.withLock { ($0.firstAnswer, $0.attempts) }
            // An answer before the watch showed Ready (the proxies raced our watch) counts as zero.
            let latencies = answers.values.map { max(.zero, $0 - readyAt) }
            if isolated { result.isolated += latencies } else { result.samples += latencies }
            if let sliceAt = sliceReady.withLock({ $0[name] }) { result.sliceDelays.append(max(.zero, sliceAt - readyAt)) }
            progress("  \(name) on \(node)\(isolated ? " (after 2.5 s idle)" : ""): " + lab.addresses.indices.map { answers[$0].map { milliseconds(max(.zero, $0 - readyAt)) } ?? "-" }
                .joined(separator: " / "))
            for (index, answer) in answers.sorted(by: { $0.key < $1.key }) where answer - readyAt > .milliseconds(100) {
                // What this node's probes met from shortly before Ready until the answer.
                let recent = (attempts[index] ?? []).filter { $0.ended > readyAt - .milliseconds(50) }
                let refused = recent.filter(\.refused).count
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                let readyMono = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 - (ContinuousClock.now - readyAt).seconds
                progress("    \(lab.nodes[index]) (Ready at monotonic \(String(format: "%.3f", readyMono))): \(refused) refused; "
                         + recent.filter { !$0.refused }.map { $0.describe(since: readyAt) }.joined(separator: ", "))
            }
            probes.state.withLock { $0.target = "" }
            try await client.delete(Pod.self, name: name, namespace: "default", options: DeleteOptions(gracePeriodSeconds: 0))
            try await waitUntil((try? await client.list(Pod.self, namespace: "default", options: ListOptions(labelSelector: "app=np")).items.isEmpty) == true,
                                what: "\(name) deleted")
        }
        try? await client.delete(Service.self, name: "np", namespace: "default")
        let (total, unanswered) = probes.state.withLock { ($0.total, $0.unanswered) }
        progress("  probes with no answer (no reply, no reset) within 200 ms: \(unanswered) of \(total)")
        return result
    }
}

/// A thread in the lab's outer namespace that starts a GET of `http://address:port/` every 10 ms, each on a socket of
/// its own with a 200 ms deadline, and hands each attempt to `observe` until `observe` returns false. Attempts overlap:
/// one whose SYN goes unanswered does not hold back the next, so the first answer marks when the path started to work
/// (a blocking probe with a 200 ms timeout added up to 200 ms to a sample whenever one SYN was lost).
struct Prober {
    /// One GET: when it started and ended, and what came of it.
    struct Attempt: Sendable {
        enum Outcome: Sendable {
            case answered(String)
            /// connect/send/recv failed with this errno (ECONNREFUSED: a reject rule; ETIMEDOUT: no answer in 200 ms).
            case failed(String, Int32)
            /// A reply that was not HTTP 200.
            case badReply
        }
        var started: ContinuousClock.Instant
        var ended: ContinuousClock.Instant
        var outcome: Outcome

        var refused: Bool { if case .failed(_, ECONNREFUSED) = outcome { true } else { false } }
        var unanswered: Bool { if case .failed(_, ETIMEDOUT) = outcome { true } else { false } }

        /// `+12ms connect Connection refused (3 ms)`: start relative to `origin`, outcome, duration.
        func describe(since origin: ContinuousClock.Instant) -> String {
            let what = switch outcome {
            case .answered(let body): "answered by " + (body.split(separator: " ").first.map(String.init) ?? "?")
            case .failed(let step, let code): "\(step) \(String(cString: strerror(code)))"
            case .badReply: "bad reply"
            }
            let offset = Double((started - origin) / .microseconds(1)) / 1000
            return String(format: "%+.0fms ", offset) + what + " (\(milliseconds(ended - started)))"
        }
    }

    /// A GET in progress on a non-blocking socket.
    private struct Flight {
        let fd: Int32
        let started: ContinuousClock.Instant
        var sent = false
        var response: [UInt8] = []
    }

    private let done: DispatchSemaphore
    private static let request = Array("GET / HTTP/1.0\r\nHost: bench\r\n\r\n".utf8)

    static func start(in namespace: NetworkNamespace, address: String, port: Int,
                      observe: @escaping @Sendable (Attempt) -> Bool) throws -> Prober {
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &target.sin_addr) == 1 else { throw TestSupportError("not an IPv4 address: \(address)") }
        let done = DispatchSemaphore(value: 0)
        let destination = target
        Thread.detachNewThread {
            defer { done.signal() }
            // A thread of its own inside the namespace: every socket it opens lives there.
            _ = try? namespace.run { run(destination, observe: observe) }
        }
        return Prober(done: done)
    }

    func wait() { done.wait() }

    /// Starts a GET every 10 ms and drives those in flight until `observe` says stop.
    private static func run(_ target: sockaddr_in, observe: (Attempt) -> Bool) {
        var flights: [Flight] = []
        defer { flights.forEach { close($0.fd) } }
        var nextStart = ContinuousClock.now
        while true {
            let now = ContinuousClock.now
            if now >= nextStart {
                nextStart = now + .milliseconds(10)
                switch begin(target) {
                case .inFlight(let flight): flights.append(flight)
                case .failed(let outcome): if !observe(Attempt(started: now, ended: .now, outcome: outcome)) { return }
                }
            }
            var polled = flights.map { pollfd(fd: $0.fd, events: Int16($0.sent ? POLLIN : POLLOUT), revents: 0) }
            let wait = max(0, Int32(((nextStart - .now) / .microseconds(1)) / 1000))
            _ = poll(&polled, nfds_t(polled.count), wait)
            var finished: [(Int, Attempt.Outcome)] = []
            for (index, entry) in polled.enumerated() {
                if entry.revents != 0, let outcome = advance(&flights[index]) {
                    finished.append((index, outcome))
                } else if ContinuousClock.now - flights[index].started > .milliseconds(200) {
                    finished.append((index, .failed(flights[index].sent ? "recv" : "connect", ETIMEDOUT)))
                }
            }
            for (index, outcome) in finished.reversed() {
                let flight = flights.remove(at: index)
                close(flight.fd)
                if !observe(Attempt(started: flight.started, ended: .now, outcome: outcome)) { return }
            }
        }
    }

    private enum Begun {
        case inFlight(Flight)
        case failed(Attempt.Outcome)
    }

    /// A non-blocking connect: a flight in progress, or the outcome when it failed at once.
    private static func begin(_ target: sockaddr_in) -> Begun {
        let started = ContinuousClock.now
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return .failed(.failed("socket", errno)) }
        var address = target
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0, errno != EINPROGRESS {
            let code = errno
            close(fd)
            return .failed(.failed("connect", code))
        }
        return .inFlight(Flight(fd: fd, started: started))
    }

    /// Moves a flight on after poll reported its socket ready: sends the request once connected, reads the answer;
    /// the outcome once it is complete or failed.
    private static func advance(_ flight: inout Flight) -> Attempt.Outcome? {
        if !flight.sent {
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(flight.fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 { return .failed("connect", error) }
            guard request.withUnsafeBytes({ send(flight.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
                return .failed("send", errno)
            }
            flight.sent = true
            return nil
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(flight.fd, $0.baseAddress, $0.count, 0) }
        if count < 0 { return errno == EAGAIN ? nil : .failed("recv", errno) }
        if count > 0 {
            flight.response += buffer[0..<count]
            return nil
        }
        let text = String(decoding: flight.response, as: UTF8.self)
        guard text.hasPrefix("HTTP/1."), text.split(separator: " ").dropFirst().first == "200",
              let end = text.range(of: "\r\n\r\n") else { return .badReply }
        return .answered(String(text[end.upperBound...]))
    }
}

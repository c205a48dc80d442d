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

    /// The first time each node's prober got an answer from the pod named `target`.
    private final class Probes: Sendable {
        struct State { var target = ""; var firstAnswer: [Int: ContinuousClock.Instant] = [:]; var stop = false }
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
            try Prober.start(in: lab.harness.outer, address: address, port: Int(nodePort)) { body, now in
                probes.state.withLock { state in
                    if !state.target.isEmpty, body.hasPrefix(state.target + " "), state.firstAnswer[index] == nil { state.firstAnswer[index] = now }
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
            probes.state.withLock { $0.target = name; $0.firstAnswer = [:] }
            _ = try await client.create(try object(Pod.self, """
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"\(name)","namespace":"default","labels":{"app":"np"}},
                 "spec":{"nodeName":"\(node)","terminationGracePeriodSeconds":0,"containers":[{"name":"web","image":"swiftlet.local/web:1",
                 "imagePullPolicy":"IfNotPresent","command":["/bin/sh","-c","echo \\"$(hostname) up\\" >/www/index.html; exec /bin/busybox httpd -f -p 8080 -h /www"],
                 "readinessProbe":{"httpGet":{"path":"/","port":8080},"periodSeconds":1}}]}}
                """))
            try await waitUntil(probes.state.withLock { $0.firstAnswer.count } == lab.addresses.count && ready.withLock { $0[name] } != nil,
                                what: "\(name) answering through every NodePort", timeout: .seconds(120))
            guard let readyAt = ready.withLock({ $0[name] }) else { continue }
            let answers = probes.state.withLock { $0.firstAnswer }
            // An answer before the watch showed Ready (the proxies raced our watch) counts as zero.
            let latencies = answers.values.map { max(.zero, $0 - readyAt) }
            if isolated { result.isolated += latencies } else { result.samples += latencies }
            if let sliceAt = sliceReady.withLock({ $0[name] }) { result.sliceDelays.append(max(.zero, sliceAt - readyAt)) }
            progress("  \(name) on \(node)\(isolated ? " (after 2.5 s idle)" : ""): " + lab.addresses.indices.map { answers[$0].map { milliseconds(max(.zero, $0 - readyAt)) } ?? "-" }
                .joined(separator: " / "))
            probes.state.withLock { $0.target = "" }
            try await client.delete(Pod.self, name: name, namespace: "default", options: DeleteOptions(gracePeriodSeconds: 0))
            try await waitUntil((try? await client.list(Pod.self, namespace: "default", options: ListOptions(labelSelector: "app=np")).items.isEmpty) == true,
                                what: "\(name) deleted")
        }
        try? await client.delete(Service.self, name: "np", namespace: "default")
        return result
    }
}

/// A thread in the lab's outer namespace that GETs `http://address:port/` every 10 ms (200 ms connect and read
/// timeouts) and hands each answer's body to `observe`, until `observe` returns false.
struct Prober {
    private let done: DispatchSemaphore

    static func start(in namespace: NetworkNamespace, address: String, port: Int,
                      observe: @escaping @Sendable (String, ContinuousClock.Instant) -> Bool) throws -> Prober {
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &target.sin_addr) == 1 else { throw TestSupportError("not an IPv4 address: \(address)") }
        let done = DispatchSemaphore(value: 0)
        let destination = target
        Thread.detachNewThread {
            defer { done.signal() }
            // A thread of its own inside the namespace: every socket it opens lives there.
            _ = try? namespace.run {
                while true {
                    let body = get(destination) ?? ""
                    if !observe(body, .now) { return }
                    usleep(10_000)
                }
            }
        }
        return Prober(done: done)
    }

    func wait() { done.wait() }

    /// One HTTP/1.0 GET; the response body, or nil on any failure.
    private static func get(_ target: sockaddr_in) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = target
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET / HTTP/1.0\r\nHost: bench\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            response += buffer[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard text.hasPrefix("HTTP/1."), text.split(separator: " ").dropFirst().first == "200",
              let end = text.range(of: "\r\n\r\n") else { return nil }
        return String(text[end.upperBound...])
    }
}

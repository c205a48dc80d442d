import Foundation
import KubeAPI
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("kubectl port-forward through the API server, the agent and the runtime's SPDY session: HTTP, 1 MiB both ways, parallel connections, a closed port",
          .timeLimit(.minutes(3)))
    func kubectlPortForward() async throws {
        let cluster = try await Cluster()
        do {
            try await portForward(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)\nruntime log:\n\(cluster.runtime.log)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    @Test("kubectl port-forward against containerd's CRI: the agent relays the tunnel over a SPDY upgrade to containerd's streaming server",
          .timeLimit(.minutes(3)))
    func kubectlPortForwardContainerd() async throws {
        let cluster = try await Cluster(.containerd)
        do {
            try await portForward(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    /// `environment` switches kubectl's transport (`KUBECTL_PORT_FORWARD_WEBSOCKETS=false`: a plain SPDY upgrade).
    func portForward(_ cluster: Cluster, environment: [String: String] = [:]) async throws {
        let kubectl = try #require(which("kubectl"))
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        // An HTTP server on 8080 with a random 1 MiB file, and a persistent echo server on 9000.
        let script = "mkdir -p /www && echo hello > /www/index.html && head -c 1048576 /dev/urandom > /www/blob"
            + " && (nc -ll -p 9000 -e cat &) && exec httpd -f -p 8080 -h /www"
        _ = try await cluster.kubectl(["run", "fwd", "--image", shell, "--restart=Never", "--overrides",
                                       #"{"spec":{"nodeName":"\#(cluster.nodeName)","terminationGracePeriodSeconds":1}}"#,
                                       "--command", "--", "sh", "-c", script])
        try await cluster.waitForPod("fwd") { $0.status?.phase == "Running" }
        // kubectl ends the whole forward when a connection is refused, so wait until both servers listen.
        _ = try await cluster.kubectl(["exec", "fwd", "--", "sh", "-c",
                                       "i=0; until wget -qO- http://127.0.0.1:8080/ >/dev/null && nc 127.0.0.1 9000 </dev/null;"
                                       + " do i=$((i+1)); [ $i -gt 100 ] && exit 1; sleep 0.1; done"])

        let ports = try freeLoopbackPorts(3)
        let forward = try PeerDaemon(name: "port-forward")
        defer { forward.stop() }
        try forward.start("/usr/bin/env", environment.map { "\($0.key)=\($0.value)" } + [
            kubectl, "--kubeconfig", cluster.server.kubeconfig, "port-forward", "--address", "127.0.0.1", "pod/fwd",
            "\(ports[0]):8080", "\(ports[1]):9000", "\(ports[2]):9999"])
        let deadline = ContinuousClock.now + .seconds(30)
        while !forward.logTail.contains("Forwarding from 127.0.0.1:\(ports[2])") {
            guard forward.isRunning, ContinuousClock.now < deadline else {
                Issue.record("kubectl port-forward did not start:\n\(forward.logTail)")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let page = try await runCommand("/usr/bin/curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(ports[0])/index.html"])
        #expect(page.stdout == "hello\n", "\(page)\n\(forward.logTail)\nagent log:\n\(cluster.agent.logTail)")

        // The pod closes first (HTTP/1.0) and the client, which never half-closes, reads until the end: the end
        // reaches it (kubectl closes its connection once the runtime has ended the forward's streams).
        let closedByPod = """
            import socket, sys, time
            started = time.monotonic()
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
            s.sendall(b"GET /index.html HTTP/1.0\\r\\n\\r\\n")
            got = bytearray()
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk: break
                    got += chunk
                print("eof" if got.endswith(b"hello\\n") else "body %r" % bytes(got), "%.1f" % (time.monotonic() - started))
            except socket.timeout:
                print("no end after %d bytes" % len(got))
            """
        let untilEnd = try await runCommand("/usr/bin/python3", ["-c", closedByPod, "\(ports[0])"])
        #expect(untilEnd.stdout.hasPrefix("eof "), "\(untilEnd)\n\(forward.logTail)")

        // 1 MiB from the pod, byte for byte.
        let download = FileManager.default.temporaryDirectory.appendingPathComponent("blob-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: download) }
        let fetched = try await runCommand("/usr/bin/curl", ["-s", "--max-time", "30", "-o", download, "http://127.0.0.1:\(ports[0])/blob"])
        #expect(fetched.status == 0, "\(fetched)")
        let local = try await runCommand("/usr/bin/sha256sum", [download])
        let remote = try await cluster.kubectl(["exec", "fwd", "--", "busybox", "sha256sum", "/www/blob"])
        #expect(local.stdout.prefix(64) == remote.prefix(64), "\(local.stdout) vs \(remote)")

        // 1 MiB to the pod and back through the echo server, with a half close at the end; four connections at once.
        let echo = """
            import os, socket, sys, threading
            port = int(sys.argv[1]); failures = []
            def one():
                data = os.urandom(1 << 20)
                s = socket.create_connection(("127.0.0.1", port), timeout=30)
                sender = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
                sender.start()
                got = bytearray()
                while True:
                    chunk = s.recv(65536)
                    if not chunk: break
                    got += chunk
                sender.join(); s.close()
                if bytes(got) != data: failures.append(len(got))
            threads = [threading.Thread(target=one) for _ in range(4)]
            [t.start() for t in threads]; [t.join() for t in threads]
            print("ok" if not failures else "mismatch %r" % failures)
            """
        let echoed = try await runCommand("/usr/bin/python3", ["-c", echo, "\(ports[1])"])
        #expect(echoed.stdout == "ok\n", "\(echoed)\n\(forward.logTail)")

        // Nothing listens on 9999: the connection ends at once and kubectl reports the runtime's reason, then —
        // as kubectl ≥ 1.31 does on any error from the pod side — closes the whole forward.
        let refused = try await runCommand("/usr/bin/curl", ["-s", "--max-time", "10", "http://127.0.0.1:\(ports[2])/"])
        #expect(refused.status != 0 && refused.status != 28, "\(refused)")
        let reported = ContinuousClock.now + .seconds(10)
        while forward.isRunning, ContinuousClock.now < reported { try await Task.sleep(for: .milliseconds(100)) }
        #expect(forward.logTail.contains("an error occurred forwarding \(ports[2]) -> 9999: error forwarding port 9999 to pod"), "\(forward.logTail)")
        #expect(forward.logTail.contains("127.0.0.1:9999") && forward.logTail.lowercased().contains("connection refused"), "\(forward.logTail)")
        #expect(forward.logTail.contains("lost connection to pod"), "\(forward.logTail)")
    }
}

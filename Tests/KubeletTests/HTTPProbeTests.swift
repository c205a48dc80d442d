import Foundation
import GoNet
@testable import Kubelet
import TestSupport
import Testing

/// The `httpGet` and `tcpSocket` probes against servers on loopback: plain HTTP from a one-connection server of the
/// test's own, HTTPS from `openssl s_server` with a self-signed certificate (which the kubelet does not verify).
@Suite("HTTP and TCP probes")
struct HTTPProbeTests {
    private func probe(_ scheme: String, port: Int, path: String = "/healthz", headers: [(name: String, value: String)] = [],
                       timeout: Duration = .seconds(5)) async -> Prober.Result {
        await HTTPProbe.probe(scheme: scheme, host: "127.0.0.1", port: port, path: path, headers: headers, timeout: timeout)
    }

    @Test("HTTP: 2xx and 3xx succeed, other statuses and a closed port fail in upstream's words; the kubelet's headers are sent")
    func plainHTTP() async throws {
        let ok = try OneShotServer(response: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(await probe("HTTP", port: ok.port, headers: [("X-Probe", "yes")]) == .success)
        #expect(ok.received.hasPrefix("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:\(ok.port)\r\nUser-Agent: kube-probe/1.32\r\n"), "\(ok.received)")
        #expect(ok.received.contains("\r\nX-Probe: yes\r\n"), "\(ok.received)")
        let virtual = try OneShotServer(response: "HTTP/1.1 204 No Content\r\n\r\n")
        #expect(await probe("HTTP", port: virtual.port, headers: [("Host", "app.example"), ("user-agent", "mine")]) == .success)
        #expect(virtual.received.hasPrefix("GET /healthz HTTP/1.1\r\nAccept: */*\r\nHost: app.example\r\nuser-agent: mine\r\n"),
                "\(virtual.received)")
        #expect(!virtual.received.contains("kube-probe"), "\(virtual.received)")
        // Each server is used after its probe: ARC may end an object after its last use, and with it the listener.
        let moved = try OneShotServer(response: "HTTP/1.1 302 Found\r\nLocation: http://elsewhere/\r\n\r\n")
        #expect(await probe("HTTP", port: moved.port) == .success)
        let failing = try OneShotServer(response: "HTTP/1.1 503 Service Unavailable\r\n\r\n")
        #expect(await probe("HTTP", port: failing.port) == .failure("HTTP probe failed with statuscode: 503"))
        let hungUp = try OneShotServer(response: "")
        #expect(await probe("HTTP", port: hungUp.port) == .failure("Get \"http://127.0.0.1:\(hungUp.port)/healthz\": EOF"))
        #expect([moved, failing, hungUp].allSatisfy { $0.received.hasPrefix("GET /healthz HTTP/1.1\r\n") })
        let closed = try ClosedLoopbackPort()
        #expect(await probe("HTTP", port: closed.port, path: "/")
                == .failure("Get \"http://127.0.0.1:\(closed.port)/\": dial tcp 127.0.0.1:\(closed.port): connect: connection refused"))
    }

    @Test("a server that never answers fails at the timeout, over HTTP and HTTPS", .timeLimit(.minutes(1)))
    func silentServer() async throws {
        for scheme in ["HTTP", "HTTPS"] {
            let silent = try OneShotServer(response: nil)
            let clock = ContinuousClock()
            let start = clock.now
            let result = await probe(scheme, port: silent.port, timeout: .seconds(1))
            #expect(result == .failure("Get \"\(scheme.lowercased())://127.0.0.1:\(silent.port)/healthz\": "
                                       + "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"))
            #expect(clock.now - start < .seconds(10))
            #expect(!silent.received.isEmpty, "the server never got the request")  // and it stays up until here
        }
    }

    @Test("HTTPS: a self-signed server's answer counts; a plain-HTTP server fails as Go's client words it", .timeLimit(.minutes(1)))
    func https() async throws {
        let server = try PeerDaemon(name: "https-probe")
        defer { server.stop() }
        let directory = server.directory
        let generated = try await runCommand("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=probe",
            "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem",
        ])
        #expect(generated.status == 0, "\(generated)")
        let port = try freeLoopbackPorts(1)[0]
        try server.start("/usr/bin/openssl", ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", directory + "/cert.pem",
                                              "-key", directory + "/key.pem", "-www", "-quiet"])
        var listening = false
        for _ in 0..<100 where !listening {
            if case .success(let fd) = TCPDial.connect(host: "127.0.0.1", port: port, timeout: .seconds(1)) {
                close(fd)
                listening = true
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        #expect(listening, "openssl s_server did not listen: \(server.logTail)")
        // s_server -www answers "GET / …" with a status page.
        #expect(await probe("HTTPS", port: port, path: "/") == .success)

        let plain = try OneShotServer(response: "HTTP/1.1 200 OK\r\n\r\n")
        guard case .failure(let message) = await probe("HTTPS", port: plain.port) else {
            Issue.record("an HTTPS probe of a plain-HTTP server passed")
            return
        }
        #expect(message == "Get \"https://127.0.0.1:\(plain.port)/healthz\": http: server gave HTTP response to HTTPS client", "\(message)")
        #expect(plain.received.utf8.first == 0x16, "no TLS handshake record reached the server")  // and it stays up until here
    }

    @Test("TCP: a listening port succeeds, a closed one fails as Go's dialer words it")
    func tcpDial() throws {
        let open = try OneShotServer(response: "")
        let dialed = TCPDial.connect(host: "127.0.0.1", port: open.port, timeout: .seconds(2))
        withExtendedLifetime(open) {}
        guard case .success(let fd) = dialed else {
            Issue.record("connect to a listening port failed")
            return
        }
        close(fd)
        let closed = try ClosedLoopbackPort()
        guard case .failure(let failure) = TCPDial.connect(host: "127.0.0.1", port: closed.port, timeout: .seconds(2)) else {
            Issue.record("connect to a closed port succeeded")
            return
        }
        #expect(failure.description == "dial tcp 127.0.0.1:\(closed.port): connect: connection refused")
    }
}

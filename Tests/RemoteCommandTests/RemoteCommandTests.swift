import Crypto
import Foundation
import KubeAPI
import RemoteCommand
import Testing

@Suite("remote-command protocol pieces")
struct RemoteCommandTests {
    @Test("kubectl's form-encoded query: + is a space, %2B a plus; encoding round-trips")
    func formQuery() {
        let query = FormQuery(encoded: "command=sh&command=-c&command=echo+a%2Bb+%26+c&stdin=true&tty")
        #expect(query.values("command") == ["sh", "-c", "echo a+b & c"])
        #expect(query.values("stdin") == ["true"])
        #expect(query.values("tty") == [""])
        #expect(FormQuery(encoded: query.encoded) == query)
        #expect(FormQuery([("command", "a b+c/d")]).encoded == "command=a+b%2Bc%2Fd")
    }

    @Test("the client's order decides among the protocols we speak")
    func negotiation() {
        #expect(StreamProtocol.negotiate(offered: "v5.channel.k8s.io") == .v5)
        #expect(StreamProtocol.negotiate(offered: "base64.channel.k8s.io, v4.channel.k8s.io, v5.channel.k8s.io") == .v4)
        #expect(StreamProtocol.negotiate(offered: "SPDY/3.1+portforward.k8s.io") == nil)
        #expect(StreamProtocol.negotiate(offered: nil) == nil)
    }

    @Test("port-forward channel protocol: negotiation, ports as upstream parses them, the port frame")
    func portForwardChannel() {
        #expect(PortForwardProtocol.negotiate(offered: "v4.channel.k8s.io") == PortForwardProtocol.channel)
        #expect(PortForwardProtocol.negotiate(offered: "v4.channel.k8s.io, SPDY/3.1+portforward.k8s.io") == PortForwardProtocol.tunnel)
        #expect(PortForwardProtocol.negotiate(offered: "v5.channel.k8s.io") == nil)
        #expect((try? PortForwardProtocol.ports(["8080,9090", "53"], parameter: "ports").get()) == [8080, 9090, 53])
        #expect(throws: PortForwardRequestError.self) { try PortForwardProtocol.ports([], parameter: "port").get() }
        #expect(throws: PortForwardRequestError.self) { try PortForwardProtocol.ports(["0"], parameter: "port").get() }
        #expect(throws: PortForwardRequestError.self) { try PortForwardProtocol.ports(["80,x"], parameter: "port").get() }
        #expect(PortForwardProtocol.portPrefix(8080) == [0x90, 0x1f])
    }

    @Test("the error channel's outcome reads as kubectl expects")
    func outcome() throws {
        let failed = try JSONDecoder().decode(Status.self, from: Data(Status.nonZeroExit(command: ["sh", "-c", "exit 3"], exitCode: 3).streamPayload))
        #expect(failed.status == "Failure")
        #expect(failed.reason == "NonZeroExitCode")
        #expect(failed.details?.causes == [StatusCause(reason: "ExitCode", message: "3")])
        #expect(StreamChannel.error.frame([1, 2]) == [3, 1, 2])
        let success = try JSONDecoder().decode(Status.self, from: Data(Status.streamSuccess.streamPayload))
        #expect(success.status == "Success")
    }
}

@Suite("the first request head a streaming endpoint reads")
struct UpgradeRequestHeadTests {
    @Test("request line, headers case-insensitive, repeated and comma-separated values in order, upgrade protocols")
    func parsing() throws {
        let text = "POST /api/v1/namespaces/default/pods/box/exec?command=sh&stdin=true HTTP/1.1\r\nHost: 127.0.0.1:6443\r\n"
            + "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v5.channel.k8s.io\r\n"
            + "x-stream-protocol-version: v4.channel.k8s.io, v3.channel.k8s.io\r\nContent-Length: 0"
        let head = try #require(UpgradeRequestHead(parsing: text))
        #expect(head.method == "POST")
        #expect(head.path == "/api/v1/namespaces/default/pods/box/exec")
        #expect(head.query == "command=sh&stdin=true")
        #expect(head.values("X-Stream-Protocol-Version") == ["v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io"])
        #expect(head.upgrades(to: "spdy/3.1"))
        #expect(!head.upgrades(to: "websocket"))
        #expect(UpgradeRequestHead(parsing: "not http at all") == nil)
        #expect(UpgradeRequestHead(parsing: "GET / HTTP/2.0") == nil)
    }
}

@Suite("the WebSocket dialer")
struct WebSocketDialerTests {
    /// A one-connection server that answers the handshake and sends `frames` in the same write as its 101, as
    /// containerd's streaming server does with a port forward's port frames, then closes after a moment.
    static func serveUpgradeWithFrames(_ frames: [UInt8]) throws -> UInt16 {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && listen(listener, 1) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
        let port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread {
            let connection = accept(listener, nil, nil)
            close(listener)
            var request: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !String(decoding: request, as: UTF8.self).contains("\r\n\r\n") {
                let count = read(connection, &buffer, buffer.count)
                if count <= 0 { break }
                request += buffer[..<count]
            }
            let key = String(decoding: request, as: UTF8.self).split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("sec-websocket-key:") }.map { $0.dropFirst(18).trimmingCharacters(in: .whitespaces) } ?? ""
            let accepted = Data(Insecure.SHA1.hash(data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
            let response = Array(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: \(accepted)\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n").utf8) + frames
            _ = response.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            usleep(500_000)
            close(connection)
        }
        return port
    }

    @Test("frames that arrive in the same read as the 101 reach the client")
    func framesBehindTheUpgradeResponse() async throws {
        // Two unmasked binary frames: a port forward's data and error channels opened with port 8080.
        let port = try Self.serveUpgradeWithFrames([0x82, 3, 0, 0x90, 0x1f, 0x82, 3, 1, 0x90, 0x1f])
        let connection = try await WebSocketDialer.connect(url: "ws://127.0.0.1:\(port)/portforward", subprotocols: [PortForwardProtocol.channel])
        let received = try await connection.run { messages, _ in
            var received: [[UInt8]] = []
            for try await message in messages { received.append(message) }
            return received
        }
        #expect(received == [[0, 0x90, 0x1f], [1, 0x90, 0x1f]])
    }
}

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

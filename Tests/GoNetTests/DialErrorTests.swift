#if canImport(Glibc)
import Glibc
#endif
import AsyncHTTPClient
import GoNet
import NIOCore
import NIOPosix
import Testing
import TestSupport

/// What AsyncHTTPClient and SwiftNIO throw when a dial fails, read back in Go's words; anything else left alone.
@Suite struct DialErrorTests {
    @Test("a refused dial through AsyncHTTPClient: connect: connection refused, with the address dialled")
    func refusedThroughHTTPClient() async throws {
        let port = try freeLoopbackPorts(1)[0]
        let error = try await failure(of: "http://127.0.0.1:\(port)/")
        let dial = try #require(DialError(error, host: "127.0.0.1", port: port), "\(error)")
        #expect(dial.isConnectionRefused)
        #expect(dial.description == "dial tcp 127.0.0.1:\(port): connect: connection refused")
    }

    @Test("a host name that does not resolve: dial tcp: lookup NAME: no such host")
    func unknownHostThroughHTTPClient() async throws {
        // RFC 6761: names under .invalid never resolve.
        let error = try await failure(of: "http://swiftlet-no-such-host.invalid:5000/v2/")
        let dial = try #require(DialError(error, host: "swiftlet-no-such-host.invalid", port: 5000), "\(error)")
        #expect(dial.description == "dial tcp: lookup swiftlet-no-such-host.invalid: no such host")
        #expect(!dial.isConnectionRefused)
    }

    @Test("timeouts, IPv6 addresses and errnos only a connect gives; a reset or an unrelated error is no dial failure")
    func errorShapes() {
        #expect(DialError(HTTPClientError.connectTimeout, host: "10.0.0.1", port: 443)?.description == "dial tcp 10.0.0.1:443: i/o timeout")
        #expect(DialError(ChannelError.connectTimeout(.seconds(1)), host: "::1", port: 80)?.description == "dial tcp [::1]:80: i/o timeout")
        #expect(DialError(IOError(errnoCode: EHOSTUNREACH, reason: "connect"), host: "10.0.0.1", port: 80)?.description
                == "dial tcp 10.0.0.1:80: connect: no route to host")
        #expect(DialError(IOError(errnoCode: ECONNRESET, reason: "read"), host: "10.0.0.1", port: 80) == nil)
        #expect(DialError(HTTPClientError.deadlineExceeded, host: "10.0.0.1", port: 80) == nil)
        #expect(DialError(CancellationError(), host: "10.0.0.1", port: 80) == nil)
        let dial = DialError(host: "10.0.0.1", port: 80, reason: .timeout)
        #expect(DialError(dial, host: "other", port: 1) == dial)
    }

    /// The error a GET of `url` fails with (it must fail).
    private func failure(of url: String) async throws -> any Error {
        // As the clients that use DialError do: fail at the first refused dial instead of retrying until the timeout.
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let outcome: Result<HTTPClientResponse, any Error>
        do {
            outcome = .success(try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30)))
        } catch {
            outcome = .failure(error)
        }
        try await client.shutdown()
        guard case .failure(let error) = outcome else {
            Issue.record("GET \(url) succeeded")
            throw CancellationError()
        }
        return error
    }
}

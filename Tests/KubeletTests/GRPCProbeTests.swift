import GRPCCore
import GRPCNIOTransportHTTP2
@testable import Kubelet
import TestSupport
import Testing

/// The gRPC probe against a real gRPC server on loopback (grpc-swift over HTTP/2) implementing
/// `grpc.health.v1.Health/Check`.
@Suite("gRPC probes")
struct GRPCProbeTests {
    /// `grpc.health.v1.Health` answering from a table of service statuses; unknown services are NOT_FOUND.
    struct HealthService: RegistrableRPCService {
        let statuses: [String: UInt8]

        func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
            let statuses = statuses
            router.registerHandler(forMethod: GRPCHealthProbe.check, deserializer: RawMessage(), serializer: RawMessage()) { request, _ in
                let message = try await ServerRequest(stream: request).message
                let service = message.count > 2 ? String(decoding: message[2...], as: UTF8.self) : ""
                guard let status = statuses[service] else { throw RPCError(code: .notFound, message: "unknown service") }
                return StreamingServerResponse(single: ServerResponse(message: [0x08, status]))
            }
        }
    }

    /// A gRPC server without the health service.
    struct NoServices: RegistrableRPCService {
        func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {}
    }

    private func withServer(_ service: any RegistrableRPCService, _ body: (Int) async throws -> Void) async throws {
        let port = try freeLoopbackPorts(1)[0]
        let server = GRPCServer(transport: HTTP2ServerTransport.Posix(address: .ipv4(host: "127.0.0.1", port: port), transportSecurity: .plaintext),
                                services: [service])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            _ = try await server.transport.listeningAddress
            try await body(port)
            server.beginGracefulShutdown()
            try await group.waitForAll()
        }
    }

    @Test("SERVING succeeds; NOT_SERVING, an unknown service, no health service and a closed port fail with upstream's words")
    func healthCheck() async throws {
        try await withServer(HealthService(statuses: ["": 1, "db": 2])) { port in
            #expect(await GRPCHealthProbe.probe(host: "127.0.0.1", port: port, service: "", timeout: .seconds(5)) == .success)
            let unhealthy = await GRPCHealthProbe.probe(host: "127.0.0.1", port: port, service: "db", timeout: .seconds(5))
            #expect(unhealthy == .failure("service unhealthy (responded with \"NOT_SERVING\")"))
            let unknown = await GRPCHealthProbe.probe(host: "127.0.0.1", port: port, service: "cache", timeout: .seconds(5))
            guard case .failure(let message) = unknown else { Issue.record("an unknown service passed"); return }
            #expect(message.hasPrefix("error: health rpc probe failed:") && message.contains("unknown service"), "\(message)")
        }
        try await withServer(NoServices()) { port in
            let result = await GRPCHealthProbe.probe(host: "127.0.0.1", port: port, service: "", timeout: .seconds(5))
            guard case .failure(let message) = result else { Issue.record("a server without health passed"); return }
            #expect(message.hasPrefix("this server does not implement the grpc health protocol (grpc.health.v1.Health)"), "\(message)")
        }
        let closed = try ClosedLoopbackPort()
        let refused = await GRPCHealthProbe.probe(host: "127.0.0.1", port: closed.port, service: "", timeout: .seconds(2))
        guard case .failure(let message) = refused else { Issue.record("a closed port passed"); return }
        #expect(message.hasPrefix("timeout: failed to connect service \"127.0.0.1:\(closed.port)\""), "\(message)")
    }

    @Test("the request and response encodings")
    func encoding() throws {
        #expect(GRPCHealthProbe.encodeRequest(service: "") == [])
        #expect(GRPCHealthProbe.encodeRequest(service: "db") == [0x0a, 2, UInt8(ascii: "d"), UInt8(ascii: "b")])
        #expect(try GRPCHealthProbe.decodeStatus([]) == 0)
        #expect(try GRPCHealthProbe.decodeStatus([0x08, 1]) == 1)
        // An unknown length-delimited field before the status is skipped.
        #expect(try GRPCHealthProbe.decodeStatus([0x12, 1, 0xff, 0x08, 3]) == 3)
    }
}

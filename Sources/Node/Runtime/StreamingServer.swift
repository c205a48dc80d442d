import Foundation
import Hummingbird
import HummingbirdWebSocket
import KubeAPI
import Logging
import NIOCore
import OCI
import RemoteCommand
import ServiceLifecycle

/// The runtime's streaming server (containerd's `stream_server_address`): serves the URLs `Exec` and `Attach` grant
/// as remote-command WebSockets (`v5.channel.k8s.io`, `v4.channel.k8s.io`), and those `PortForward` grants as
/// SPDY port-forward tunnels (`SPDY/3.1+portforward.k8s.io`); a plain `Upgrade: SPDY/3.1` to either gets the same
/// session on SPDY streams (`v4.channel.k8s.io`, `portforward.k8s.io`), as containerd's does. It listens on loopback by default,
/// as containerd's does, because only the kubelet on this node connects to it.
public struct StreamingServer: ServiceLifecycle.Service {
    let host: String
    let port: Int
    let runtime: ContainerRuntime
    let logger: Logger

    public init(host: String = "127.0.0.1", port: Int = 0, runtime: ContainerRuntime, logger: Logger) {
        self.host = host
        self.port = port
        self.runtime = runtime
        self.logger = logger
    }

    public func run() async throws {
        let runtime = runtime, logger = logger, sessions = runtime.streaming
        let webSockets = Router(context: BasicWebSocketRequestContext.self)
        webSockets.ws("/exec/:token", shouldUpgrade: { request, context in
            guard let token = context.parameters.get("token"), await sessions.isGranted(token),
                  let chosen = StreamProtocol.negotiate(offered: request.headers[.secWebSocketProtocol]) else { return .dontUpgrade }
            return .upgrade([.secWebSocketProtocol: chosen.rawValue])
        }, onUpgrade: { inbound, outbound, context in
            let token = String(context.request.uri.path.split(separator: "/").last ?? "")
            guard case .exec(let request)? = await sessions.take(token) else { return }
            await ExecSession(request: request, runtime: runtime, logger: logger)
                .run(WebSocketRemoteCommandPeer(inbound: inbound, outbound: outbound))
        })
        webSockets.ws("/attach/:token", shouldUpgrade: { request, context in
            guard let token = context.parameters.get("token"), await sessions.isGranted(token),
                  let chosen = StreamProtocol.negotiate(offered: request.headers[.secWebSocketProtocol]) else { return .dontUpgrade }
            return .upgrade([.secWebSocketProtocol: chosen.rawValue])
        }, onUpgrade: { inbound, outbound, context in
            let token = String(context.request.uri.path.split(separator: "/").last ?? "")
            guard case .attach(let request)? = await sessions.take(token) else { return }
            await AttachSession(request: request, logger: logger).run(WebSocketRemoteCommandPeer(inbound: inbound, outbound: outbound))
        })
        webSockets.ws("/portforward/:token", shouldUpgrade: { request, context in
            guard let token = context.parameters.get("token"), await sessions.isGranted(token),
                  let chosen = PortForwardProtocol.negotiate(offered: request.headers[.secWebSocketProtocol]) else { return .dontUpgrade }
            return .upgrade([.secWebSocketProtocol: chosen])
        }, onUpgrade: { inbound, outbound, context in
            let token = String(context.request.uri.path.split(separator: "/").last ?? "")
            guard case .portForward(let request)? = await sessions.take(token) else { return }
            if PortForwardProtocol.negotiate(offered: context.request.headers[.secWebSocketProtocol]) == PortForwardProtocol.channel {
                await ChannelPortForwardSession(request: request, logger: logger).run(inbound, outbound)
            } else {
                await PortForwardSession(request: request, logger: logger).run(inbound, outbound)
            }
        })
        // Anything that is not a granted stream: 404, or 400 for a plain request to a stream URL.
        let router = Router()
        router.get("/exec/:token") { _, _ -> Response in Response(status: .badRequest) }
        router.get("/attach/:token") { _, _ -> Response in Response(status: .badRequest) }
        router.get("/portforward/:token") { _, _ -> Response in Response(status: .badRequest) }
        let app = HTTPServerService(
            router: router,
            server: .streaming(webSocketRouter: webSockets) { head in await Self.spdyUpgrade(head, runtime: runtime, logger: logger) },
            address: .hostname(host, port: port),
            onServerRunning: { channel in
                let url = "http://\(host):\(channel.localAddress?.port ?? port)"
                await sessions.listening(at: url)
                logger.info("streaming server listening", metadata: ["url": "\(url)"])
            },
            logger: logger)
        // `run()`, not `runService()`: the latter traps SIGTERM/SIGINT itself, and a signal it caught ended this server
        // on its own — the enclosing service group then failed ("finished unexpectedly") instead of shutting down in
        // order (the agent skipped removing its pods). The group this runs in shuts it down.
        try await app.run()
    }

    /// The remote-command protocol SPDY clients get (client-go's v5 is v4 over SPDY).
    static let spdyRemoteCommandProtocols = [StreamProtocol.v4.rawValue]

    /// `Upgrade: SPDY/3.1` on a granted URL (client-go's SPDY executor and port-forwarder, relayed by the kubelet):
    /// the same sessions as over WebSocket, on SPDY streams. Anything else is left to the WebSocket routes.
    static func spdyUpgrade(_ head: UpgradeRequestHead, runtime: ContainerRuntime, logger: Logger) async -> StreamUpgradeDecision {
        guard head.upgrades(to: "SPDY/3.1") else { return .pass }
        let parts = head.path.split(separator: "/").map(String.init)
        let sessions = runtime.streaming
        guard parts.count == 2, ["exec", "attach", "portforward"].contains(parts[0]), await sessions.isGranted(parts[1]) else {
            return .text(404, "404 page not found")
        }
        let offered = head.values("X-Stream-Protocol-Version")
        let supported = parts[0] == "portforward" ? [PortForwardProtocol.spdy] : spdyRemoteCommandProtocols
        guard let chosen = offered.first(where: supported.contains) else {
            return .text(403, "unable to upgrade: unable to negotiate protocol: client supports \(offered), server supports \(supported)")
        }
        let token = parts[1]
        return .takeOver { connection in
            guard let grant = await sessions.take(token) else { return }
            try await connection.writeHead(status: 101, reason: "Switching Protocols", headers: [
                ("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1"), ("X-Stream-Protocol-Version", chosen)])
            let chunks = connection.inbound.map { Array($0.readableBytesView) }
            let write: @Sendable ([UInt8]) async throws -> Void = { bytes in try await connection.outbound.write(ByteBuffer(bytes: bytes)) }
            switch grant {
            case .portForward(let request):
                await PortForwardSession(request: request, logger: logger).run(chunks, write: write)
            case .exec(let request):
                let peer = try await SPDYRemoteCommandPeer.accept(chunks, writer: try SPDYFrameWriter(write: write), expecting: SPDYRemoteCommandPeer.expectedStreams(
                    stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, tty: request.tty))
                await ExecSession(request: request, runtime: runtime, logger: logger).run(peer)
            case .attach(let request):
                let peer = try await SPDYRemoteCommandPeer.accept(chunks, writer: try SPDYFrameWriter(write: write), expecting: SPDYRemoteCommandPeer.expectedStreams(
                    stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, tty: request.tty))
                await AttachSession(request: request, logger: logger).run(peer)
            }
        }
    }
}

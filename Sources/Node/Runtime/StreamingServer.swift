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
/// SPDY port-forward tunnels (`SPDY/3.1+portforward.k8s.io`). It listens on loopback by default,
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
            let files: ExecFiles
            do {
                files = try await runtime.execFiles(request.containerID, command: request.command, terminal: request.tty)
            } catch {
                try? await outbound.writeStreamStatus(.streamFailure("\(error)"))
                return
            }
            await ExecSession(request: request, files: files, runc: runtime.runc, logger: logger)
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
                  PortForwardProtocol.isOffered(request.headers[.secWebSocketProtocol]) else { return .dontUpgrade }
            return .upgrade([.secWebSocketProtocol: PortForwardProtocol.tunnel])
        }, onUpgrade: { inbound, outbound, context in
            let token = String(context.request.uri.path.split(separator: "/").last ?? "")
            guard case .portForward(let request)? = await sessions.take(token) else { return }
            await PortForwardSession(request: request, logger: logger).run(inbound, outbound)
        })
        // Anything that is not a granted stream: 404, or 400 for a plain request to a stream URL.
        let router = Router()
        router.get("/exec/:token") { _, _ -> Response in Response(status: .badRequest) }
        router.get("/attach/:token") { _, _ -> Response in Response(status: .badRequest) }
        router.get("/portforward/:token") { _, _ -> Response in Response(status: .badRequest) }
        let app = Application(
            router: router, server: .http1WebSocketUpgrade(webSocketRouter: webSockets, configuration: .streaming),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                let url = "http://\(host):\(channel.localAddress?.port ?? port)"
                await sessions.listening(at: url)
                logger.info("streaming server listening", metadata: ["url": "\(url)"])
            },
            logger: logger)
        try await app.runService()
    }
}

import Hummingbird
import HummingbirdWebSocket
import KubeAPI
import Logging
import RemoteCommand

extension APIServer {
    /// `pods/{name}/portforward` as a `SPDY/3.1+portforward.k8s.io` tunnel (kubectl ≥ 1.31), relayed unread to
    /// the kubelet; and `pods/{name}/exec` and `pods/{name}/attach` as remote-command WebSockets (`v5.channel.k8s.io`, which kubectl ≥ 1.30 asks for, or
    /// `v4.channel.k8s.io`, the Python client's), relayed to the kubelet of the pod's node. A refused request
    /// (no such pod or container, a completed pod) is still upgraded and gets its Status on the error channel,
    /// which kubectl prints: the HTTP stack behind a WebSocket upgrade answers a declined handshake with an
    /// empty 400, and would leave the user with no reason.
    static func streamRoutes(_ router: APIRouter, logger: Logger) -> Router<BasicWebSocketRequestContext> {
        let routes = Router(context: BasicWebSocketRequestContext.self)
        for subresource in ["exec", "attach"] {
            routes.ws("/api/v1/namespaces/:namespace/pods/:name/\(subresource)", shouldUpgrade: { request, _ in
                guard let chosen = StreamProtocol.negotiate(offered: request.headers[.secWebSocketProtocol]) else { return .dontUpgrade }
                return .upgrade([.secWebSocketProtocol: chosen.rawValue])
            }, onUpgrade: { inbound, outbound, context in
                let chosen = StreamProtocol.negotiate(offered: context.request.headers[.secWebSocketProtocol]) ?? .v4
                let parameters = context.requestContext.parameters
                let options = PodExecOptions(values: FormQuery(encoded: context.request.uri.query ?? "").values)
                do {
                    let url = try await router.podStreamURL(
                        namespace: parameters.get("namespace") ?? "", name: parameters.get("name") ?? "",
                        stream: subresource == "exec" ? .exec(options) : .attach(options))
                    let connection = try await WebSocketDialer.connect(url: url, subprotocols: [chosen.rawValue])
                    try await WebSocketRelay.relay(client: inbound, outbound, to: connection)
                } catch let status as Status {
                    try? await outbound.writeStreamStatus(status)
                } catch {
                    logger.info("\(subresource) stream failed", metadata: ["path": "\(context.request.uri.path)", "error": "\(error)"])
                    try? await outbound.writeStreamStatus(.streamFailure("error dialing backend: \(error)"))
                }
            })
        }
        routes.ws("/api/v1/namespaces/:namespace/pods/:name/portforward", shouldUpgrade: { request, _ in
            guard PortForwardProtocol.isOffered(request.headers[.secWebSocketProtocol]) else { return .dontUpgrade }
            return .upgrade([.secWebSocketProtocol: PortForwardProtocol.tunnel])
        }, onUpgrade: { inbound, outbound, context in
            let parameters = context.requestContext.parameters
            do {
                let url = try await router.podStreamURL(namespace: parameters.get("namespace") ?? "", name: parameters.get("name") ?? "",
                                                        stream: .portForward)
                let connection = try await WebSocketDialer.connect(url: url, subprotocols: [PortForwardProtocol.tunnel])
                try await WebSocketRelay.relay(client: inbound, outbound, to: connection)
            } catch {
                // The tunnel carries only SPDY frames, so there is no channel for a Status: the client sees the
                // connection end (kubectl checks the pod itself before it connects).
                logger.info("port forward stream failed", metadata: ["path": "\(context.request.uri.path)", "error": "\(error)"])
            }
        })
        return routes
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import KubeAPI
import Logging
import RemoteCommand

extension APIServer {
    /// `pods/{name}/portforward` as a `SPDY/3.1+portforward.k8s.io` tunnel (kubectl ≥ 1.31), relayed unread to
    /// the kubelet; and `pods/{name}/exec` as a remote-command WebSocket (`v5.channel.k8s.io`, which kubectl ≥ 1.30 asks for, or
    /// `v4.channel.k8s.io`, the Python client's), relayed to the kubelet of the pod's node. A refused request
    /// (no such pod or container, a completed pod) is still upgraded and gets its Status on the error channel,
    /// which kubectl prints: the HTTP stack behind a WebSocket upgrade answers a declined handshake with an
    /// empty 400, and would leave the user with no reason.
    static func streamRoutes(_ router: APIRouter, logger: Logger) -> Router<StreamRequestContext> {
        let routes = Router(context: StreamRequestContext.self)
        /// Authenticates and authorizes the upgrade request as any other (verb `create` on `pods/exec` or
        /// `pods/portforward`, as upstream checks WebSocket upgrades since 1.31); a refusal is answered with its Status.
        @Sendable func admit(_ request: Request, _ context: StreamRequestContext) async throws {
            guard let security = router.security else { return }
            var apiRequest = APIRequest(method: "POST", path: request.uri.path, query: [:], headers: [
                "authorization": request.headers[.authorization] ?? "",
            ].filter { !$0.value.isEmpty }, body: Data(), clientCertificate: await context.clientCertificate())
            if let refusal = await router.authenticate(&apiRequest, security) { throw StatusResponseError(response: refusal) }
        }
        @Sendable func target(_ request: Request, _ context: StreamRequestContext) async throws -> String {
            let query = FormQuery(encoded: request.uri.query ?? "")
            return try await router.podStreamURL(
                namespace: context.parameters.get("namespace") ?? "", name: context.parameters.get("name") ?? "",
                stream: .exec(PodExecOptions(values: query.values)))
        }
        routes.ws("/api/v1/namespaces/:namespace/pods/:name/exec", shouldUpgrade: { request, context in
            try await admit(request, context)
            guard let chosen = StreamProtocol.negotiate(offered: request.headers[.secWebSocketProtocol]) else { return .dontUpgrade }
            return .upgrade([.secWebSocketProtocol: chosen.rawValue])
        }, onUpgrade: { inbound, outbound, context in
            let chosen = StreamProtocol.negotiate(offered: context.request.headers[.secWebSocketProtocol]) ?? .v4
            do {
                let url = try await target(context.request, context.requestContext)
                let connection = try await WebSocketDialer.connect(url: url, subprotocols: [chosen.rawValue], tls: router.registry.core.kubelet.tls)
                try await WebSocketRelay.relay(client: inbound, outbound, to: connection)
            } catch let status as Status {
                try? await outbound.writeStreamStatus(status)
            } catch {
                logger.info("exec stream failed", metadata: ["path": "\(context.request.uri.path)", "error": "\(error)"])
                try? await outbound.writeStreamStatus(.streamFailure("error dialing backend: \(error)"))
            }
        })
        routes.ws("/api/v1/namespaces/:namespace/pods/:name/portforward", shouldUpgrade: { request, context in
            try await admit(request, context)
            guard PortForwardProtocol.isOffered(request.headers[.secWebSocketProtocol]) else { return .dontUpgrade }
            return .upgrade([.secWebSocketProtocol: PortForwardProtocol.tunnel])
        }, onUpgrade: { inbound, outbound, context in
            let parameters = context.requestContext.parameters
            do {
                let url = try await router.podStreamURL(namespace: parameters.get("namespace") ?? "", name: parameters.get("name") ?? "",
                                                        stream: .portForward)
                let connection = try await WebSocketDialer.connect(url: url, subprotocols: [PortForwardProtocol.tunnel], tls: router.registry.core.kubelet.tls)
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

/// A refused WebSocket upgrade, answered with the API server's Status body and code.
struct StatusResponseError: HTTPResponseError {
    let response: APIResponse

    var status: HTTPResponse.Status { HTTPResponse.Status(code: response.status) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        HTTPBridge.response(response)
    }
}

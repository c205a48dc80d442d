import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import KubeAPI
import Logging
import NIOCore
import RemoteCommand

extension APIServer {
    /// `pods/{name}/portforward` as a `SPDY/3.1+portforward.k8s.io` tunnel (kubectl ≥ 1.31) or in the
    /// `v4.channel.k8s.io` channel protocol (`?ports=…`, the Python client's), relayed unread to the kubelet; and `pods/{name}/exec` and `pods/{name}/attach` as remote-command WebSockets (`v5.channel.k8s.io`, which kubectl ≥ 1.30 asks for, or
    /// `v4.channel.k8s.io`, the Python client's), relayed to the kubelet of the pod's node. A refused request
    /// (no such pod or container, a completed pod) is still upgraded and gets its Status on the error channel,
    /// which kubectl prints: the HTTP stack behind a WebSocket upgrade answers a declined handshake with an
    /// empty 400, and would leave the user with no reason.
    static func streamRoutes(_ router: APIRouter, logger: Logger) -> Router<PeerStreamRequestContext> {
        let routes = Router(context: PeerStreamRequestContext.self)
        /// The upgrade's refusal by authentication or authorization (a connection's first request was already
        /// checked by `streamUpgrade`; later requests on a kept-alive connection come here only).
        @Sendable func admit(_ request: Request, _ context: PeerStreamRequestContext) async throws {
            var impersonation: [String: [String]] = [:]
            for field in request.headers where field.name.canonicalName.hasPrefix("impersonate-") {
                impersonation[field.name.canonicalName, default: []].append(field.value)
            }
            if let refusal = await Self.refusal(of: request.uri.path, authorization: request.headers[.authorization],
                                                clientCertificate: await context.clientCertificate(), impersonation: impersonation, router: router) {
                throw StatusResponseError(response: refusal)
            }
        }
        for subresource in ["exec", "attach"] {
            routes.ws("/api/v1/namespaces/:namespace/pods/:name/\(subresource)", shouldUpgrade: { request, context in
                try await admit(request, context)
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
                    let connection = try await WebSocketDialer.connect(url: url, subprotocols: [chosen.rawValue], tls: router.registry.core.kubelet.tls)
                    try await WebSocketRelay.relay(client: inbound, outbound, to: connection)
                } catch let status as Status {
                    try? await outbound.writeStreamStatus(status)
                } catch {
                    logger.info("\(subresource) stream failed", metadata: ["path": "\(context.request.uri.path)", "error": "\(error)"])
                    try? await outbound.writeStreamStatus(.streamFailure("error dialing backend: \(error)"))
                }
            })
        }
        routes.ws("/api/v1/namespaces/:namespace/pods/:name/portforward", shouldUpgrade: { request, context in
            try await admit(request, context)
            guard let chosen = PortForwardProtocol.negotiate(offered: request.headers[.secWebSocketProtocol]) else { return .dontUpgrade }
            if chosen == PortForwardProtocol.channel,
               case .failure(let error) = PortForwardProtocol.ports(FormQuery(encoded: request.uri.query ?? "").values("ports"), parameter: "ports") {
                throw StatusResponseError(response: .status(.badRequest(error.description)))
            }
            return .upgrade([.secWebSocketProtocol: chosen])
        }, onUpgrade: { inbound, outbound, context in
            let parameters = context.requestContext.parameters
            let chosen = PortForwardProtocol.negotiate(offered: context.request.headers[.secWebSocketProtocol]) ?? PortForwardProtocol.tunnel
            do {
                var url = try await router.podStreamURL(namespace: parameters.get("namespace") ?? "", name: parameters.get("name") ?? "",
                                                        stream: .portForward)
                if chosen == PortForwardProtocol.channel {
                    // The Python client's channel protocol: the ports go on to the kubelet as `port=`, as upstream's.
                    let ports = try PortForwardProtocol.ports(FormQuery(encoded: context.request.uri.query ?? "").values("ports"), parameter: "ports").get()
                    url += "?" + FormQuery(ports.map { ("port", String($0)) }).encoded
                }
                let connection = try await WebSocketDialer.connect(url: url, subprotocols: [chosen], tls: router.registry.core.kubelet.tls)
                try await WebSocketRelay.relay(client: inbound, outbound, to: connection)
            } catch {
                // The tunnel carries only SPDY frames, so there is no channel for a Status: the client sees the
                // connection end (kubectl checks the pod itself before it connects).
                logger.info("port forward stream failed", metadata: ["path": "\(context.request.uri.path)", "error": "\(error)"])
            }
        })
        return routes
    }

    /// The first look at an upgrade request, before Hummingbird's WebSocket handling: `pods/exec`, `pods/attach`
    /// and `pods/portforward` are checked as upstream checks them and a refusal is answered with its `Status` before
    /// any upgrade (kubectl then falls back to SPDY, is refused the same way and prints the reason); an
    /// `Upgrade: SPDY/3.1` (client-go's SPDY executor and port-forwarder) is passed on to the kubelet and relayed
    /// unread, as upstream's upgrade-aware proxy does. Everything else goes on to the WebSocket routes and the API.
    static func streamUpgrade(_ head: UpgradeRequestHead, router: APIRouter, logger: Logger) async -> StreamUpgradeDecision {
        let parts = head.path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        if parts.count >= 5, parts[0] == "api", parts[1] == "v1", parts[2] == "nodes", parts[4] == "proxy" {
            return await nodeProxyUpgrade(head, node: parts[3], rest: parts.dropFirst(5), router: router, logger: logger)
        }
        guard parts.count == 7, parts[0] == "api", parts[1] == "v1", parts[2] == "namespaces", parts[4] == "pods",
              ["exec", "attach", "portforward"].contains(parts[6]) else { return .pass }
        let spdy = head.upgrades(to: "SPDY/3.1")
        guard spdy || head.upgrades(to: "websocket") else { return .pass }
        let authorization = head.headers.first { $0.name.caseInsensitiveCompare("Authorization") == .orderedSame }?.value
        var impersonation: [String: [String]] = [:]
        for (name, value) in head.headers where name.lowercased().hasPrefix("impersonate-") {
            impersonation[name.lowercased(), default: []].append(value)
        }
        if let refusal = await refusal(of: head.path, authorization: authorization, clientCertificate: head.clientCertificate,
                                       impersonation: impersonation, router: router),
           case .data(let body) = refusal.body {
            return .respond(status: refusal.status, contentType: "application/json", body: Array(body))
        }
        let options = PodExecOptions(values: FormQuery(encoded: head.query).values)
        let stream: PodStream = switch parts[6] {
        case "exec": .exec(options)
        case "attach": .attach(options)
        default: .portForward
        }
        let url: String
        do {
            url = try await router.podStreamURL(namespace: parts[3], name: parts[5], stream: stream, countingSuccess: spdy)
        } catch let status as Status {
            return .status(status)
        } catch {
            return .status(.streamFailure("\(error)"))
        }
        guard spdy else { return .pass }
        return .takeOver { connection in
            do {
                try await SPDYUpgradeDialer.relay(connection, to: url, tls: router.registry.core.kubelet.tls)
            } catch let error as WebSocketDialError {
                // The kubelet could not be reached: nothing was answered yet, so the client gets the reason.
                logger.info("\(stream.subresource) SPDY stream failed", metadata: ["path": "\(head.path)", "error": "\(error)"])
                if case .respond(let status, let contentType, let body) = StreamUpgradeDecision.status(.streamFailure("error dialing backend: \(error.reason)")) {
                    try? await connection.writeHead(status: status, reason: "Internal Server Error", headers: [
                        ("Content-Type", contentType), ("Content-Length", "\(body.count)"), ("Connection", "close")])
                    try? await connection.outbound.write(ByteBuffer(bytes: body))
                }
            } catch {
                logger.info("\(stream.subresource) SPDY stream ended", metadata: ["path": "\(head.path)", "error": "\(error)"])
            }
        }
    }

    /// An upgrade (SPDY or WebSocket: exec, attach, portForward on the kubelet's port) on `nodes/{name}/proxy/…`,
    /// authorized as any request there (`get` or `create` on `nodes/proxy` by its method) and passed on to the node
    /// with its method and headers, then relayed unread both ways — upstream's upgrade-aware node proxy. The kubelet's
    /// own answer (its 101, or its refusal) reaches the client unchanged.
    static func nodeProxyUpgrade(_ head: UpgradeRequestHead, node: String, rest: ArraySlice<String>, router: APIRouter,
                                 logger: Logger) async -> StreamUpgradeDecision {
        guard head.upgrades(to: "SPDY/3.1") || head.upgrades(to: "websocket") else { return .pass }
        let authorization = head.headers.first { $0.name.caseInsensitiveCompare("Authorization") == .orderedSame }?.value
        var impersonation: [String: [String]] = [:]
        for (name, value) in head.headers where name.lowercased().hasPrefix("impersonate-") {
            impersonation[name.lowercased(), default: []].append(value)
        }
        if let refusal = await refusal(of: head.path, method: head.method, authorization: authorization, clientCertificate: head.clientCertificate,
                                       impersonation: impersonation, router: router),
           case .data(let body) = refusal.body {
            return .respond(status: refusal.status, contentType: "application/json", body: Array(body))
        }
        var url: String
        let viaKubelet: Bool
        do {
            let path = "/" + rest.joined(separator: "/") + (head.path.hasSuffix("/") && !rest.isEmpty ? "/" : "")
            let target = try await router.nodeProxyURL(name: node, path: path)
            (url, viaKubelet) = (target.url, target.viaKubelet)
        } catch let status as Status {
            return .status(status)
        } catch {
            return .status(.streamFailure("\(error)"))
        }
        if !head.query.isEmpty { url += "?" + head.query }
        let tls = viaKubelet ? router.registry.core.kubelet.tls : nil
        return .takeOver { [url] connection in
            do {
                try await SPDYUpgradeDialer.relayUpgrade(connection, to: url, tls: tls)
            } catch let error as WebSocketDialError {
                logger.info("node proxy upgrade failed", metadata: ["path": "\(head.path)", "error": "\(error)"])
                if case .respond(let status, let contentType, let body) = StreamUpgradeDecision.status(
                    Status(message: "error trying to reach service: \(error.reason)", reason: "ServiceUnavailable", code: 503)) {
                    try? await connection.writeHead(status: status, reason: "Service Unavailable", headers: [
                        ("Content-Type", contentType), ("Content-Length", "\(body.count)"), ("Connection", "close")])
                    try? await connection.outbound.write(ByteBuffer(bytes: body))
                }
            } catch {
                logger.info("node proxy upgrade ended", metadata: ["path": "\(head.path)", "error": "\(error)"])
            }
        }
    }

    /// Authenticates and authorizes a stream upgrade as any other request (verb `create` on `pods/exec`,
    /// `pods/attach` or `pods/portforward`, as upstream checks upgrades since 1.31; on `nodes/proxy` the verb of
    /// `method`): the refusal, or nil.
    static func refusal(of path: String, method: String = "POST", authorization: String?, clientCertificate: [UInt8]?,
                        impersonation: [String: [String]] = [:], router: APIRouter) async -> APIResponse? {
        guard let security = router.security else { return nil }
        var request = APIRequest(method: method, path: path, query: [:], headers: authorization.map { ["authorization": $0] } ?? [:],
                                 body: Data(), clientCertificate: clientCertificate, impersonation: impersonation)
        return await router.authenticate(&request, security)
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

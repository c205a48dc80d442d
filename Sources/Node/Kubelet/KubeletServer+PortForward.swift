import Hummingbird
import HummingbirdWebSocket
import Logging
import RemoteCommand

extension KubeletServer {
    /// `/portForward/{namespace}/{pod}` as a `SPDY/3.1+portforward.k8s.io` WebSocket tunnel (what the API
    /// server's `pods/portforward` connects to): asks the runtime for a `PortForward` URL for the pod's sandbox
    /// and relays the tunnel's messages to it unread; the runtime runs the SPDY session. A runtime whose streaming
    /// server declines the tunnel (containerd) gets the same SPDY bytes over a plain `Upgrade: SPDY/3.1`.
    /// In the channel protocol (`v4.channel.k8s.io`, `?port=N…`), the ports go into the `PortForward` request and
    /// the messages are relayed to the runtime in the same protocol.
    static func addPortForwardRoute(to router: Router<PeerStreamRequestContext>, workers: PodWorkers, auth: KubeletAuth?, logger: Logger) {
        router.ws("/portForward/:namespace/:pod", shouldUpgrade: { request, context in
            try await auth?.check(request, channel: context.channel)
            guard let chosen = PortForwardProtocol.negotiate(offered: request.headers[.secWebSocketProtocol]) else { return .dontUpgrade }
            if chosen == PortForwardProtocol.channel,
               case .failure(let error) = PortForwardProtocol.ports(FormQuery(encoded: request.uri.query ?? "").values("port"), parameter: "port") {
                throw HTTPError(.badRequest, message: error.description)
            }
            return .upgrade([.secWebSocketProtocol: chosen])
        }, onUpgrade: { inbound, outbound, context in
            let parameters = context.requestContext.parameters
            let namespace = parameters.get("namespace") ?? "", pod = parameters.get("pod") ?? ""
            do {
                if PortForwardProtocol.negotiate(offered: context.request.headers[.secWebSocketProtocol]) == PortForwardProtocol.channel {
                    let ports = try PortForwardProtocol.ports(FormQuery(encoded: context.request.uri.query ?? "").values("port"), parameter: "port").get()
                    let url = try await workers.portForwardURL(namespace: namespace, name: pod, ports: ports)
                    let connection = try await WebSocketDialer.connect(url: url, subprotocols: [PortForwardProtocol.channel])
                    try await WebSocketRelay.relay(client: inbound, outbound, to: connection)
                    return
                }
                let url = try await workers.portForwardURL(namespace: namespace, name: pod)
                let connection: WebSocketClientConnection
                do {
                    connection = try await WebSocketDialer.connect(url: url, subprotocols: [PortForwardProtocol.tunnel])
                } catch {
                    // A runtime without the tunnel (containerd) speaks SPDY after a plain HTTP upgrade; the refused
                    // attempt used up the one-time URL, so ask for another.
                    guard let refusal = error as? WebSocketDialError, refusal.declined else { throw error }
                    let retry = try await workers.portForwardURL(namespace: namespace, name: pod)
                    let upgraded = try await SPDYUpgradeDialer.connect(url: retry, streamProtocol: PortForwardProtocol.spdy)
                    try await upgraded.relay(client: inbound, outbound)
                    return
                }
                try await WebSocketRelay.relay(client: inbound, outbound, to: connection)
            } catch {
                // The tunnel has no channel for a reason: the client sees the connection end.
                logger.info("port forward stream failed", metadata: ["path": "\(context.request.uri.path)", "error": "\(error)"])
            }
        })
    }
}

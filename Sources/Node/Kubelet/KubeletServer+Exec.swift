import Hummingbird
import HummingbirdWebSocket
import KubeAPI
import Logging
import RemoteCommand

extension KubeletServer {
    /// `/exec/{namespace}/{pod}/{container}?command=…&input=1&output=1&error=1&tty=1` as a remote-command
    /// WebSocket (what the API server's `pods/exec` connects to): asks the runtime for an `Exec` URL and relays
    /// the stream to it. A runtime that speaks only v4 (containerd 1.6) gets v5's stdin-close signal dropped.
    static func addExecRoute(to router: Router<BasicWebSocketRequestContext>, workers: PodWorkers, logger: Logger) {
        router.ws("/exec/:namespace/:pod/:container", shouldUpgrade: { request, _ in
            guard let chosen = StreamProtocol.negotiate(offered: request.headers[.secWebSocketProtocol]) else { return .dontUpgrade }
            return .upgrade([.secWebSocketProtocol: chosen.rawValue])
        }, onUpgrade: { inbound, outbound, context in
            let request = context.request, parameters = context.requestContext.parameters
            let chosen = StreamProtocol.negotiate(offered: request.headers[.secWebSocketProtocol]) ?? .v4
            let query = FormQuery(encoded: request.uri.query ?? "")
            let flag = { (name: String) in ["1", "true"].contains(query.values(name).last ?? "") }
            let options = PodWorkers.ExecOptions(command: query.values("command"), stdin: flag("input"),
                                                 stdout: flag("output"), stderr: flag("error"), tty: flag("tty"))
            do {
                let url = try await workers.execURL(namespace: parameters.get("namespace") ?? "", name: parameters.get("pod") ?? "",
                                                    container: parameters.get("container") ?? "", options: options)
                let offered = chosen == .v4 ? [StreamProtocol.v4.rawValue] : [chosen.rawValue, StreamProtocol.v4.rawValue]
                let connection = try await WebSocketDialer.connect(url: url, subprotocols: offered)
                let dropsClose = chosen == .v5 && connection.subprotocol != StreamProtocol.v5.rawValue
                try await WebSocketRelay.relay(client: inbound, outbound, to: connection) { message in
                    dropsClose && message.first == StreamChannel.close.rawValue ? nil : message
                }
            } catch {
                logger.info("exec stream failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
                try? await outbound.writeStreamStatus(.streamFailure("\(error)"))
            }
        })
    }
}

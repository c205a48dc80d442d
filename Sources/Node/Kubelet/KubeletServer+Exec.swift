import Hummingbird
import HummingbirdWebSocket
import KubeAPI
import Logging
import RemoteCommand

extension KubeletServer {
    /// `/exec/{namespace}/{pod}/{container}?command=…&input=1&output=1&error=1&tty=1` and
    /// `/attach/{namespace}/{pod}/{container}?input=1&output=1&error=1&tty=1` as remote-command WebSockets (what the
    /// API server's `pods/exec` and `pods/attach` connect to): asks the runtime for an `Exec` or `Attach` URL and
    /// relays the stream to it. A runtime that speaks only v4 (containerd 1.6) gets v5's stdin-close signal dropped.
    static func addExecRoute(to router: Router<PeerStreamRequestContext>, workers: PodWorkers, auth: KubeletAuth?, logger: Logger) {
        addRemoteCommandRoute("exec", to: router, auth: auth, logger: logger) { namespace, pod, container, options in
            try await workers.execURL(namespace: namespace, name: pod, container: container, options: options)
        }
        addRemoteCommandRoute("attach", to: router, auth: auth, logger: logger) { namespace, pod, container, options in
            try await workers.attachURL(namespace: namespace, name: pod, container: container, options: options)
        }
    }

    /// The query of an exec or attach request in the kubelet's vocabulary.
    static func remoteCommandOptions(query encoded: String) -> PodWorkers.ExecOptions {
        let query = FormQuery(encoded: encoded)
        let flag = { (name: String) in ["1", "true"].contains(query.values(name).last ?? "") }
        return PodWorkers.ExecOptions(command: query.values("command"), stdin: flag("input"),
                                      stdout: flag("output"), stderr: flag("error"), tty: flag("tty"))
    }

    private static func addRemoteCommandRoute(
        _ verb: String, to router: Router<PeerStreamRequestContext>, auth: KubeletAuth?, logger: Logger,
        grant: @escaping @Sendable (_ namespace: String, _ pod: String, _ container: String, PodWorkers.ExecOptions) async throws -> String
    ) {
        router.ws("/\(verb)/:namespace/:pod/:container", shouldUpgrade: { request, context in
            try await auth?.check(request, channel: context.channel)
            guard let chosen = StreamProtocol.negotiate(offered: request.headers[.secWebSocketProtocol]) else { return .dontUpgrade }
            return .upgrade([.secWebSocketProtocol: chosen.rawValue])
        }, onUpgrade: { inbound, outbound, context in
            let request = context.request, parameters = context.requestContext.parameters
            let chosen = StreamProtocol.negotiate(offered: request.headers[.secWebSocketProtocol]) ?? .v4
            let options = remoteCommandOptions(query: request.uri.query ?? "")
            do {
                let url = try await grant(parameters.get("namespace") ?? "", parameters.get("pod") ?? "",
                                          parameters.get("container") ?? "", options)
                let offered = chosen == .v4 ? [StreamProtocol.v4.rawValue] : [chosen.rawValue, StreamProtocol.v4.rawValue]
                let connection = try await WebSocketDialer.connect(url: url, subprotocols: offered)
                let dropsClose = chosen == .v5 && connection.subprotocol != StreamProtocol.v5.rawValue
                try await WebSocketRelay.relay(client: inbound, outbound, to: connection) { message in
                    dropsClose && message.first == StreamChannel.close.rawValue ? nil : message
                }
            } catch {
                logger.info("\(verb) stream failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
                try? await outbound.writeStreamStatus(.streamFailure("\(error)"))
            }
        })
    }
}

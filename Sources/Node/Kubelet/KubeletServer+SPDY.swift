import Foundation
import Logging
import RemoteCommand

extension KubeletServer {
    /// `Upgrade: SPDY/3.1` on `/exec/…`, `/attach/…` and `/portForward/…` (client-go's SPDY executor and
    /// port-forwarder, through the API server): asks the runtime for the stream's URL as the WebSocket routes do and
    /// passes the upgrade on to it, relaying the connection unread; the runtime's streaming server (ours or
    /// containerd's) runs the SPDY session. A stream that cannot be granted is refused with a 500 and the reason in
    /// plain text, as upstream's kubelet answers (client-go prints it after "unable to upgrade connection: ").
    static func spdyUpgrade(_ head: UpgradeRequestHead, workers: PodWorkers, logger: Logger) async -> StreamUpgradeDecision {
        guard head.upgrades(to: "SPDY/3.1") else { return .pass }
        let parts = head.path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        let url: String
        do {
            switch (parts.first, parts.count) {
            case ("exec", 4):
                url = try await workers.execURL(namespace: parts[1], name: parts[2], container: parts[3],
                                                options: remoteCommandOptions(query: head.query))
            case ("attach", 4):
                url = try await workers.attachURL(namespace: parts[1], name: parts[2], container: parts[3],
                                                  options: remoteCommandOptions(query: head.query))
            case ("portForward", 3):
                url = try await workers.portForwardURL(namespace: parts[1], name: parts[2])
            default:
                return .text(404, "404 page not found")
            }
        } catch {
            logger.info("stream refused", metadata: ["path": "\(head.path)", "error": "\(error)"])
            let reason = "\(error)"
            let prefix = "unable to upgrade connection: "
            return .text(500, reason.hasPrefix(prefix) ? String(reason.dropFirst(prefix.count)) : reason)
        }
        return .takeOver { connection in
            do {
                try await SPDYUpgradeDialer.relay(connection, to: url)
            } catch {
                logger.info("SPDY stream failed", metadata: ["path": "\(head.path)", "error": "\(error)"])
            }
        }
    }
}

import Foundation
import GRPCCore

/// The exec requests the CRI `Exec` call has granted and the streaming server has not yet been asked for:
/// each is reachable once, through an unguessable token in its URL, for one minute (upstream's token cache
/// lifetime), so only the caller of the RPC — the kubelet — can open it.
public actor StreamingSessions {
    /// What a granted exec runs.
    public struct ExecRequest: Sendable {
        public var containerID: String
        public var command: [String]
        public var tty: Bool
        public var stdin: Bool
        public var stdout: Bool
        public var stderr: Bool
    }

    static let lifetime: Duration = .seconds(60)

    private var pending: [String: (request: ExecRequest, expires: ContinuousClock.Instant)] = [:]
    /// `http://host:port`, set once the streaming server listens.
    private(set) var baseURL: String?

    func listening(at url: String) { baseURL = url }

    /// Grants `request` and returns the URL that serves it.
    func grant(_ request: ExecRequest) throws(RuntimeError) -> String {
        guard let baseURL else { throw RuntimeError(.unavailable, "the streaming server is not listening yet") }
        let now = ContinuousClock.now
        pending = pending.filter { $0.value.expires > now }
        let token = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 36) }.joined()
        pending[token] = (request, now + Self.lifetime)
        return "\(baseURL)/exec/\(token)"
    }

    /// Whether `token` names a live grant (checked before the WebSocket handshake is accepted).
    func isGranted(_ token: String) -> Bool {
        pending[token].map { $0.expires > .now } ?? false
    }

    /// Takes the grant for `token`: a URL serves one stream.
    func take(_ token: String) -> ExecRequest? {
        guard let entry = pending.removeValue(forKey: token), entry.expires > .now else { return nil }
        return entry.request
    }
}

import Foundation
import GRPCCore

/// The streams the CRI `Exec`, `Attach` and `PortForward` calls have granted and the streaming server has not yet
/// been asked for: each is reachable once, through an unguessable token in its URL, for one minute (upstream's token
/// cache lifetime), so only the caller of the RPC — the kubelet — can open it.
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

    /// What a granted attach joins: the container's monitor's attach socket in its bundle.
    public struct AttachRequest: Sendable {
        public var containerID: String
        /// The container's bundle directory, where its monitor listens (`attach`).
        public var bundle: String
        public var stdin: Bool
        public var stdout: Bool
        public var stderr: Bool
        /// Whether the container has a terminal (then all output is stdout and resizes apply).
        public var tty: Bool
        /// The container keeps a stdin to write to (CRI `ContainerConfig.stdin`).
        public var containerStdin: Bool
        /// The container's stdin ends with the first attached client's (CRI `stdin_once`).
        public var stdinOnce: Bool
    }

    /// What a granted port forward reaches: the loopback of a sandbox's network namespace.
    public struct PortForwardRequest: Sendable {
        public var sandboxID: String
        /// The sandbox's network namespace; nil for a host-network pod (the runtime's own namespace).
        public var networkNamespace: String?
        /// The ports the caller named in the RPC; empty allows any (what the kubelet sends for SPDY clients).
        public var ports: [Int32]
    }

    /// One granted stream; its kind picks the URL path (`/exec/…`, `/attach/…`, `/portforward/…`).
    public enum Grant: Sendable {
        case exec(ExecRequest)
        case attach(AttachRequest)
        case portForward(PortForwardRequest)

        var path: String {
            switch self {
            case .exec: "exec"
            case .attach: "attach"
            case .portForward: "portforward"
            }
        }
    }

    static let lifetime: Duration = .seconds(60)

    private var pending: [String: (grant: Grant, expires: ContinuousClock.Instant)] = [:]
    /// `http://host:port`, set once the streaming server listens.
    private(set) var baseURL: String?

    func listening(at url: String) { baseURL = url }

    /// Grants `grant` and returns the URL that serves it.
    func grant(_ grant: Grant) throws(RuntimeError) -> String {
        guard let baseURL else { throw RuntimeError(.unavailable, "the streaming server is not listening yet") }
        let now = ContinuousClock.now
        pending = pending.filter { $0.value.expires > now }
        let token = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 36) }.joined()
        pending[token] = (grant, now + Self.lifetime)
        return "\(baseURL)/\(grant.path)/\(token)"
    }

    /// Whether `token` names a live grant (checked before the WebSocket handshake is accepted).
    func isGranted(_ token: String) -> Bool {
        pending[token].map { $0.expires > .now } ?? false
    }

    /// Takes the grant for `token`: a URL serves one stream.
    func take(_ token: String) -> Grant? {
        guard let entry = pending.removeValue(forKey: token), entry.expires > .now else { return nil }
        return entry.grant
    }
}

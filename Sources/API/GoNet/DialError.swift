#if canImport(Glibc)
import Glibc
#endif
import AsyncHTTPClient
import NIOCore
import NIOPosix

/// A TCP dial that failed, in the words of Go's `net.Dial`, which is how every Kubernetes component reports it: a
/// probe (`dial tcp 10.88.0.4:80: connect: connection refused`), client-go (`… i/o timeout`), the API server's proxy,
/// containerd pulling from a registry it cannot resolve (`dial tcp: lookup registry.example: no such host`).
///
/// `init?(_:host:port:)` finds the dial failure inside what SwiftNIO or AsyncHTTPClient threw, so each component
/// prints the same words whichever client it dialled with.
public struct DialError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Sendable, Equatable {
        /// `connect(2)` failed with this errno (ECONNREFUSED: nothing listens there).
        case connect(errno: Int32)
        /// No connection within the deadline.
        case timeout
        /// The host name does not resolve.
        case lookup(host: String)
    }

    /// `host:port` as dialled, an IPv6 host in brackets.
    public var address: String
    public var reason: Reason

    public init(address: String, reason: Reason) {
        self.address = address
        self.reason = reason
    }

    public init(host: String, port: Int, reason: Reason) {
        self.init(address: Self.address(host: host, port: port), reason: reason)
    }

    /// The dial failure in `error`, thrown while connecting to `host`:`port`, or nil when `error` is something else
    /// (a TLS handshake, a reset after connecting, a refused request).
    public init?(_ error: any Error, host: String, port: Int) {
        if let dial = error as? DialError {
            self = dial
        } else if let failure = error as? NIOConnectionError {
            if let attempt = failure.connectionErrors.first(where: { $0.error is IOError }), let refusal = attempt.error as? IOError {
                self.init(host: attempt.target.ipAddress ?? host, port: attempt.target.port ?? port, reason: .connect(errno: refusal.errnoCode))
            } else if failure.connectionErrors.isEmpty, failure.dnsAError != nil || failure.dnsAAAAError != nil {
                self.init(host: host, port: port, reason: .lookup(host: host))
            } else {
                return nil
            }
        } else if let failure = error as? IOError, Self.connectErrnos.contains(failure.errnoCode) {
            // NIO throws a bare IOError when it dialled one IP address; only errnos connect(2) alone gives are
            // a dial's (a reset or broken pipe comes later, from a read or write).
            self.init(host: host, port: port, reason: .connect(errno: failure.errnoCode))
        } else if error is SocketAddressError {
            self.init(host: host, port: port, reason: .lookup(host: host))
        } else if let failure = error as? HTTPClientError, failure == .connectTimeout {
            self.init(host: host, port: port, reason: .timeout)
        } else if let failure = error as? ChannelError, case .connectTimeout = failure {
            self.init(host: host, port: port, reason: .timeout)
        } else {
            return nil
        }
    }

    /// The errnos only `connect(2)` gives.
    static let connectErrnos: Set<Int32> = [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL, ETIMEDOUT]

    /// Whether nothing listened at the address (ECONNREFUSED).
    public var isConnectionRefused: Bool { reason == .connect(errno: ECONNREFUSED) }

    public var description: String {
        switch reason {
        case .connect(let errno):
            // Go's errno texts are glibc's with a lower-case first letter ("connection refused").
            let text = String(cString: strerror(errno))
            return "dial tcp \(address): connect: " + text.prefix(1).lowercased() + text.dropFirst()
        case .timeout:
            return "dial tcp \(address): i/o timeout"
        case .lookup(let host):
            return "dial tcp: lookup \(host): no such host"
        }
    }

    /// `host:port`, the host in brackets when it is an IPv6 address.
    public static func address(host: String, port: Int) -> String { (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }
}

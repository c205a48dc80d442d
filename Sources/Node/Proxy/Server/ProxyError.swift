import NFTables

/// A failure of the service proxy, with what it was doing and the underlying cause.
public struct ProxyError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The kernel rejected a transaction or a query (`cause` is the ``NFTablesError``).
        case kernel
        /// An `iptables`/`iptables-restore` command failed (`cause` is the ``IPTablesCommandError``, with its stderr).
        case command
        /// The desired rules could not be built (an unparsable address, say).
        case invalidModel
        /// A health server could not listen (address in use, not an address of this node).
        case listen
    }

    public let code: Code
    public let message: String
    public let cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The kernel's errno when the cause was an nftables error.
    public var errno: Int32? { (cause as? NFTablesError)?.errno }

    public var description: String {
        cause.map { "\(message): \($0)" } ?? message
    }
}

/// Why bringing a local cluster up or down failed, with what it was about; the commands print `description`.
public struct LocalClusterError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A daemon exited while it should be running.
        case daemonExited
        /// Something did not become ready in time.
        case timeout
        /// A host resource (address range, name, directory) is already in use.
        case conflict
        /// Setting up or removing interfaces, namespaces, files failed.
        case system
        /// The arguments cannot work (bad CIDR, too many nodes …).
        case invalid
        /// SIGINT/SIGTERM came while starting.
        case interrupted
    }

    public let code: Code
    public let message: String
    public let cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(message): \($0)" } ?? message
    }
}

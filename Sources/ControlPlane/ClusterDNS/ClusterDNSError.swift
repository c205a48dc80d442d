/// What can go wrong in the cluster DNS server, with a code the server maps to a DNS response code or a log line.
public struct ClusterDNSError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A message could not be parsed (answered with FORMERR when its header was readable).
        case malformedMessage
        /// A name or record could not be encoded (a label over 63 bytes, a name over 255).
        case unencodable
        /// No upstream answered in time (answered with SERVFAIL).
        case upstreamTimeout
        /// An upstream answered with something that is not an answer to the question, or the exchange failed.
        case upstreamFailure
        /// The configuration is unusable (an address that does not parse, say).
        case invalidConfiguration
        /// A listening socket could not be bound.
        case bind
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

import Foundation

/// Every failure of the image store: a `code` callers branch on (the CRI maps `.notFound` to gRPC NOT_FOUND,
/// `.unauthorized` to UNAUTHENTICATED, …), a message naming what was being done, including the registry's own
/// message from its JSON error body (`manifest unknown`), and the underlying cause.
public struct ImageError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, independent of the wording.
    public enum Code: Sendable, Hashable {
        /// The image, manifest, blob or platform does not exist.
        case notFound
        /// The registry refused the credentials, or asked for some and none were given.
        case unauthorized
        /// The image reference does not parse.
        case invalidReference
        /// Content did not hash to the digest that named it.
        case digestMismatch
        /// A manifest, config or layer media type this store cannot handle (zstd layers, schema-1 manifests).
        case unsupportedMediaType
        /// The registry answered with another HTTP status.
        case registry(status: Int)
        /// A malformed manifest, config, index, archive or layer tar, including paths escaping the layer.
        case invalidContent
        /// The registry could not be reached.
        case network
        /// A local file system operation failed.
        case io
    }

    public var code: Code
    public var message: String
    /// The underlying error (a `SystemError`, an HTTP client error, a decoding error), if any.
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let cause { text += " (\(cause))" }
        return text
    }
}

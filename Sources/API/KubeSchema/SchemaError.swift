/// Why a type's schema could not be recorded. These are programming errors in a type's `init(from:)` as seen
/// by a decoder without data, so they show up in the tests, not at run time.
public struct SchemaError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: Sendable, Hashable {
        /// A type requires (`decode`, not `decodeIfPresent`) a value of a type it is itself nested in, so no
        /// finite placeholder exists.
        case recursiveRequiredField
        /// The `init(from:)` uses a decoding feature the recorder does not model (unkeyed or nested containers,
        /// `superDecoder`). Describe the type with `SchemaDescribed` instead.
        case unsupportedDecoding
    }

    public var code: Code
    public var message: String
    /// The coding path where it happened, as dotted keys (`spec.template.spec`).
    public var path: String

    public init(code: Code, message: String, path: String) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

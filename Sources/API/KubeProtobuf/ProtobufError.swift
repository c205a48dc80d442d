/// Why a protobuf body could not be decoded, or a JSON object could not be encoded as protobuf.
///
/// The description names the field path and the byte offset, as in
/// `spec.template.spec.containers[0]: unexpected wire type 0 for field 2 (at byte 57)`, so a 400 response
/// tells the client where its body went wrong. An unregistered kind reads as upstream's scheme error:
/// `no kind "Gadget" is registered for version "v1"`.
public struct ProtobufError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What went wrong, coarsely, for mapping to an HTTP status.
    public enum Code: Sendable, Hashable {
        /// Bytes that are not a well-formed protobuf message (truncated, bad wire type, bad magic).
        case malformed
        /// The envelope names an `apiVersion`/`kind` with no message schema.
        case unknownKind
        /// A JSON value that cannot be encoded for its field (encoder only), or embedded JSON that does not parse.
        case invalidValue
    }

    public var code: Code
    /// What is wrong, without the path.
    public var reason: String
    /// The JSON path of the field being read (`spec.ports[0]`); empty at the top level.
    public var path: String
    /// The byte offset in the request body where the problem was found; `nil` when not about the bytes.
    public var offset: Int?

    public init(_ code: Code, _ reason: String, path: String = "", offset: Int? = nil) {
        self.code = code
        self.reason = reason
        self.path = path
        self.offset = offset
    }

    public var description: String {
        var text = path.isEmpty ? reason : "\(path): \(reason)"
        if let offset { text += " (at byte \(offset))" }
        return text
    }
}

import Foundation
import KubeAPI

/// Kubernetes' protobuf wire format (`application/vnd.kubernetes.protobuf`) for the kinds Swiftlet serves.
///
/// client-go's typed clients, and so `kubectl create configmap|secret|deployment|…`, send request bodies as
/// protobuf. The API server works in JSON, so it decodes such a body into the object's JSON form and goes on as
/// if the client had sent JSON:
///
/// ```swift
/// if contentType.hasPrefix(KubeProtobuf.contentType) {
///     let (object, unknown) = try KubeProtobuf.decodeWithUnknownFields(body)
///     // object["kind"] == "ConfigMap", object["data"] == ["a": "b"]; report `unknown` under fieldValidation=Strict
/// }
/// ```
///
/// The decoder is table-driven (no generated code): `Schemas` transcribes upstream's `generated.proto` for every
/// message reachable from the served kinds, plus `Binding`, `Scale` and meta `DeleteOptions`.
public enum KubeProtobuf {
    /// The media type of protobuf bodies.
    public static let contentType = "application/vnd.kubernetes.protobuf"

    /// Decodes a protobuf body (magic, `runtime.Unknown` envelope, object message) into the object's JSON form,
    /// with `apiVersion` and `kind` taken from the envelope. Unknown field numbers are skipped.
    ///
    /// - Throws: `ProtobufError` for malformed bytes, with the field path and byte offset, or for a kind with
    ///   no schema (`no kind "Gadget" is registered for version "v1"`).
    public static func decode(_ data: Data) throws -> JSONValue {
        try decodeWithUnknownFields(data).0
    }

    /// Like `decode(_:)`, and also returns the paths of fields whose numbers the schema does not know, written
    /// `path.#number` (`spec.template.spec.containers[0].#99`, or `#99` at the top level), in the order met,
    /// so the server can reject them under `fieldValidation=Strict` or warn under `Warn`.
    public static func decodeWithUnknownFields(_ data: Data) throws -> (JSONValue, unknown: [String]) {
        let bytes = [UInt8](data)
        let envelope = try Envelope(parsing: bytes)
        let schema = try Schemas.schema(apiVersion: envelope.apiVersion, kind: envelope.kind)
        let decoder = MessageDecoder(bytes: bytes)
        var object: [String: JSONValue] = [:]
        try decoder.decode(schema, region: envelope.raw, path: "", into: &object)
        object["apiVersion"] = .string(envelope.apiVersion)
        object["kind"] = .string(envelope.kind)
        return (.object(object), decoder.unknownFields)
    }

    /// Encodes an object's JSON form as a protobuf body (magic and envelope included), writing fields in
    /// field-number order as Go's marshaller does.
    ///
    /// - Throws: `ProtobufError` when `apiVersion`/`kind` are missing or unregistered, or a member has no field
    ///   in the schema or the wrong JSON type for it.
    public static func encode(_ object: JSONValue) throws -> Data {
        guard case .object(var members) = object,
              case .string(let apiVersion)? = members.removeValue(forKey: "apiVersion"),
              case .string(let kind)? = members.removeValue(forKey: "kind")
        else { throw ProtobufError(.invalidValue, "an object with string apiVersion and kind is required") }
        let schema = try Schemas.schema(apiVersion: apiVersion, kind: kind)
        let raw = try MessageEncoder.encode(members, as: schema, path: "")
        return Envelope.encode(apiVersion: apiVersion, kind: kind, raw: raw)
    }
}

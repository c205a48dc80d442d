import Foundation
import KubeAPI
import Testing
@testable import KubeProtobuf

/// Bad bodies fail with a `ProtobufError` naming the field path and byte offset.
struct MalformedInputTests {
    func body(_ apiVersion: String, _ kind: String, _ raw: [UInt8]) -> Data {
        Envelope.encode(apiVersion: apiVersion, kind: kind, raw: raw)
    }

    func configMap(_ raw: [UInt8]) -> Data { body("v1", "ConfigMap", raw) }

    func error(_ data: Data) throws -> ProtobufError {
        try #require(throws: ProtobufError.self) { try KubeProtobuf.decode(data) }
    }

    @Test func badMagic() throws {
        let e = try error(Data(#"{"kind":"ConfigMap"}"#.utf8))
        #expect(e.code == .malformed)
        #expect(e.offset == 0)
        #expect(e.description.contains("k8s\\0"))
    }

    @Test func truncatedVarint() throws {
        let e = try error(Data([0x6B, 0x38, 0x73, 0x00, 0x0A, 0x80]))
        #expect(e == ProtobufError(.malformed, "truncated varint", offset: 5))
    }

    @Test func truncatedVarintInsideTheObject() throws {
        // ConfigMap.immutable (field 4, varint) whose value is cut short.
        let data = configMap([0x20, 0xFF])
        let e = try error(data)
        #expect(e.reason == "truncated varint")
        #expect(e.offset == [UInt8](data).firstIndex(of: 0xFF))
    }

    @Test func lengthPastTheEnd() throws {
        let e = try error(configMap([0x0A, 0x7F, 0x0A]))
        #expect(e.reason == "length 127 runs past the end of the message")
    }

    @Test func wrongWireTypeNamesThePath() throws {
        // Deployment.spec(2).template(3).spec(2).containers(2)[0] = {name "a", image(2) as varint 5}.
        let container: [UInt8] = [0x0A, 0x01, 0x61, 0x10, 0x05]
        let podSpec = [0x12, UInt8(container.count)] + container
        let template = [0x12, UInt8(podSpec.count)] + podSpec
        let spec = [0x1A, UInt8(template.count)] + template
        let deployment = [0x12, UInt8(spec.count)] + spec
        let data = body("apps/v1", "Deployment", deployment)
        let e = try error(data)
        #expect(e.description.hasPrefix("spec.template.spec.containers[0]: unexpected wire type 0 for field 2"))
        let bytes = [UInt8](data)
        let tag = (0..<bytes.count - 1).first { bytes[$0] == 0x10 && bytes[$0 + 1] == 0x05 }
        #expect(e.offset == tag)
        #expect(e.description == "spec.template.spec.containers[0]: unexpected wire type 0 for field 2 (at byte \(tag!))")
    }

    @Test func groupsAreRejected() throws {
        let e = try error(configMap([0x0B]))  // field 1, wire type 3 (start group)
        #expect(e.reason == "unsupported wire type 3 for field 1")
    }

    @Test func unknownKind() throws {
        let e = try error(body("v1", "Gadget", []))
        #expect(e.code == .unknownKind)
        #expect(e.description == #"no kind "Gadget" is registered for version "v1""#)
        #expect(try error(body("example.com/v1", "ConfigMap", [])).description
                == #"no kind "ConfigMap" is registered for version "example.com/v1""#)
    }

    @Test func compressedEnvelopeIsRejected() throws {
        var unknown = WireWriter()
        unknown.writeStringField(3, "gzip")
        let e = try error(Data(Envelope.magic + unknown.bytes))
        #expect(e.reason == #"unsupported contentEncoding "gzip""#)
    }

    @Test func invalidEmbeddedJSON() throws {
        // ObjectMeta.managedFields(17)[0].fieldsV1(7) = {raw "{"}.
        let entry: [UInt8] = [0x3A, 0x03, 0x0A, 0x01, 0x7B]
        let metadata: [UInt8] = [0x8A, 0x01, UInt8(entry.count)] + entry
        let e = try error(configMap([0x0A, UInt8(metadata.count)] + metadata))
        #expect(e.code == .invalidValue)
        #expect(e.path == "metadata.managedFields[0].fieldsV1")
    }
}

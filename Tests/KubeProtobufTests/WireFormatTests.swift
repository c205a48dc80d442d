import Foundation
import KubeAPI
import Testing
@testable import KubeProtobuf

/// A tiny ConfigMap written byte by byte from the wire format, so the decoder and encoder are each checked
/// against the format itself and not only against each other.
struct WireFormatTests {
    static let tinyConfigMap: [UInt8] =
        [0x6B, 0x38, 0x73, 0x00]  // "k8s\0"
        + [0x0A, 0x0F]  // runtime.Unknown field 1 (typeMeta), 15 bytes
        + [0x0A, 0x02] + Array("v1".utf8)  // typeMeta.apiVersion
        + [0x12, 0x09] + Array("ConfigMap".utf8)  // typeMeta.kind
        + [0x12, 0x12]  // field 2 (raw), 18 bytes: the ConfigMap message
        + [0x0A, 0x06, 0x0A, 0x04] + Array("demo".utf8)  // 1 metadata {1 name "demo"}
        + [0x12, 0x06, 0x0A, 0x01, 0x61, 0x12, 0x01, 0x62]  // 2 data entry {1 key "a", 2 value "b"}
        + [0x20, 0x01]  // 4 immutable: varint 1
        + [0x1A, 0x00, 0x22, 0x00]  // 3 contentEncoding "", 4 contentType ""

    static let tinyConfigMapJSON: JSONValue = [
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "demo"], "data": ["a": "b"], "immutable": true,
    ]

    @Test func decodesHandWrittenBytes() throws {
        let decoded = try KubeProtobuf.decode(Data(Self.tinyConfigMap))
        #expect(decoded["apiVersion"] == "v1")
        #expect(decoded["kind"] == "ConfigMap")
        #expect(decoded[path: ["metadata", "name"]] == "demo")
        #expect(decoded["data"] == ["a": "b"])
        #expect(decoded["immutable"] == true)
        #expect(decoded == Self.tinyConfigMapJSON)
    }

    @Test func encodesToTheSameBytes() throws {
        #expect([UInt8](try KubeProtobuf.encode(Self.tinyConfigMapJSON)) == Self.tinyConfigMap)
    }

    @Test func negativeInt32IsATenByteVarint() throws {
        var writer = WireWriter()
        writer.writeVarintField(1, -1)
        #expect(writer.bytes == [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"], "spec": ["priority": -5]]
        #expect(try KubeProtobuf.decode(try KubeProtobuf.encode(pod)) == pod)
    }

    @Test func packedRepeatedVarintsAreAccepted() throws {
        // PodSecurityContext.supplementalGroups (field 4) packed: 3000, 4000.
        let context: [UInt8] = [0x22, 0x04, 0xB8, 0x17, 0xA0, 0x1F]
        let spec: [UInt8] = [0x72, UInt8(context.count)] + context  // PodSpec.securityContext = 14
        let pod: [UInt8] = [0x12, UInt8(spec.count)] + spec
        let decoded = try KubeProtobuf.decode(Envelope.encode(apiVersion: "v1", kind: "Pod", raw: pod))
        #expect(decoded[path: ["spec", "securityContext", "supplementalGroups"]] == [3000, 4000])
    }

    @Test func intOrStringHoldingAString() throws {
        // ServicePort {port 80, targetPort IntOrString{type 1, strVal "http"}}.
        let port: [UInt8] = [0x18, 0x50, 0x22, 0x08, 0x08, 0x01, 0x1A, 0x04] + Array("http".utf8)
        let service: [UInt8] = [0x12, UInt8(port.count + 2), 0x0A, UInt8(port.count)] + port
        let decoded = try KubeProtobuf.decode(Envelope.encode(apiVersion: "v1", kind: "Service", raw: service))
        #expect(decoded[path: ["spec", "ports"]] == [["port": 80, "targetPort": "http"]])
    }
}

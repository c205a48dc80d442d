import Foundation
import KubeAPI
import Testing
@testable import KubeProtobuf

/// Field numbers the schema does not know are skipped (forward compatibility) and reported with their paths.
struct UnknownFieldTests {
    @Test func reportsPathsAndKeepsTheRest() throws {
        // Deployment {metadata {name "web", #50 = 7}, spec {template {spec {containers [{name "app", #99 "x"}]}}}, #42 fixed32}
        let container: [UInt8] = [0x0A, 0x03] + Array("app".utf8) + [0x9A, 0x06, 0x01, 0x78]  // #99 length-delimited "x"
        let podSpec = [0x12, UInt8(container.count)] + container
        let template = [0x12, UInt8(podSpec.count)] + podSpec
        let spec = [0x1A, UInt8(template.count)] + template
        let metadata: [UInt8] = [0x0A, 0x03] + Array("web".utf8) + [0x90, 0x03, 0x07]  // #50 varint 7
        let deployment = [0x0A, UInt8(metadata.count)] + metadata + [0x12, UInt8(spec.count)] + spec
            + [0xD5, 0x02, 1, 2, 3, 4]  // #42 fixed32
        let data = Envelope.encode(apiVersion: "apps/v1", kind: "Deployment", raw: deployment)
        let (object, unknown) = try KubeProtobuf.decodeWithUnknownFields(data)
        #expect(unknown == ["metadata.#50", "spec.template.spec.containers[0].#99", "#42"])
        #expect(object[path: ["metadata", "name"]] == "web")
        #expect(object[path: ["spec", "template", "spec", "containers"]] == [["name": "app"]])
    }

    @Test func unknownFieldsInsideWellKnownMessages() throws {
        // Container.resources(8).limits(1) entry {key "cpu", value Quantity {string "1", #9 varint 1}}.
        let quantity: [UInt8] = [0x0A, 0x01, 0x31, 0x48, 0x01]
        let entry: [UInt8] = [0x0A, 0x03] + Array("cpu".utf8) + [0x12, UInt8(quantity.count)] + quantity
        let resources: [UInt8] = [0x0A, UInt8(entry.count)] + entry
        let container: [UInt8] = [0x42, UInt8(resources.count)] + resources
        let podSpec: [UInt8] = [0x12, UInt8(container.count)] + container
        let pod: [UInt8] = [0x12, UInt8(podSpec.count)] + podSpec
        let (object, unknown) = try KubeProtobuf.decodeWithUnknownFields(
            Envelope.encode(apiVersion: "v1", kind: "Pod", raw: pod))
        #expect(unknown == ["spec.containers[0].resources.limits.#9"])
        #expect(object[path: ["spec", "containers"]] == [["resources": ["limits": ["cpu": "1"]]]])
    }
}

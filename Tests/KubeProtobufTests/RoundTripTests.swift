import Foundation
import KubeAPI
import Testing
@testable import KubeProtobuf

/// JSON → protobuf → JSON for a rich object of every kind the decoder serves.
struct RoundTripTests {
    @Test(arguments: RichObjects.all.keys.sorted())
    func roundTrip(kind: String) throws {
        let object = try JSONValue(parsing: try #require(RichObjects.all[kind]))
        let body = try KubeProtobuf.encode(object)
        #expect(body.starts(with: [0x6B, 0x38, 0x73, 0x00]))
        let (decoded, unknown) = try KubeProtobuf.decodeWithUnknownFields(body)
        #expect(unknown.isEmpty)
        #expect(decoded == object, "\(kind): \(decoded.jsonString)")
    }

    @Test func everyRegisteredKindHasAFixture() {
        let registered = Set(Schemas.kinds.values.flatMap(\.keys))
        #expect(registered == Set(RichObjects.all.keys))
    }

    /// events.k8s.io/v1 shares the kind name `Event` with core/v1, so it has its own fixture rather than a `RichObjects` key.
    @Test func eventsV1EventRoundTripsUnderItsOwnMessage() throws {
        let object = try JSONValue(parsing: Data(#"""
            {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "web-1.17c", "namespace": "shop"},
             "eventTime": "2024-05-01T12:00:02.123456Z", "series": {"count": 3, "lastObservedTime": "2024-05-01T12:00:09.000001Z"},
             "reportingController": "kubernetes.io/kubelet", "reportingInstance": "node-1", "action": "Pull", "reason": "Pulled",
             "regarding": {"kind": "Pod", "namespace": "shop", "name": "web-1", "uid": "u-1", "apiVersion": "v1",
                           "resourceVersion": "4711", "fieldPath": "spec.containers{app}"},
             "related": {"kind": "Node", "name": "node-1"}, "note": "Successfully pulled image", "type": "Normal",
             "deprecatedSource": {"component": "kubelet", "host": "node-1"}, "deprecatedFirstTimestamp": "2024-05-01T12:00:02Z",
             "deprecatedLastTimestamp": "2024-05-01T12:00:09Z", "deprecatedCount": 4}
            """#.utf8))
        let (decoded, unknown) = try KubeProtobuf.decodeWithUnknownFields(try KubeProtobuf.encode(object))
        #expect(unknown.isEmpty)
        #expect(decoded == object, "\(decoded.jsonString)")
        // Field numbers as upstream's generated.proto: eventTime is 2, note 10, deprecatedCount 15.
        let body = [UInt8](try KubeProtobuf.encode(["apiVersion": "events.k8s.io/v1", "kind": "Event", "note": "n", "deprecatedCount": 2]))
        #expect(body.suffix(9).starts(with: [0x52, 0x01, 0x6E, 0x78, 0x02]))
    }

    /// autoscaling/v1 shares the kind name `HorizontalPodAutoscaler` with autoscaling/v2 (the `RichObjects` fixture),
    /// so it has its own fixture.
    @Test func horizontalPodAutoscalerV1RoundTripsUnderItsOwnMessage() throws {
        let object = try JSONValue(parsing: Data(#"""
            {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "web", "namespace": "shop", "annotations": {"autoscaling.alpha.kubernetes.io/metrics": "[]"}},
             "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"}, "minReplicas": 1, "maxReplicas": 3,
                      "targetCPUUtilizationPercentage": 0},
             "status": {"observedGeneration": 2, "lastScaleTime": "2024-05-01T12:00:00Z", "currentReplicas": 0, "desiredReplicas": 0,
                        "currentCPUUtilizationPercentage": 12}}
            """#.utf8))
        let (decoded, unknown) = try KubeProtobuf.decodeWithUnknownFields(try KubeProtobuf.encode(object))
        #expect(unknown.isEmpty)
        #expect(decoded == object, "\(decoded.jsonString)")
        // Field numbers as upstream's generated.proto: spec 2 { targetCPUUtilizationPercentage 4 }.
        let v1 = [UInt8](try KubeProtobuf.encode(["apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
                                                  "spec": ["targetCPUUtilizationPercentage": 50]]))
        #expect(v1.suffix(8).starts(with: [0x12, 0x02, 0x20, 0x32]))
        // autoscaling/v2's HPAScalingRules: selectPolicy 1, policies 2, stabilizationWindowSeconds 3.
        let v2 = [UInt8](try KubeProtobuf.encode(["apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                                                  "spec": ["behavior": ["scaleDown": ["stabilizationWindowSeconds": 300, "selectPolicy": "Min"]]]]))
        #expect(v2.suffix(18).starts(with: [0x12, 0x0C, 0x2A, 0x0A, 0x12, 0x08, 0x0A, 0x03] + Array("Min".utf8) + [0x18, 0xAC, 0x02]))
    }

    /// node.k8s.io/v1 RuntimeClass with upstream's field numbers: handler 2 (kept when empty: it has no omitempty),
    /// overhead 3 { podFixed 1 }, scheduling 4 { nodeSelector 1, tolerations 2 }.
    @Test func runtimeClassFieldNumbers() throws {
        let body = [UInt8](try KubeProtobuf.encode(["apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "handler": "runc",
                                                    "overhead": ["podFixed": ["cpu": "1"]],
                                                    "scheduling": ["nodeSelector": ["a": "b"], "tolerations": [["key": "k"]]]]))
        let handler: [UInt8] = [0x12, 0x04] + Array("runc".utf8)
        // podFixed entry {key "cpu", value Quantity {string "1"}}.
        let overhead: [UInt8] = [0x1A, 0x0C, 0x0A, 0x0A, 0x0A, 0x03] + Array("cpu".utf8) + [0x12, 0x03, 0x0A, 0x01, 0x31]
        let scheduling: [UInt8] = [0x22, 0x0D, 0x0A, 0x06, 0x0A, 0x01, 0x61, 0x12, 0x01, 0x62, 0x12, 0x03, 0x0A, 0x01, 0x6B]
        let message = handler + overhead + scheduling
        #expect(body.suffix(message.count + 4).starts(with: message), "\(body)")
        let empty = [UInt8](try KubeProtobuf.encode(["apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "handler": ""]))
        #expect(empty.suffix(6).starts(with: [0x12, 0x00]), "\(empty)")
    }

    @Test func deleteOptionsIsAcceptedUnderEveryGroupVersion() throws {
        for apiVersion in ["v1", "apps/v1", "batch/v1", "meta.k8s.io/v1", "discovery.k8s.io/v1"] {
            let object: JSONValue = ["apiVersion": .string(apiVersion), "kind": "DeleteOptions", "propagationPolicy": "Background"]
            #expect(try KubeProtobuf.decode(try KubeProtobuf.encode(object)) == object)
        }
    }

    @Test func encoderWritesFieldsInFieldNumberOrderAndMapKeysSorted() throws {
        // Secret's fields by number: metadata 1, data 2, type 3, stringData 4, immutable 5.
        let secret: JSONValue = ["apiVersion": "v1", "kind": "Secret", "immutable": true, "type": "Opaque",
                                 "stringData": ["k": "v"], "data": ["b": "Yg==", "a": "YQ=="], "metadata": ["name": "s"]]
        let body = [UInt8](try KubeProtobuf.encode(secret))
        let raw = Array(body[(4 + 2 + 0x0C + 2)...].dropLast(4))
        let expected: [UInt8] = [0x0A, 0x03, 0x0A, 0x01, 0x73]  // metadata {name: "s"}
            + [0x12, 0x06, 0x0A, 0x01, 0x61, 0x12, 0x01, 0x61]  // data entry a
            + [0x12, 0x06, 0x0A, 0x01, 0x62, 0x12, 0x01, 0x62]  // data entry b
            + [0x1A, 0x06] + Array("Opaque".utf8)  // type
            + [0x22, 0x06, 0x0A, 0x01, 0x6B, 0x12, 0x01, 0x76]  // stringData entry k
            + [0x28, 0x01]  // immutable
        #expect(raw == expected)
    }

    @Test func microTimeKeepsMicrosecondsAndTimeWholeSeconds() throws {
        let lease: JSONValue = ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": "l"],
                                "spec": ["renewTime": "2024-05-01T12:00:10.654321Z"]]
        #expect(try KubeProtobuf.decode(try KubeProtobuf.encode(lease)) == lease)
        let fractional: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap",
                                     "metadata": ["name": "c", "creationTimestamp": "2024-05-01T12:00:00.75Z"]]
        let decoded = try KubeProtobuf.decode(try KubeProtobuf.encode(fractional))
        #expect(decoded[path: ["metadata", "creationTimestamp"]] == "2024-05-01T12:00:00Z")
    }

    @Test func encoderRejectsMembersTheSchemaDoesNotKnow() {
        let object: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c", "nmae": "typo"]]
        #expect(throws: ProtobufError(.invalidValue, "unknown field \"nmae\" for meta.v1.ObjectMeta", path: "metadata")) {
            try KubeProtobuf.encode(object)
        }
    }
}

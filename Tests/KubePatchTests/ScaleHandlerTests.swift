import Foundation
import KubeAPI
import KubePatch
import Testing

/// apimachinery's ScaleHandler: the parent's owners of `spec.replicas` seen from the Scale, and a Scale write folded
/// back into the parent's managedFields.
@Suite struct ScaleHandlerTests {
    static let parentEntries = j("""
        [{"manager":"apply_test","operation":"Apply","apiVersion":"apps/v1","fieldsType":"FieldsV1",
          "fieldsV1":{"f:spec":{"f:replicas":{},"f:template":{"f:spec":{}}}}},
         {"manager":"hpa","operation":"Update","apiVersion":"apps/v1","time":"2026-01-01T00:00:00Z","fieldsType":"FieldsV1",
          "fieldsV1":{"f:spec":{"f:replicas":{}}},"subresource":"scale"},
         {"manager":"kube-controller-manager","operation":"Update","apiVersion":"apps/v1","time":"2026-01-01T00:00:00Z",
          "fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:replicas":{}}},"subresource":"status"}]
        """)

    func managers(_ entries: JSONValue) -> [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: (entries.arrayValue ?? []).map { ($0["manager"]?.stringValue ?? "", $0) })
    }

    @Test func theScaleSeesTheOwnersOfReplicasInItsOwnVersion() throws {
        let handler = try ScaleHandler(parentManagedFields: Self.parentEntries, parentAPIVersion: "apps/v1")
        let scale = managers(handler.toSubresource())
        #expect(Set(scale.keys) == ["apply_test", "hpa"])
        #expect(scale["apply_test"]?["apiVersion"] == "autoscaling/v1" && scale["apply_test"]?["fieldsV1"] == j(#"{"f:spec":{"f:replicas":{}}}"#))
        #expect(scale["hpa"]?["subresource"] == "scale" && scale["hpa"]?["time"] == "2026-01-01T00:00:00Z")
    }

    @Test func aForcedApplyOnTheScaleTakesReplicasFromTheParentsOwners() throws {
        let handler = try ScaleHandler(parentManagedFields: Self.parentEntries, parentAPIVersion: "apps/v1")
        let live = j(#"{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"test"},"spec":{"replicas":1}}"#)
        var scale = live
        scale["metadata"]?["managedFields"] = handler.toSubresource()
        let applied = j(#"{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"test"},"spec":{"replicas":17}}"#)
        let fieldManager = FieldManager(kind: "Scale", subresource: "scale")
        #expect(throws: PatchError.self) {
            try fieldManager.apply(applied, to: scale, manager: "apply_scale", apiVersion: "autoscaling/v1", force: false, now: Date())
        }
        let forced = try fieldManager.apply(applied, to: scale, manager: "apply_scale", apiVersion: "autoscaling/v1", force: true, now: Date())
        let parent = managers(try handler.toParent(forced[path: ["metadata", "managedFields"]]))
        #expect(Set(parent.keys) == ["apply_test", "apply_scale", "kube-controller-manager"], "hpa had only replicas")
        #expect(parent["apply_test"]?["fieldsV1"] == j(#"{"f:spec":{"f:template":{"f:spec":{}}}}"#))
        #expect(parent["apply_scale"]?["apiVersion"] == "apps/v1" && parent["apply_scale"]?["operation"] == "Apply"
            && parent["apply_scale"]?["subresource"] == "scale" && parent["apply_scale"]?["fieldsV1"] == j(#"{"f:spec":{"f:replicas":{}}}"#))
        #expect(parent["kube-controller-manager"] == managers(Self.parentEntries)["kube-controller-manager"])

        // The same value applied by another manager: co-owned, the existing owners' entries unchanged.
        let shared = try fieldManager.apply(j(#"{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"test"},"spec":{"replicas":1}}"#),
                                            to: scale, manager: "co_owner", apiVersion: "autoscaling/v1", force: false, now: Date())
        let coOwned = managers(try handler.toParent(shared[path: ["metadata", "managedFields"]]))
        #expect(coOwned["hpa"] == managers(Self.parentEntries)["hpa"] && coOwned["apply_test"] == managers(Self.parentEntries)["apply_test"])
        #expect(coOwned["co_owner"]?["fieldsV1"] == j(#"{"f:spec":{"f:replicas":{}}}"#))
    }
}

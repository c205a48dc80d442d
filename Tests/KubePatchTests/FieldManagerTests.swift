import Foundation
import KubeAPI
import KubePatch
import Testing

@Suite struct FieldManagerTests {
    let deployments = FieldManager(kind: "Deployment")
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    let t1 = Date(timeIntervalSince1970: 1_700_000_060)

    static let nginx = j("""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"nginx-deployment","labels":{"app":"nginx"}},
         "spec":{"replicas":3,"selector":{"matchLabels":{"app":"nginx"}},
          "template":{"metadata":{"labels":{"app":"nginx"}},
           "spec":{"containers":[{"name":"nginx","image":"nginx:1.14.2","ports":[{"containerPort":80}]}]}}}}
        """)

    func entries(_ object: JSONValue) -> [JSONValue] { object[path: ["metadata", "managedFields"]]?.arrayValue ?? [] }

    func entry(_ object: JSONValue, _ manager: String) -> JSONValue? {
        entries(object).first { $0["manager"]?.stringValue == manager }
    }

    /// The managedFields upstream records for this apply (Kubernetes server-side-apply documentation).
    @Test func firstApplyOwnsFieldsWithUpstreamFieldsV1() throws {
        let out = try deployments.apply(Self.nginx, to: nil, manager: "kubectl", apiVersion: "apps/v1", force: false, now: t0)
        #expect(out[path: ["spec", "replicas"]] == 3)
        let e = try #require(entry(out, "kubectl"))
        #expect(e["operation"] == "Apply")
        #expect(e["apiVersion"] == "apps/v1")
        #expect(e["fieldsType"] == "FieldsV1")
        #expect(e["time"] == "2023-11-14T22:13:20Z")
        #expect(e["fieldsV1"]?.jsonString == #"""
            {"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}}
            """#)
    }

    @Test func reapplyWithoutALabelRemovesIt() throws {
        var config = Self.nginx
        config["metadata"]?["labels"]?["tier"] = "web"
        let first = try deployments.apply(config, to: nil, manager: "kubectl", apiVersion: "apps/v1", force: false, now: t0)
        #expect(first[path: ["metadata", "labels", "tier"]] == "web")
        let second = try deployments.apply(Self.nginx, to: first, manager: "kubectl", apiVersion: "apps/v1", force: false, now: t1)
        #expect(second[path: ["metadata", "labels"]] == j(#"{"app":"nginx"}"#))
        #expect(entry(second, "kubectl")?[path: ["fieldsV1", "f:metadata"]] == j(#"{"f:labels":{"f:app":{}}}"#))
        #expect(entry(second, "kubectl")?["time"] == "2023-11-14T22:14:20Z")
    }

    @Test func fieldOwnedByAnotherManagerSurvivesReapply() throws {
        let first = try deployments.apply(Self.nginx, to: nil, manager: "kubectl", apiVersion: "apps/v1", force: false, now: t0)
        var edited = first
        edited["spec"]?["minReadySeconds"] = 5
        let second = try deployments.update(from: first, to: edited, manager: "kubectl-edit", apiVersion: "apps/v1", now: t1)
        let third = try deployments.apply(Self.nginx, to: second, manager: "kubectl", apiVersion: "apps/v1", force: false, now: t1)
        #expect(third[path: ["spec", "minReadySeconds"]] == 5)
    }

    @Test func identicalReapplyIsANoOp() throws {
        let first = try deployments.apply(Self.nginx, to: nil, manager: "kubectl", apiVersion: "apps/v1", force: false, now: t0)
        let again = try deployments.apply(Self.nginx, to: first, manager: "kubectl", apiVersion: "apps/v1", force: false, now: t1)
        #expect(again == first)
    }

    func scaledByClientSideApply() throws -> JSONValue {
        let applied = try deployments.apply(Self.nginx, to: nil, manager: "kubectl", apiVersion: "apps/v1", force: false, now: t0)
        var scaled = applied
        scaled["spec"]?["replicas"] = 5
        return try deployments.update(from: applied, to: scaled, manager: "kubectl-client-side-apply", apiVersion: "apps/v1", now: t1)
    }

    @Test func updateTakesOwnershipOfChangedFields() throws {
        let scaled = try scaledByClientSideApply()
        #expect(entry(scaled, "kubectl-client-side-apply")?["fieldsV1"] == j(#"{"f:spec":{"f:replicas":{}}}"#))
        #expect(entry(scaled, "kubectl-client-side-apply")?["operation"] == "Update")
        #expect(entry(scaled, "kubectl")?[path: ["fieldsV1", "f:spec", "f:replicas"]] == nil)
        #expect(entries(scaled).map { $0["manager"] } == ["kubectl", "kubectl-client-side-apply"])
    }

    @Test func applyChangingAnotherManagersFieldConflicts() async throws {
        let scaled = try scaledByClientSideApply()
        do {
            _ = try deployments.apply(Self.nginx, to: scaled, manager: "kubectl", apiVersion: "apps/v1", force: false, now: t1)
            Issue.record("expected a conflict")
        } catch {
            #expect(error.reason == .conflict)
            #expect(error.message == #"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas"#)
            #expect(error.causes == [.init(type: "FieldManagerConflict",
                                           message: #"conflict with "kubectl-client-side-apply" using apps/v1"#, field: ".spec.replicas")])
        }
    }

    @Test func applyingTheSameValueSharesOwnership() throws {
        let scaled = try scaledByClientSideApply()
        var config = Self.nginx
        config["spec"]?["replicas"] = 5
        let out = try deployments.apply(config, to: scaled, manager: "kubectl", apiVersion: "apps/v1", force: false, now: t1)
        #expect(entry(out, "kubectl")?[path: ["fieldsV1", "f:spec", "f:replicas"]] == [:])
        #expect(entry(out, "kubectl-client-side-apply")?[path: ["fieldsV1", "f:spec", "f:replicas"]] == [:])
    }

    @Test func forceTransfersOwnership() throws {
        let scaled = try scaledByClientSideApply()
        let out = try deployments.apply(Self.nginx, to: scaled, manager: "kubectl", apiVersion: "apps/v1", force: true, now: t1)
        #expect(out[path: ["spec", "replicas"]] == 3)
        #expect(entry(out, "kubectl")?[path: ["fieldsV1", "f:spec", "f:replicas"]] == [:])
        #expect(entry(out, "kubectl-client-side-apply") == nil)
    }

    @Test func multipleConflictsAreGroupedByManager() throws {
        let applied = try deployments.apply(Self.nginx, to: nil, manager: "kubectl", apiVersion: "apps/v1", force: false, now: t0)
        var config = Self.nginx
        config["spec"]?["replicas"] = 9
        config["metadata"]?["labels"]?["app"] = "other"
        #expect(throws: PatchError(.conflict, """
            Apply failed with 2 conflicts: conflicts with "kubectl":
            - .metadata.labels.app
            - .spec.replicas
            """, causes: [
                .init(type: "FieldManagerConflict", message: #"conflict with "kubectl""#, field: ".metadata.labels.app"),
                .init(type: "FieldManagerConflict", message: #"conflict with "kubectl""#, field: ".spec.replicas"),
            ])) {
            try deployments.apply(config, to: applied, manager: "helm", apiVersion: "apps/v1", force: false, now: t1)
        }
    }

    @Test func createByUpdateOwnsNewMapsWithDot() throws {
        let pod = j(#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"i"}]}}"#)
        let out = try FieldManager(kind: "Pod").update(from: nil, to: pod, manager: "kubectl-create", apiVersion: "v1", now: t0)
        #expect(entry(out, "kubectl-create")?["fieldsV1"] == j(#"""
            {"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:image":{},"f:name":{}}}}}
            """#))
    }

    @Test func statusWritesOwnStatusOnly() throws {
        let pods = FieldManager(kind: "Pod", subresource: "status")
        let live = j(#"{"metadata":{"name":"p"},"spec":{"nodeName":"a"}}"#)
        let new = j(#"{"metadata":{"name":"p"},"spec":{"nodeName":"b"},"status":{"phase":"Running"}}"#)
        let out = try pods.update(from: live, to: new, manager: "kubelet", apiVersion: "v1", now: t0)
        let e = try #require(entry(out, "kubelet"))
        #expect(e["subresource"] == "status")
        #expect(e["fieldsV1"] == j(#"{"f:status":{"f:phase":{}}}"#))
        let main = try FieldManager(kind: "Pod").update(from: live, to: new, manager: "kubectl", apiVersion: "v1", now: t0)
        #expect(entry(main, "kubectl")?["fieldsV1"] == j(#"{"f:spec":{"f:nodeName":{}}}"#))
    }

    @Test func fieldsV1RoundTrips() throws {
        let text = #"{"f:metadata":{"f:finalizers":{".":{},"v:\"a\"":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:image":{}}}}}"#
        let set = try FieldSet(fieldsV1: j(text))
        #expect(set.fieldsV1.jsonString == text)
        #expect(set.contains([.field("spec"), .field("containers"), .key([.init(name: "name", value: "c")])]))
        #expect(set.paths.map(\.pathString) == [
            ".metadata.finalizers", #".metadata.finalizers[="a"]"#,
            #".spec.containers[name="c"]"#, #".spec.containers[name="c"].image"#,
        ])
    }

    @Test func applyRejectsWrongVersionAndManagedFields() throws {
        #expect(throws: PatchError(.badRequest,
            "Incorrect version specified in apply patch. Specified patch version: apps/v1, expected: apps/v1beta2")) {
            try deployments.apply(Self.nginx, to: nil, manager: "kubectl", apiVersion: "apps/v1beta2", force: false, now: t0)
        }
        var config = Self.nginx
        config["metadata"]?["managedFields"] = []
        #expect(throws: PatchError(.badRequest, "metadata.managedFields must be nil")) {
            try deployments.apply(config, to: nil, manager: "kubectl", apiVersion: "apps/v1", force: false, now: t0)
        }
    }

    @Test func applyMergesKeyedListsAndSets() throws {
        let pods = FieldManager(kind: "Pod")
        let live = try pods.update(from: nil, to: j("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","finalizers":["x"]},
             "spec":{"containers":[{"name":"a","image":"1"},{"name":"b","image":"1"}]}}
            """), manager: "kubectl-create", apiVersion: "v1", now: t0)
        let config = j("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","finalizers":["y"]},
             "spec":{"containers":[{"name":"b","image":"1"},{"name":"c","image":"1"}]}}
            """)
        let out = try pods.apply(config, to: live, manager: "tool", apiVersion: "v1", force: false, now: t1)
        #expect(out[path: ["metadata", "finalizers"]] == j(#"["x","y"]"#))
        #expect(out[path: ["spec", "containers"]]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["a", "b", "c"])
        #expect(entry(out, "tool")?[path: ["fieldsV1", "f:metadata"]] == j(#"{"f:finalizers":{"v:\"y\"":{}}}"#))
    }

    @Test func updateRemovingAFieldTakesItFromItsOwner() throws {
        let applied = try deployments.apply(Self.nginx, to: nil, manager: "kubectl", apiVersion: "apps/v1", force: false, now: t0)
        var edited = applied
        edited["metadata"]?["labels"] = nil
        let out = try deployments.update(from: applied, to: edited, manager: "kubectl-edit", apiVersion: "apps/v1", now: t1)
        #expect(entry(out, "kubectl")?[path: ["fieldsV1", "f:metadata"]] == nil)
        #expect(entry(out, "kubectl-edit") == nil)
    }

    @Test func managerNameFallsBackToUserAgentPrefix() {
        #expect(FieldManager.managerName(fieldManager: "kubectl-edit", userAgent: "kubectl/v1.32.0") == "kubectl-edit")
        #expect(FieldManager.managerName(fieldManager: nil, userAgent: "kubectl/v1.32.0 (linux/amd64) kubernetes/70d3cc9") == "kubectl")
    }
}

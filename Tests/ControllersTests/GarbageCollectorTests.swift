import Controllers
import Foundation
import KubeAPI
import KubeClient
import Testing
import TestSupport

@Suite("Garbage collector and namespaces", .serialized)
struct GarbageCollectorTests {
    private func configMap(_ name: String, owner: ConfigMap? = nil, finalizers: [String]? = nil) -> ConfigMap {
        let refs = owner.map { [OwnerReference(apiVersion: "v1", kind: "ConfigMap", name: $0.metadata.name ?? "",
                                               uid: $0.metadata.uid ?? "", blockOwnerDeletion: true)] }
        return ConfigMap(metadata: ObjectMeta(name: name, namespace: "default", ownerReferences: refs, finalizers: finalizers))
    }

    private func exists(_ h: ControllerHarness, _ name: String) async throws -> ConfigMap? {
        do {
            return try await h.client.get(ConfigMap.self, name: name, namespace: "default")
        } catch let error where error.isNotFound {
            return nil
        }
    }

    @Test func backgroundOrphanAndForegroundDeletion() async throws {
        try await ControllerHarness.with(controllers: "garbage-collector-controller") { h in

            // Background: dependents of a deleted owner are deleted; Events are ignored like upstream's
            // DefaultIgnoredResources, so one naming the owner stays.
            let owner = try await h.client.create(configMap("owner"))
            let ownerRef = OwnerReference(apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata.uid ?? "")
            _ = try await h.client.create(Event(metadata: ObjectMeta(name: "owner.note", namespace: "default", ownerReferences: [ownerRef]),
                                                involvedObject: ObjectReference(kind: "ConfigMap", namespace: "default", name: "owner",
                                                                                uid: owner.metadata.uid, apiVersion: "v1"),
                                                reason: "Noted", message: "owned event", type: "Normal"))
            _ = try await h.client.create(configMap("child", owner: owner))
            try await h.client.delete(ConfigMap.self, name: "owner", namespace: "default")
            try await eventually("child collected") { try await exists(h, "child") == nil }
            try await Task.sleep(for: .seconds(1))
            let note = try await h.client.get(Event.self, name: "owner.note", namespace: "default")
            #expect(note.metadata.ownerReferences?.map(\.uid) == [owner.metadata.uid ?? ""])

            // Orphan: dependents stay, without the reference; then the owner goes.
            let keeper = try await h.client.create(configMap("keeper"))
            _ = try await h.client.create(configMap("kept", owner: keeper))
            try await h.client.delete(ConfigMap.self, name: "keeper", namespace: "default", options: DeleteOptions(propagationPolicy: .orphan))
            try await eventually("owner gone, dependent orphaned") {
                guard try await exists(h, "keeper") == nil, let kept = try await exists(h, "kept") else { return false }
                return (kept.metadata.ownerReferences ?? []).isEmpty
            }

            // Foreground: the owner stays until its blocking dependent is gone.
            let parent = try await h.client.create(configMap("parent"))
            _ = try await h.client.create(configMap("held", owner: parent, finalizers: ["example.com/hold"]))
            try await h.client.delete(ConfigMap.self, name: "parent", namespace: "default", options: DeleteOptions(propagationPolicy: .foreground))
            try await eventually("dependent being deleted") { try await exists(h, "held")?.metadata.deletionTimestamp != nil }
            try await Task.sleep(for: .seconds(1))
            let waiting = try #require(try await exists(h, "parent"))
            #expect(waiting.metadata.deletionTimestamp != nil)
            #expect(waiting.metadata.finalizers == ["foregroundDeletion"])
            _ = try await h.client.patch(ConfigMap.self, name: "held", namespace: "default", patchType: .merge, ["metadata": ["finalizers": nil]])
            try await eventually("owner deleted after its dependent") {
                let held = try await exists(h, "held")
                let parent = try await exists(h, "parent")
                return held == nil && parent == nil
            }
        }
    }

    @Test func foregroundCascadeOfADeploymentWithKubectl() async throws {
        try await ControllerHarness.with { h in
            _ = try await h.client.create(Deployment(metadata: ObjectMeta(name: "fg", namespace: "default"),
                                                     spec: DeploymentSpec(replicas: 2, selector: LabelSelector(matchLabels: ["app": "fg"]),
                                                                          template: template(["app": "fg"]))))
            try await eventually("deployment pods") { try await h.pods("app=fg").count == 2 }
            // kubectl waits until the Deployment is gone, which foreground deletion allows only after its ReplicaSet and
            // the ReplicaSet's pods.
            let deleted = try await h.kubectl("delete", "deployment", "fg", "--cascade=foreground", "--timeout=60s")
            #expect(deleted.status == 0, "\(deleted)")
            #expect(try await h.client.list(Pod.self, namespace: "default", options: ListOptions(labelSelector: "app=fg")).items.isEmpty)
            #expect(try await h.client.list(ReplicaSet.self, namespace: "default", options: ListOptions(labelSelector: "app=fg")).items.isEmpty)
        }
    }

    @Test func namespaceDeletionRemovesContentsAndDefaultServiceAccountIsCreated() async throws {
        try await ControllerHarness.with { h in
            _ = try await h.client.create(Namespace(metadata: ObjectMeta(name: "doomed")))
            try await eventually("default service account") {
                (try? await h.client.get(ServiceAccount.self, name: "default", namespace: "doomed")) != nil
            }
            _ = try await h.client.create(ConfigMap(metadata: ObjectMeta(name: "settings", namespace: "doomed")))
            _ = try await h.client.create(Deployment(metadata: ObjectMeta(name: "app", namespace: "doomed"),
                                                     spec: DeploymentSpec(replicas: 2, selector: LabelSelector(matchLabels: ["app": "ns"]),
                                                                          template: template(["app": "ns"]))))
            try await eventually("deployment pods") { try await h.pods("app=ns", namespace: "doomed").count == 2 }
            try await h.client.delete(Namespace.self, name: "doomed")
            try await eventually("namespace gone", timeout: .seconds(40)) {
                do {
                    _ = try await h.client.get(Namespace.self, name: "doomed")
                    return false
                } catch let error as KubeClientError where error.isNotFound {
                    return true
                }
            }
            #expect(try await h.client.list(ConfigMap.self, namespace: "doomed").items.isEmpty)
            #expect(try await h.client.list(Pod.self, namespace: "doomed").items.isEmpty)
        }
    }

    /// A namespace held by content with a finalizer reports it in its status as upstream's namespace deleter does
    /// (what `kubectl get ns x -o yaml` shows to explain a namespace stuck Terminating), and goes once it is freed.
    @Test func terminatingNamespaceReportsRemainingContentAndFinalizers() async throws {
        try await ControllerHarness.with { h in
            _ = try await h.client.create(Namespace(metadata: ObjectMeta(name: "held")))
            _ = try await h.client.create(ConfigMap(metadata: ObjectMeta(name: "kept", namespace: "held", finalizers: ["example.com/hold"])))
            try await h.client.delete(Namespace.self, name: "held")
            func conditions() async throws -> [String: NamespaceCondition] {
                let namespace = try await h.client.get(Namespace.self, name: "held")
                return Dictionary((namespace.status?.conditions ?? []).map { ($0.type, $0) }, uniquingKeysWith: { a, _ in a })
            }
            try await eventually("the remaining content reported") { try await conditions()["NamespaceFinalizersRemaining"]?.status == "True" }
            let held = try await conditions()
            #expect(held["NamespaceContentRemaining"]?.status == "True" && held["NamespaceContentRemaining"]?.reason == "SomeResourcesRemain")
            #expect(held["NamespaceContentRemaining"]?.message == "Some resources are remaining: configmaps. has 1 resource instances")
            #expect(held["NamespaceFinalizersRemaining"]?.reason == "SomeFinalizersRemain")
            #expect(held["NamespaceFinalizersRemaining"]?.message == "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances")
            #expect(held["NamespaceDeletionContentFailure"]?.status == "False" && held["NamespaceDeletionContentFailure"]?.reason == "ContentDeleted")
            #expect(held.count == 5, "\(held.keys.sorted())")
            let stuck = try await h.kubectl("get", "namespace", "held", "-o", "jsonpath={.status.phase}")
            #expect(stuck.stdout == "Terminating")
            _ = try await h.kubectl("patch", "configmap", "kept", "-n", "held", "--type=merge", "-p", #"{"metadata":{"finalizers":null}}"#)
            try await eventually("namespace gone", timeout: .seconds(40)) {
                do {
                    _ = try await h.client.get(Namespace.self, name: "held")
                    return false
                } catch let error as KubeClientError where error.isNotFound {
                    return true
                }
            }
        }
    }
}

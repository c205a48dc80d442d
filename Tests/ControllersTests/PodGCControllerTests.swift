@testable import Controllers
import Foundation
import KubeAPI
import KubeClient
import Testing
import TestSupport

/// The pod garbage collector against a real `swiftlet server`, with short timings (a 0.5 s pass, a 2 s quarantine).
@Suite(.serialized)
struct PodGCControllerTests {
    static let quick = PodGCController.Configuration(terminatedPodThreshold: 2, checkPeriod: .milliseconds(500), quarantine: .seconds(2))

    func pod(_ name: String, node: String?, labels: [String: String] = [:]) -> Pod {
        Pod(metadata: ObjectMeta(name: name, namespace: "default", labels: labels),
            spec: PodSpec(containers: [Container(name: "c", image: "x")], nodeName: node))
    }

    @Test("pods of a deleted node are marked Failed with DisruptionTarget DeletionByPodGC and force-deleted after the quarantine; others stay",
          .timeLimit(.minutes(2)))
    func orphanedPods() async throws {
        try await ControllerHarness.with(controllers: "podgc", podGC: Self.quick) { h in
            try await h.createNode("stays")
            try await h.createNode("goes")
            try await h.markReady(try await h.client.create(pod("kept", node: "stays")))
            let orphan = try await h.markReady(try await h.client.create(pod("orphan", node: "goes")))
            // A watch sees the Failed mark before the deletion.
            let marked = Task { () async throws -> Pod? in
                for try await event in h.client.watch(Pod.self, namespace: "default", resourceVersion: orphan.metadata.resourceVersion) {
                    guard let pod = event.object, pod.metadata.name == "orphan", pod.status?.phase == "Failed" else { continue }
                    return pod
                }
                return nil
            }
            let deleted = ContinuousClock.now
            try await h.client.delete(Node.self, name: "goes")
            try await eventually("the orphan is deleted") {
                (try? await h.client.get(Pod.self, name: "orphan", namespace: "default")) == nil
            }
            // Not before the quarantine.
            #expect(ContinuousClock.now - deleted >= .seconds(2))
            let failed = try #require(try await marked.value)
            let condition = failed.status?.conditions?.first { $0.type == "DisruptionTarget" }
            #expect(condition?.status == "True" && condition?.reason == "DeletionByPodGC" && condition?.message == "PodGC: node no longer exists",
                    "\(String(describing: failed.status?.conditions))")
            try await Task.sleep(for: .seconds(1))
            #expect(try await h.client.get(Pod.self, name: "kept", namespace: "default").status?.phase == "Running")
        }
    }

    @Test("terminated pods beyond --terminated-pod-gc-threshold go, evicted then oldest first; terminating pods on an out-of-service NotReady node are force-deleted",
          .timeLimit(.minutes(2)))
    func terminatedAndOutOfService() async throws {
        try await ControllerHarness.with(controllers: "podgc", podGC: Self.quick) { h in
            try await h.createNode("n")
            func finish(_ name: String, phase: String, reason: String? = nil) async throws {
                _ = try await h.client.create(pod(name, node: "n"))
                var status: JSONValue = ["phase": .string(phase)]
                if let reason { status["reason"] = .string(reason) }
                _ = try await h.client.patch(Pod.self, name: name, namespace: "default", patchType: .merge, ["status": status], subresource: "status")
                // Distinct creation seconds, so age orders them.
                try await Task.sleep(for: .milliseconds(1100))
            }
            try await finish("old", phase: "Succeeded")
            try await finish("middle", phase: "Failed")
            try await finish("young", phase: "Succeeded")
            try await finish("evicted", phase: "Failed", reason: "Evicted")
            // Four terminated, threshold two: the evicted one, then the oldest.
            try await eventually("two terminated pods are deleted") {
                try await h.client.list(Pod.self, namespace: "default").items.compactMap(\.metadata.name).sorted() == ["middle", "young"]
            }

            // A pod being deleted gracefully on a node whose kubelet is gone stays terminating until the node is
            // tainted out of service.
            try await h.createNode("down")
            _ = try await h.markReady(try await h.client.create(pod("stuck", node: "down")))
            try await h.postNodeStatus("down", ready: "False")
            try await h.client.delete(Pod.self, name: "stuck", namespace: "default", options: DeleteOptions(gracePeriodSeconds: 300))
            try await Task.sleep(for: .seconds(2))
            #expect(try await h.client.get(Pod.self, name: "stuck", namespace: "default").metadata.deletionTimestamp != nil)
            var node = try await h.client.get(Node.self, name: "down")
            node.spec = NodeSpec(taints: [Taint(key: "node.kubernetes.io/out-of-service", value: "nodeshutdown", effect: "NoExecute")])
            _ = try await h.client.update(node)
            try await eventually("the terminating pod is force-deleted") {
                (try? await h.client.get(Pod.self, name: "stuck", namespace: "default")) == nil
            }
        }
    }

    @Test func deletionOrderPutsEvictedThenOldestFirst() {
        func pod(_ name: String, age: TimeInterval, evicted: Bool = false) -> Pod {
            var status = PodStatus(phase: evicted ? "Failed" : "Succeeded")
            status.reason = evicted ? "Evicted" : nil
            return Pod(metadata: ObjectMeta(name: name, creationTimestamp: Time(Date(timeIntervalSince1970: 1_000_000 - age))), status: status)
        }
        let order = PodGCController.deletionOrder([pod("b", age: 10), pod("new-evicted", age: 1, evicted: true), pod("a", age: 10), pod("oldest", age: 100)])
        #expect(order.compactMap(\.metadata.name) == ["new-evicted", "oldest", "a", "b"])
    }
}

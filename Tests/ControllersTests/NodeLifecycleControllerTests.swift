@testable import Controllers
import Foundation
import KubeAPI
import KubeClient
import Testing
import TestSupport

@Suite("Node lifecycle and taint eviction", .serialized)
struct NodeLifecycleControllerTests {
    /// Short timings: a node silent for 3 s is lost.
    static let timing = NodeLifecycleController.Configuration(nodeMonitorPeriod: .seconds(1), nodeMonitorGracePeriod: .seconds(3),
                                                              nodeStartupGracePeriod: .seconds(3))

    static func pod(_ name: String, on node: String, tolerations: [Toleration]? = nil) -> Pod {
        Pod(metadata: ObjectMeta(name: name, namespace: "default", labels: ["app": "lifecycle"]),
            spec: PodSpec(containers: [Container(name: "main", image: "nginx:1.25")], nodeName: node, tolerations: tolerations))
    }

    static func node(_ h: ControllerHarness, _ name: String) async throws -> Node {
        try await h.client.get(Node.self, name: name)
    }

    @Test func silentNodeGoesUnknownIsTaintedAndLosesPodsThatDoNotTolerateItForever() async throws {
        try await ControllerHarness.with(nodeLifecycle: Self.timing) { h in
            try await h.createNode("node-ok")
            try await h.createNode("node-lost")
            let unreachable = "node.kubernetes.io/unreachable"
            let shortLived = try await h.client.create(Self.pod("short", on: "node-lost", tolerations: [
                Toleration(key: unreachable, operator: "Exists", effect: "NoExecute", tolerationSeconds: 2),
            ]))
            let forever = try await h.client.create(Self.pod("forever", on: "node-lost", tolerations: [
                Toleration(key: unreachable, operator: "Exists", effect: "NoExecute"),
            ]))
            let defaulted = try await h.client.create(Self.pod("defaulted", on: "node-lost"))
            let healthy = try await h.client.create(Self.pod("healthy", on: "node-ok"))
            for pod in [shortLived, forever, defaulted, healthy] { try await h.markReady(pod) }

            try await h.keepingLeasesRenewed(["node-ok"]) {
                // node-lost's Lease is never renewed again.
                try await eventually("the silent node goes Unknown", timeout: .seconds(20)) {
                    let conditions = try await Self.node(h, "node-lost").status?.conditions ?? []
                    return conditions.contains { $0.type == "Ready" && $0.status == "Unknown" && $0.reason == "NodeStatusUnknown"
                        && $0.message == "Kubelet stopped posting node status." }
                }
                let conditions = try await Self.node(h, "node-lost").status?.conditions ?? []
                for type in ["MemoryPressure", "DiskPressure", "PIDPressure"] {
                    #expect(conditions.contains { $0.type == type && $0.status == "Unknown" }, "\(type) should be Unknown")
                }
                try await eventually("the unreachable taints", timeout: .seconds(10)) {
                    let taints = try await Self.node(h, "node-lost").spec?.taints ?? []
                    return taints.contains { $0.key == unreachable && $0.effect == "NoExecute" && $0.timeAdded != nil }
                        && taints.contains { $0.key == unreachable && $0.effect == "NoSchedule" }
                }
                try await eventually("pods on the lost node are not ready") {
                    let ready = try await h.client.get(Pod.self, name: "forever", namespace: "default").status?.conditions?
                        .first { $0.type == "Ready" }?.status
                    return ready == "False"
                }
                try await eventually("the node's events") {
                    let events = try await h.events(about: "Node", "node-lost")
                    return events.contains("Normal/RegisteredNode: Node node-lost event: Registered Node node-lost in Controller")
                        && events.contains("Normal/NodeNotReady: Node node-lost status is now: NodeNotReady")
                }
                // tolerationSeconds 2: evicted about two seconds after the taint, marked as a disruption target.
                try await eventually("the pod tolerating the taint for 2 s is evicted", timeout: .seconds(10)) {
                    let pod = try await h.client.get(Pod.self, name: "short", namespace: "default")
                    return pod.metadata.deletionTimestamp != nil
                        && pod.status?.conditions?.contains { $0.type == "DisruptionTarget" && $0.reason == "DeletionByTaintManager" } == true
                }
                // Not at once: the eviction waited out the 2 s (deletion stamps are whole seconds).
                let evicted = try await h.client.get(Pod.self, name: "short", namespace: "default")
                let taint = try #require(try await Self.node(h, "node-lost").spec?.taints?.first { $0.key == unreachable && $0.effect == "NoExecute" })
                let evictedAt = try #require(evicted.metadata.deletionTimestamp).date
                    .addingTimeInterval(-TimeInterval(evicted.metadata.deletionGracePeriodSeconds ?? 0))
                #expect(evictedAt.timeIntervalSince(try #require(taint.timeAdded).date) >= 1)
                try await Task.sleep(for: .seconds(3))
                let kept = try await h.client.get(Pod.self, name: "forever", namespace: "default")
                #expect(kept.metadata.deletionTimestamp == nil, "a toleration without tolerationSeconds tolerates forever")
                let waiting = try await h.client.get(Pod.self, name: "defaulted", namespace: "default")
                #expect(waiting.metadata.deletionTimestamp == nil, "the default 300 s toleration has not run out")
                let other = try await h.client.get(Pod.self, name: "healthy", namespace: "default")
                #expect(other.metadata.deletionTimestamp == nil && other.isReadyForTest)
                let okNode = try await Self.node(h, "node-ok")
                #expect(okNode.status?.conditions?.first { $0.type == "Ready" }?.status == "True")
                let okTaints = okNode.spec?.taints ?? []
                #expect(okTaints.isEmpty)

                // The kubelet comes back: the taints go.
                try await h.renewLease("node-lost")
                try await h.postNodeStatus("node-lost")
                try await h.keepingLeasesRenewed(["node-lost"]) {
                    try await eventually("taints removed from the recovered node", timeout: .seconds(10)) {
                        try await (Self.node(h, "node-lost").spec?.taints ?? []).isEmpty
                    }
                }
            }
        }
    }

    @Test func aClusterWhoseOnlyNodeIsLostEvictsNothing() async throws {
        try await ControllerHarness.with(nodeLifecycle: Self.timing) { h in
            try await h.createNode("lonely")
            _ = try await h.client.create(Self.pod("stays", on: "lonely", tolerations: [
                Toleration(key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 0),
            ]))
            try await eventually("the node goes Unknown", timeout: .seconds(20)) {
                try await Self.node(h, "lonely").status?.conditions?.contains { $0.type == "Ready" && $0.status == "Unknown" } == true
            }
            // Every zone fully disrupted looks like the control plane's own outage: no NoExecute taint, no eviction.
            try await Task.sleep(for: .seconds(4))
            let taints = try await Self.node(h, "lonely").spec?.taints ?? []
            #expect(!taints.contains { $0.effect == "NoExecute" })
            #expect(taints.contains { $0.key == "node.kubernetes.io/unreachable" && $0.effect == "NoSchedule" })
            #expect(try await h.client.get(Pod.self, name: "stays", namespace: "default").metadata.deletionTimestamp == nil)
        }
    }

    @Test func admissionAddsTheDefaultNotReadyAndUnreachableTolerations() async throws {
        try await ControllerHarness.with(controllers: nil) { h in
            let plain = try await h.client.create(Self.pod("plain", on: "nowhere"))
            for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] {
                #expect(plain.spec?.tolerations?.contains { $0.key == key && $0.operator == "Exists" && $0.effect == "NoExecute"
                    && $0.tolerationSeconds == 300 } == true, "missing default toleration for \(key)")
            }
            let own = try await h.client.create(Self.pod("own", on: "nowhere", tolerations: [
                Toleration(key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 60),
            ]))
            #expect(own.spec?.tolerations?.count == 2)
            #expect(own.spec?.tolerations?.first { $0.key == "node.kubernetes.io/not-ready" }?.tolerationSeconds == 60)
            #expect(own.spec?.tolerations?.first { $0.key == "node.kubernetes.io/unreachable" }?.tolerationSeconds == 300)
            let everything = try await h.client.create(Self.pod("everything", on: "nowhere", tolerations: [Toleration(operator: "Exists")]))
            #expect(everything.spec?.tolerations == [Toleration(operator: "Exists")])
        }
    }

    @Test func tolerationMatchingFollowsUpstream() {
        let unreachable = Taint(key: "node.kubernetes.io/unreachable", effect: "NoExecute")
        let custom = Taint(key: "dedicated", value: "gpu", effect: "NoExecute")
        let tolerations = [
            Toleration(key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 30),
            Toleration(key: "dedicated", value: "gpu", tolerationSeconds: 10),
        ]
        #expect(tolerations.matching([unreachable, custom])?.compactMap(\.tolerationSeconds) == [30, 10])
        #expect(tolerations.matching([Taint(key: "dedicated", value: "cpu", effect: "NoExecute")]) == nil)
        #expect(TaintEvictionController.minimumTolerationSeconds(tolerations) == 10)
        #expect(TaintEvictionController.minimumTolerationSeconds([Toleration(operator: "Exists")]) == nil)
        #expect(TaintEvictionController.minimumTolerationSeconds([]) == 0)
        #expect(TaintEvictionController.minimumTolerationSeconds([Toleration(operator: "Exists", tolerationSeconds: -5)]) == 0)
    }
}

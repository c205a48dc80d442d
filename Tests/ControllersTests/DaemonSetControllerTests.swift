import Controllers
import Foundation
import KubeAPI
import KubeClient
import Testing
import TestSupport

@Suite("DaemonSet controller", .serialized)
struct DaemonSetControllerTests {
    static let labels = ["app": "agent"]

    static func daemonSet(_ name: String = "agent", strategy: DaemonSetUpdateStrategy? = nil, image: String = "nginx:1.25") -> DaemonSet {
        DaemonSet(metadata: ObjectMeta(name: name, namespace: "default"),
                  spec: DaemonSetSpec(selector: LabelSelector(matchLabels: labels), template: template(labels, image: image),
                                      updateStrategy: strategy))
    }

    /// The DaemonSet's pods that are not being deleted, by the node they are pinned to.
    static func podsByNode(_ h: ControllerHarness) async throws -> [String: [Pod]] {
        var byNode: [String: [Pod]] = [:]
        for pod in try await h.pods("app=agent") {
            let term = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms.first
            byNode[term?.matchFields?.first?.values?.first ?? "", default: []].append(pod)
        }
        return byNode
    }

    @Test func runsOnePodPerEligibleNodeSkipsTaintedOnesAndFollowsNewNodes() async throws {
        try await ControllerHarness.with(scheduler: true) { h in
            try await h.createNode("node-a")
            try await h.createNode("node-b")
            try await h.createNode("node-gpu", taints: [Taint(key: "dedicated", value: "gpu", effect: "NoSchedule")])
            let ds = try await h.client.create(Self.daemonSet())
            #expect(ds.metadata.annotations?["deprecated.daemonset.template.generation"] == "1")

            try await eventually("one pod on each untainted node, bound there by the scheduler") {
                let byNode = try await Self.podsByNode(h)
                return byNode.keys.sorted() == ["node-a", "node-b"] && byNode.values.allSatisfy { pods in
                    pods.count == 1 && pods[0].spec?.nodeName == pods[0].spec?.affinity?.nodeAffinity?
                        .requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms.first?.matchFields?.first?.values?.first
                }
            }
            // Expectations keep a slow cache from doubling pods.
            try await Task.sleep(for: .seconds(1))
            let pods = try await h.pods("app=agent")
            #expect(pods.count == 2)
            for pod in pods {
                let ref = try #require(pod.metadata.controllerRefForTest)
                #expect(ref.kind == "DaemonSet" && ref.uid == ds.metadata.uid && ref.blockOwnerDeletion == true)
                #expect(pod.metadata.labels?["pod-template-generation"] == "1")
                let hash = pod.metadata.labels?["controller-revision-hash"] ?? ""
                #expect(!hash.isEmpty)
                let tolerations = pod.spec?.tolerations ?? []
                for (key, effect) in [("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
                                      ("node.kubernetes.io/disk-pressure", "NoSchedule"), ("node.kubernetes.io/memory-pressure", "NoSchedule"),
                                      ("node.kubernetes.io/pid-pressure", "NoSchedule"), ("node.kubernetes.io/unschedulable", "NoSchedule")] {
                    #expect(tolerations.contains { $0.key == key && $0.effect == effect && $0.operator == "Exists" && $0.tolerationSeconds == nil },
                            "missing daemon toleration \(key):\(effect)")
                }
            }

            // Ready pods count as ready and available; the tainted node is not desired.
            for pod in pods { try await h.markReady(pod) }
            try await eventually("status counts two ready pods") {
                let status = try await h.client.get(DaemonSet.self, name: "agent", namespace: "default").status
                return status?.desiredNumberScheduled == 2 && status?.currentNumberScheduled == 2 && status?.numberReady == 2
                    && status?.numberAvailable == 2 && status?.updatedNumberScheduled == 2 && status?.numberMisscheduled == 0
                    && status?.observedGeneration == 1
            }
            let rollout = try await h.kubectl("rollout", "status", "daemonset/agent", "--timeout=30s")
            #expect(rollout.status == 0, "\(rollout.stdout)\(rollout.stderr)")
            #expect(rollout.stdout.contains("daemon set \"agent\" successfully rolled out"))

            // A new node gets a pod; so does the tainted one once its taint is gone.
            try await h.createNode("node-c")
            try await eventually("a pod on the new node") { try await Self.podsByNode(h)["node-c"]?.count == 1 }
            _ = try await h.client.patch(Node.self, name: "node-gpu", patchType: .merge, ["spec": ["taints": nil]])
            try await eventually("a pod on the untainted node") { try await Self.podsByNode(h)["node-gpu"]?.count == 1 }
            try await eventually("desired follows the nodes") {
                try await h.client.get(DaemonSet.self, name: "agent", namespace: "default").status?.desiredNumberScheduled == 4
            }

            // A node labelled out of the nodeSelector loses its pod.
            _ = try await h.client.patch(DaemonSet.self, name: "agent", namespace: "default", patchType: .merge,
                                         ["spec": ["template": ["spec": ["nodeSelector": ["pool": "main"]]]]])
            for node in ["node-a", "node-b"] {
                _ = try await h.client.patch(Node.self, name: node, patchType: .merge, ["metadata": ["labels": ["pool": "main"]]])
            }
            try await h.finalizingTerminatingPods {
                try await eventually("pods only on the selected nodes") {
                    let byNode = try await Self.podsByNode(h)
                    return byNode.keys.sorted() == ["node-a", "node-b"]
                }
            }
        }
    }

    @Test func rollingUpdateReplacesOnePodAtATimeAndKubectlWaitsForIt() async throws {
        try await ControllerHarness.with(scheduler: true) { h in
            for node in ["node-a", "node-b", "node-c"] { try await h.createNode(node) }
            _ = try await h.client.create(Self.daemonSet())
            try await eventually("three pods") { try await h.pods("app=agent").count == 3 }
            for pod in try await h.pods("app=agent") { try await h.markReady(pod) }
            try await eventually("rolled out") {
                try await h.client.get(DaemonSet.self, name: "agent", namespace: "default").status?.numberAvailable == 3
            }
            let oldHash = try #require(try await h.pods("app=agent").first?.metadata.labels?["controller-revision-hash"])

            let set = try await h.kubectl("set", "image", "daemonset/agent", "web=nginx:1.26")
            #expect(set.status == 0, "\(set.stderr)")
            let updated = try await h.client.get(DaemonSet.self, name: "agent", namespace: "default")
            #expect(updated.metadata.annotations?["deprecated.daemonset.template.generation"] == "2")

            try await h.finalizingTerminatingPods {
                // maxUnavailable 1: one node at a time; the next old pod goes only once the new one is available.
                for step in 1...3 {
                    try await eventually("step \(step): \(step) pod(s) on the new template") {
                        let pods = try await h.pods("app=agent")
                        return pods.count { $0.metadata.labels?["pod-template-generation"] == "2" } == step && pods.count == 3
                    }
                    try await Task.sleep(for: .milliseconds(700))
                    let pods = try await h.pods("app=agent")
                    #expect(pods.count { $0.metadata.labels?["pod-template-generation"] == "2" } == step,
                            "step \(step): no further pod may be replaced while the new one is unavailable")
                    #expect(pods.count { $0.metadata.labels?["controller-revision-hash"] == oldHash } == 3 - step)
                    for pod in pods where pod.metadata.labels?["pod-template-generation"] == "2" && !(pod.isReadyForTest) {
                        #expect(pod.spec?.containers.first?.image == "nginx:1.26")
                        try await h.markReady(pod)
                    }
                }
                let rollout = try await h.kubectl("rollout", "status", "ds/agent", "--timeout=30s")
                #expect(rollout.status == 0, "\(rollout.stdout)\(rollout.stderr)")
            }
            let status = try await h.client.get(DaemonSet.self, name: "agent", namespace: "default").status
            #expect(status?.updatedNumberScheduled == 3 && status?.numberAvailable == 3 && status?.observedGeneration == 2)
        }
    }

    @Test func onDeleteReplacesOnlyDeletedPods() async throws {
        try await ControllerHarness.with(scheduler: true) { h in
            for node in ["node-a", "node-b"] { try await h.createNode(node) }
            _ = try await h.client.create(Self.daemonSet(strategy: DaemonSetUpdateStrategy(type: "OnDelete")))
            try await eventually("two pods") { try await h.pods("app=agent").count == 2 }
            _ = try await h.kubectl("set", "image", "daemonset/agent", "web=nginx:1.26")
            try await Task.sleep(for: .seconds(1))
            #expect(try await h.pods("app=agent").allSatisfy { $0.metadata.labels?["pod-template-generation"] == "1" })
            try await h.finalizingTerminatingPods {
                let victim = try #require(try await Self.podsByNode(h)["node-a"]?.first)
                try await h.client.delete(Pod.self, name: victim.metadata.name ?? "", namespace: "default")
                try await eventually("the deleted pod is replaced from the new template") {
                    let byNode = try await Self.podsByNode(h)
                    return byNode["node-a"]?.first?.metadata.labels?["pod-template-generation"] == "2"
                        && byNode["node-a"]?.first?.spec?.containers.first?.image == "nginx:1.26"
                        && byNode["node-b"]?.first?.metadata.labels?["pod-template-generation"] == "1"
                }
            }
            try await eventually("one pod updated") {
                try await h.client.get(DaemonSet.self, name: "agent", namespace: "default").status?.updatedNumberScheduled == 1
            }
        }
    }
}

extension ObjectMeta {
    var controllerRefForTest: OwnerReference? { ownerReferences?.first { $0.controller == true } }
}

extension Pod {
    var isReadyForTest: Bool { status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } ?? false }
}

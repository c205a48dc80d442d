import Controllers
import Foundation
import KubeAPI
import KubeClient
import Logging
import Synchronization
import Testing
import TestSupport

@Suite("Deployment controller", .serialized)
struct DeploymentControllerTests {
    /// Watches a Deployment's pods as a kubelet would — marking each new pod Running and Ready shortly after it
    /// appears — and records the most pods and the fewest ready pods seen at any moment.
    final class FakeKubelet: Sendable {
        struct Extremes { var maxPods = 0; var minReady = Int.max; var recording = false }
        final class Recorder: Sendable { let state = Mutex(Extremes()) }
        private let recorder = Recorder()
        private let task: Task<Void, Never>

        init(_ h: ControllerHarness, selector: String) {
            let informer = Informer<Pod>(client: h.client, namespace: "default", labelSelector: selector,
                                         logger: ControllerHarness.logger("fake-kubelet"))
            let recorder = recorder
            task = Task {
                await withDiscardingTaskGroup { group in
                    group.addTask { await informer.run() }
                    var pods: [String: Pod] = [:]
                    var marked: Set<String> = []
                    for await event in informer.events() {
                        let key = Informer<Pod>.key(for: event.object)
                        if case .deleted = event { pods[key] = nil } else { pods[key] = event.object }
                        let live = pods.values.filter { $0.metadata.deletionTimestamp == nil }
                        let ready = live.count { $0.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } == true }
                        recorder.state.withLock { e in
                            guard e.recording else { return }
                            e.maxPods = max(e.maxPods, live.count)
                            e.minReady = min(e.minReady, ready)
                        }
                        let pod = event.object
                        if case .deleted = event { continue }
                        guard pod.metadata.deletionTimestamp == nil, !marked.contains(key),
                              pod.status?.conditions?.contains(where: { $0.type == "Ready" && $0.status == "True" }) != true else { continue }
                        marked.insert(key)
                        group.addTask {
                            try? await Task.sleep(for: .milliseconds(300))
                            _ = try? await h.markReady(pod)
                        }
                    }
                }
            }
        }

        func record() { recorder.state.withLock { $0 = Extremes(recording: true) } }
        var observed: Extremes { recorder.state.withLock { $0 } }
        func stop() { task.cancel() }
    }

    private func deployment(_ name: String, replicas: Int32, image: String, strategy: KubeAPI.DeploymentStrategy? = nil) -> Deployment {
        Deployment(metadata: ObjectMeta(name: name, namespace: "default"),
                   spec: DeploymentSpec(replicas: replicas, selector: LabelSelector(matchLabels: ["app": name]),
                                        template: template(["app": name], image: image), strategy: strategy))
    }

    private func replicaSets(_ h: ControllerHarness, _ app: String) async throws -> [ReplicaSet] {
        try await h.client.list(ReplicaSet.self, namespace: "default", options: ListOptions(labelSelector: "app=\(app)")).items
    }

    @Test func createsReplicaSetAndPodsAndReportsRolloutComplete() async throws {
        try await ControllerHarness.with { h in
            let kubelet = FakeKubelet(h, selector: "app=web")
            defer { kubelet.stop() }
            _ = try await h.client.create(deployment("web", replicas: 3, image: "nginx:1.25"))
            try await eventually("one replica set with 3 pods") {
                let sets = try await replicaSets(h, "web")
                let pods = try await h.pods("app=web")
                return sets.count == 1 && pods.count == 3
            }
            let rs = try #require(try await replicaSets(h, "web").first)
            let hash = try #require(rs.metadata.labels?["pod-template-hash"])
            #expect(rs.metadata.name == "web-\(hash)")
            #expect(rs.spec?.selector?.matchLabels?["pod-template-hash"] == hash)
            #expect(rs.metadata.annotations?["deployment.kubernetes.io/revision"] == "1")
            #expect(rs.metadata.ownerReferences?.first?.kind == "Deployment")
            #expect(try await h.pods("app=web").allSatisfy { $0.metadata.labels?["pod-template-hash"] == hash })

            let status = try await h.kubectl("rollout", "status", "deployment/web", "--timeout=60s")
            #expect(status.status == 0, "\(status)")
            #expect(status.stdout.contains("successfully rolled out"))
            let d = try await h.client.get(Deployment.self, name: "web", namespace: "default")
            #expect(d.metadata.annotations?["deployment.kubernetes.io/revision"] == "1")
            #expect(d.status?.availableReplicas == 3 && d.status?.updatedReplicas == 3 && d.status?.readyReplicas == 3)
            #expect(d.status?.conditions?.first { $0.type == "Available" }?.status == "True")
            #expect(d.status?.conditions?.first { $0.type == "Progressing" }?.reason == "NewReplicaSetAvailable")
            // The Deployment's Event and the ReplicaSet's, as `kubectl describe` shows them upstream.
            try await eventually("ScalingReplicaSet and SuccessfulCreate events") {
                let scaling = try await h.events(about: "Deployment", "web")
                let creates = try await h.events(about: "ReplicaSet", "web-\(hash)")
                return scaling == ["Normal/ScalingReplicaSet: Scaled up replica set web-\(hash) to 3"]
                    && creates.count { $0.hasPrefix("Normal/SuccessfulCreate: Created pod: web-\(hash)-") } == 3
            }
            let describe = try await h.kubectl("describe", "deployment", "web")
            #expect(describe.stdout.contains("ScalingReplicaSet") && describe.stdout.contains("Scaled up replica set web-\(hash) to 3"), "\(describe)")
        }
    }

    @Test func rollingUpdateStaysWithinSurgeAndUnavailableAndUndoRestoresTheTemplate() async throws {
        try await ControllerHarness.with { h in
            let kubelet = FakeKubelet(h, selector: "app=roll")
            defer { kubelet.stop() }
            let strategy = KubeAPI.DeploymentStrategy(type: "RollingUpdate",
                                                      rollingUpdate: RollingUpdateDeployment(maxUnavailable: 1, maxSurge: 1))
            _ = try await h.client.create(deployment("roll", replicas: 4, image: "nginx:1.25", strategy: strategy))
            var status = try await h.kubectl("rollout", "status", "deployment/roll", "--timeout=60s")
            #expect(status.status == 0, "\(status)")
            let first = try #require(try await replicaSets(h, "roll").first)

            kubelet.record()
            let set = try await h.kubectl("set", "image", "deployment/roll", "web=nginx:1.26")
            #expect(set.status == 0, "\(set)")
            status = try await h.kubectl("rollout", "status", "deployment/roll", "--timeout=90s")
            #expect(status.status == 0, "\(status)")
            let observed = kubelet.observed
            #expect(observed.maxPods <= 5, "more than replicas + maxSurge pods at once: \(observed.maxPods)")
            #expect(observed.minReady >= 3, "fewer than replicas - maxUnavailable ready pods at once: \(observed.minReady)")

            let sets = try await replicaSets(h, "roll")
            #expect(sets.count == 2)
            let second = try #require(sets.first { $0.metadata.uid != first.metadata.uid })
            #expect(second.metadata.annotations?["deployment.kubernetes.io/revision"] == "2")
            #expect(second.spec?.replicas == 4)
            #expect(sets.first { $0.metadata.uid == first.metadata.uid }?.spec?.replicas == 0)
            // Every step of the rollout is a ScalingReplicaSet Event: the new set created with one pod (maxSurge),
            // then up to 4 and the old one down to 0 in steps ("to N from M", upstream's wording).
            try await eventually("the rollout's ScalingReplicaSet events") {
                let events = try await h.events(about: "Deployment", "roll")
                let up = events.filter { $0.hasPrefix("Normal/ScalingReplicaSet: Scaled up replica set \(second.metadata.name ?? "") ") }
                let down = events.filter { $0.hasPrefix("Normal/ScalingReplicaSet: Scaled down replica set \(first.metadata.name ?? "") ") }
                // Events within one second have no order, so each step is looked for on its own.
                return up.contains("Normal/ScalingReplicaSet: Scaled up replica set \(second.metadata.name ?? "") to 1")
                    && up.contains { $0.firstMatch(of: #/ to 4 from [1-3]$/#) != nil }
                    && down.contains { $0.firstMatch(of: #/ to [0-3] from 4$/#) != nil } && down.contains { $0.firstMatch(of: #/ to 0 from [1-4]$/#) != nil }
            }
            #expect(try await h.pods("app=roll").allSatisfy { $0.spec?.containers.first?.image == "nginx:1.26" })

            // Undo: kubectl copies revision 1's template back; that ReplicaSet becomes revision 3.
            let undo = try await h.kubectl("rollout", "undo", "deployment/roll")
            #expect(undo.status == 0, "\(undo)")
            status = try await h.kubectl("rollout", "status", "deployment/roll", "--timeout=90s")
            #expect(status.status == 0, "\(status)")
            let d = try await h.client.get(Deployment.self, name: "roll", namespace: "default")
            #expect(d.spec?.template.spec?.containers.first?.image == "nginx:1.25")
            #expect(d.metadata.annotations?["deployment.kubernetes.io/revision"] == "3")
            let restored = try await h.client.get(ReplicaSet.self, name: first.metadata.name ?? "", namespace: "default")
            #expect(restored.metadata.annotations?["deployment.kubernetes.io/revision"] == "3")
            #expect(restored.metadata.annotations?["deployment.kubernetes.io/revision-history"] == "1")
            #expect(restored.spec?.replicas == 4)
            #expect(try await h.pods("app=roll").allSatisfy { $0.spec?.containers.first?.image == "nginx:1.25" })
            #expect(try await replicaSets(h, "roll").count == 2)
        }
    }

    @Test func pausedDeploymentDoesNotRollOutUntilResumed() async throws {
        try await ControllerHarness.with { h in
            let kubelet = FakeKubelet(h, selector: "app=paused")
            defer { kubelet.stop() }
            _ = try await h.client.create(deployment("paused", replicas: 2, image: "nginx:1.25",
                                                     strategy: KubeAPI.DeploymentStrategy(type: "Recreate")))
            #expect(try await h.kubectl("rollout", "status", "deployment/paused", "--timeout=60s").status == 0)
            #expect(try await h.kubectl("rollout", "pause", "deployment/paused").status == 0)
            #expect(try await h.kubectl("set", "image", "deployment/paused", "web=nginx:1.26").status == 0)
            try await eventually("paused condition") {
                let d = try await h.client.get(Deployment.self, name: "paused", namespace: "default")
                return d.status?.conditions?.first { $0.type == "Progressing" }?.reason == "DeploymentPaused"
            }
            #expect(try await replicaSets(h, "paused").count == 1)
            #expect(try await h.kubectl("rollout", "resume", "deployment/paused").status == 0)
            let status = try await h.kubectl("rollout", "status", "deployment/paused", "--timeout=90s")
            #expect(status.status == 0, "\(status)")
            #expect(try await h.pods("app=paused").allSatisfy { $0.spec?.containers.first?.image == "nginx:1.26" })
        }
    }

    @Test func rolloutWithoutProgressExceedsItsDeadline() async throws {
        try await ControllerHarness.with { h in
            // No kubelet: the pods never become ready.
            var d = deployment("stuck", replicas: 1, image: "nginx:1.25")
            d.spec?.progressDeadlineSeconds = 2
            _ = try await h.client.create(d)
            try await eventually("ProgressDeadlineExceeded", timeout: .seconds(20)) {
                let d = try await h.client.get(Deployment.self, name: "stuck", namespace: "default")
                let progressing = d.status?.conditions?.first { $0.type == "Progressing" }
                return progressing?.status == "False" && progressing?.reason == "ProgressDeadlineExceeded"
            }
            let status = try await h.kubectl("rollout", "status", "deployment/stuck", "--timeout=20s")
            #expect(status.status != 0)
            #expect(status.stderr.contains("exceeded its progress deadline"), "\(status)")
        }
    }
}

import Controllers
import Foundation
import KubeAPI
import KubeClient
import Testing
import TestSupport

@Suite("ReplicaSet controller", .serialized)
struct ReplicaSetControllerTests {
    /// The ReplicationManager is this controller over ReplicationControllers: a label-map selector, the status in the
    /// RC's own form, the RC as owner, Events from upstream's `replication-controller` source.
    @Test func replicationManagerAdoptsReleasesAndReportsInTheControllersOwnForm() async throws {
        try await ControllerHarness.with(controllers: "replicationcontroller") { h in
            let orphan = try await h.client.create(Pod(metadata: ObjectMeta(name: "orphan", namespace: "default", labels: ["app": "rc"]),
                                                       spec: template(["app": "rc"]).spec))
            let rc = try await h.client.create(ReplicationController(
                metadata: ObjectMeta(name: "legacy", namespace: "default"),
                spec: ReplicationControllerSpec(replicas: 2, selector: ["app": "rc"], template: template(["app": "rc"]))))
            try await eventually("2 pods, the orphan adopted") {
                let pods = try await h.pods("app=rc")
                return pods.count == 2 && pods.contains { $0.metadata.uid == orphan.metadata.uid }
                    && pods.allSatisfy { $0.metadata.ownerReferences?.first?.uid == rc.metadata.uid && $0.metadata.ownerReferences?.first?.kind == "ReplicationController" }
            }
            for pod in try await h.pods("app=rc") { try await h.markReady(pod) }
            try await eventually("status counts ready pods") {
                let status = try await h.client.get(ReplicationController.self, name: "legacy", namespace: "default").status
                return status?.replicas == 2 && status?.readyReplicas == 2 && status?.availableReplicas == 2 && status?.observedGeneration == 1
            }
            _ = try await h.client.patch(Pod.self, name: "orphan", namespace: "default", patchType: .merge, ["metadata": ["labels": ["app": "gone"]]])
            try await eventually("the relabelled pod released and replaced") {
                let released = try await h.client.get(Pod.self, name: "orphan", namespace: "default")
                let count = try await h.pods("app=rc").count
                return (released.metadata.ownerReferences ?? []).isEmpty && count == 2
            }
            try await eventually("SuccessfulCreate events from replication-controller") {
                try await h.events(about: "ReplicationController", "legacy").filter { $0.hasPrefix("Normal/SuccessfulCreate: ") }.count == 2
            }
        }
    }

    @Test func scalesUpAndDownAdoptsOrphansAndReleasesMismatches() async throws {
        try await ControllerHarness.with { h in
            // An orphan that the ReplicaSet's selector matches is adopted instead of a new pod being created.
            let orphan = try await h.client.create(Pod(metadata: ObjectMeta(name: "orphan", namespace: "default", labels: ["app": "rs"]),
                                                       spec: template(["app": "rs"]).spec))
            let rs = try await h.client.create(ReplicaSet(
                metadata: ObjectMeta(name: "web", namespace: "default"),
                spec: ReplicaSetSpec(replicas: 3, selector: LabelSelector(matchLabels: ["app": "rs"]), template: template(["app": "rs"]))))
            try await eventually("3 pods") { try await h.pods("app=rs").count == 3 }
            // Expectations: the count stays at 3 however slowly the cache catches up.
            try await Task.sleep(for: .seconds(1))
            let pods = try await h.pods("app=rs")
            #expect(pods.count == 3)
            for pod in pods {
                let ref = try #require(pod.metadata.ownerReferences?.first)
                #expect(ref.uid == rs.metadata.uid && ref.controller == true && ref.blockOwnerDeletion == true && ref.kind == "ReplicaSet")
            }
            #expect(pods.contains { $0.metadata.uid == orphan.metadata.uid })
            let created = pods.filter { $0.metadata.name != "orphan" }
            #expect(created.allSatisfy { ($0.metadata.name ?? "").wholeMatch(of: /web-[a-z0-9]{5}/) != nil })
            // Upstream's pod-control Events on the ReplicaSet: one per pod created (the adopted orphan was not).
            try await eventually("SuccessfulCreate events") {
                let events = try await h.events(about: "ReplicaSet", "web")
                return Set(events) == Set(created.map { "Normal/SuccessfulCreate: Created pod: \($0.metadata.name ?? "")" }) && events.count == 2
            }

            // Ready pods show in the status.
            for pod in pods { try await h.markReady(pod) }
            try await eventually("status counts ready pods") {
                let status = try await h.client.get(ReplicaSet.self, name: "web", namespace: "default").status
                return status?.readyReplicas == 3 && status?.availableReplicas == 3 && status?.fullyLabeledReplicas == 3
                    && status?.replicas == 3 && status?.observedGeneration == 1
            }

            // A pod relabelled out of the selector is released, and replaced.
            let relabelled = created[0]
            _ = try await h.client.patch(Pod.self, name: relabelled.metadata.name ?? "", namespace: "default", patchType: .merge,
                                         ["metadata": ["labels": ["app": "other"]]])
            try await eventually("released pod has no owner, a replacement exists") {
                let released = try await h.client.get(Pod.self, name: relabelled.metadata.name ?? "", namespace: "default")
                let count = try await h.pods("app=rs").count
                return (released.metadata.ownerReferences ?? []).isEmpty && count == 3
            }

            // Scale down: not-ready pods go before ready ones.
            let beforeScaleDown = try await h.pods("app=rs")
            _ = try await h.client.patch(ReplicaSet.self, name: "web", namespace: "default", patchType: .merge, ["spec": ["replicas": 2]])
            try await eventually("2 pods") { try await h.pods("app=rs").count == 2 }
            let remaining = try await h.pods("app=rs")
            let deleted = try #require(beforeScaleDown.first { pod in !remaining.contains { $0.metadata.uid == pod.metadata.uid } })
            try await eventually("SuccessfulDelete event") {
                try await h.events(about: "ReplicaSet", "web").contains("Normal/SuccessfulDelete: Deleted pod: \(deleted.metadata.name ?? "")")
            }
            #expect(remaining.allSatisfy { $0.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } == true })
            try await eventually("observedGeneration 2") {
                let status = try await h.client.get(ReplicaSet.self, name: "web", namespace: "default").status
                return status?.observedGeneration == 2 && status?.replicas == 2
            }
            _ = try await h.client.patch(ReplicaSet.self, name: "web", namespace: "default", patchType: .merge, ["spec": ["replicas": 0]])
            try await eventually("no pods") { try await h.pods("app=rs").isEmpty }
        }
    }
}

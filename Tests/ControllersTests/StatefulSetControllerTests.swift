import Controllers
import Foundation
import KubeAPI
import KubeClient
import Testing
import TestSupport

/// The StatefulSet controller against a real server, driven and read with real kubectl.
@Suite("StatefulSet controller", .serialized)
struct StatefulSetControllerTests {
    static let labels = ["app": "db"]

    static func statefulSet(replicas: Int32 = 3, policy: String? = nil, partition: Int32? = nil,
                            claims: Bool = true) -> StatefulSet {
        let claim = PersistentVolumeClaim(metadata: ObjectMeta(name: "data"),
                                          spec: PersistentVolumeClaimSpec(accessModes: ["ReadWriteOnce"],
                                                                          resources: VolumeResourceRequirements(requests: ["storage": Quantity(1 << 30)])))
        return StatefulSet(metadata: ObjectMeta(name: "db", namespace: "default"),
                           spec: StatefulSetSpec(replicas: replicas, selector: LabelSelector(matchLabels: labels),
                                                 template: template(labels), volumeClaimTemplates: claims ? [claim] : nil,
                                                 serviceName: "db", podManagementPolicy: policy,
                                                 updateStrategy: partition.map { StatefulSetUpdateStrategy(type: "RollingUpdate", rollingUpdate: RollingUpdateStatefulSetStrategy(partition: $0)) }))
    }

    /// The set's pods (not being deleted), by name.
    static func pods(_ h: ControllerHarness) async throws -> [String: Pod] {
        Dictionary(uniqueKeysWithValues: try await h.pods("app=db").map { ($0.metadata.name ?? "", $0) })
    }

    static func names(_ h: ControllerHarness) async throws -> [String] { try await pods(h).keys.sorted() }

    static func markFinished(_ h: ControllerHarness, _ name: String, phase: String) async throws {
        _ = try await h.client.patch(Pod.self, name: name, namespace: "default", patchType: .merge,
                                     ["status": ["phase": .string(phase), "conditions": nil]], subresource: "status")
    }

    @Test func orderedReadyCreatesInOrderRollsFromTheTopAndScalesDownInReverse() async throws {
        try await ControllerHarness.with { h in
            let sts = try await h.client.create(Self.statefulSet())
            #expect(sts.spec?.podManagementPolicy == "OrderedReady")
            #expect(sts.spec?.updateStrategy == StatefulSetUpdateStrategy(type: "RollingUpdate", rollingUpdate: RollingUpdateStatefulSetStrategy(partition: 0)))
            #expect(sts.spec?.revisionHistoryLimit == 10)
            #expect(sts.spec?.persistentVolumeClaimRetentionPolicy == StatefulSetPersistentVolumeClaimRetentionPolicy(whenDeleted: "Retain", whenScaled: "Retain"))

            // One pod at a time, each once its predecessor is Running and Ready.
            for ordinal in 0..<3 {
                try await eventually("db-\(ordinal) created") { try await Self.names(h).count == ordinal + 1 }
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await Self.names(h) == (0...ordinal).map { "db-\($0)" }, "db-\(ordinal + 1) must wait for db-\(ordinal)")
                let pod = try #require(try await Self.pods(h)["db-\(ordinal)"])
                #expect(pod.metadata.labels?["statefulset.kubernetes.io/pod-name"] == "db-\(ordinal)")
                #expect(pod.metadata.labels?["apps.kubernetes.io/pod-index"] == "\(ordinal)")
                #expect(pod.spec?.hostname == "db-\(ordinal)" && pod.spec?.subdomain == "db")
                #expect(pod.spec?.volumes?.first { $0.name == "data" }?.persistentVolumeClaim?.claimName == "data-db-\(ordinal)")
                #expect(pod.metadata.controllerRefForTest?.uid == sts.metadata.uid)
                let claim = try await h.client.get(PersistentVolumeClaim.self, name: "data-db-\(ordinal)", namespace: "default")
                #expect(claim.status?.phase == "Pending" && claim.metadata.labels?["app"] == "db" && claim.metadata.ownerReferences == nil)
                try await h.markReady(pod)
            }
            try await eventually("status counts three ready pods at one revision") {
                let s = try await h.client.get(StatefulSet.self, name: "db", namespace: "default").status
                return s?.readyReplicas == 3 && s?.replicas == 3 && s?.availableReplicas == 3 && s?.currentReplicas == 3
                    && s?.updatedReplicas == 3 && s?.currentRevision == s?.updateRevision && s?.observedGeneration == 1
            }
            let firstRevision = try await h.client.get(StatefulSet.self, name: "db", namespace: "default").status?.updateRevision ?? ""
            #expect(try await Self.pods(h).values.allSatisfy { $0.metadata.labels?["controller-revision-hash"] == firstRevision })
            let get = try await h.kubectl("get", "sts")
            #expect(get.status == 0 && get.stdout.hasPrefix("NAME   READY   AGE\ndb     3/3     "), "\(get.stdout)\(get.stderr)")
            let pvcs = try await h.kubectl("get", "pvc", "data-db-0")
            #expect(pvcs.stdout.contains("STATUS") && pvcs.stdout.contains("data-db-0   Pending"), "\(pvcs.stdout)\(pvcs.stderr)")
            let done = try await h.kubectl("rollout", "status", "sts/db", "--timeout=20s")
            #expect(done.status == 0 && done.stdout.contains("partitioned roll out complete: 3 new pods have been updated..."), "\(done.stdout)\(done.stderr)")

            // A rolling update replaces the highest ordinal first and waits for each replacement to be ready.
            _ = try await h.kubectl("annotate", "sts/db", "kubernetes.io/change-cause=image 1.26")
            let set = try await h.kubectl("set", "image", "sts/db", "web=nginx:1.26")
            #expect(set.status == 0, "\(set.stderr)")
            var updateRevision = ""
            for ordinal in [2, 1, 0] {
                try await eventually("db-\(ordinal) replaced") {
                    let sts = try await h.client.get(StatefulSet.self, name: "db", namespace: "default")
                    updateRevision = sts.status?.updateRevision ?? ""
                    guard updateRevision != firstRevision, let pod = try await Self.pods(h)["db-\(ordinal)"] else { return false }
                    return pod.metadata.labels?["controller-revision-hash"] == updateRevision
                }
                let pods = try await Self.pods(h)
                for lower in 0..<ordinal {
                    #expect(pods["db-\(lower)"]?.metadata.labels?["controller-revision-hash"] == firstRevision, "db-\(lower) updated before db-\(ordinal) was ready")
                }
                #expect(pods["db-\(ordinal)"]?.spec?.containers.first?.image == "nginx:1.26")
                try await h.markReady(try #require(pods["db-\(ordinal)"]))
            }
            try await eventually("the update revision becomes current") {
                let s = try await h.client.get(StatefulSet.self, name: "db", namespace: "default").status
                return s?.currentRevision == updateRevision && s?.updatedReplicas == 3 && s?.readyReplicas == 3
            }
            let rolled = try await h.kubectl("rollout", "status", "statefulset/db", "--timeout=20s")
            #expect(rolled.status == 0 && rolled.stdout.contains("partitioned roll out complete: 3 new pods have been updated..."), "\(rolled.stdout)\(rolled.stderr)")
            let history = try await h.kubectl("rollout", "history", "sts/db")
            #expect(history.status == 0 && history.stdout.contains("image 1.26"), "\(history.stdout)\(history.stderr)")
            let revisions = try await h.client.list(ControllerRevision.self, namespace: "default").items
            #expect(Set(revisions.map { $0.metadata.name ?? "" }) == [firstRevision, updateRevision])
            #expect(revisions.allSatisfy { $0.metadata.labels?["controller.kubernetes.io/hash"] != nil })
            let undo = try await h.kubectl("rollout", "undo", "sts/db")
            #expect(undo.status == 0 && undo.stdout.contains("rolled back"), "\(undo.stdout)\(undo.stderr)")
            try await eventually("the undo makes the first revision the update revision") {
                try await h.client.get(StatefulSet.self, name: "db", namespace: "default").status?.updateRevision == firstRevision
            }
            try await eventually("db-2 back on the first template") {
                try await Self.pods(h)["db-2"]?.metadata.labels?["controller-revision-hash"] == firstRevision
            }

            // Scaling down removes the highest ordinal first; claims are retained. A kubelet stand-in keeps
            // marking pods ready, so the rollout of the undo and the scale-down both proceed.
            let kubelet = Task {
                while !Task.isCancelled {
                    for pod in (try? await Self.pods(h).values) ?? [:].values where !pod.isReadyForTest {
                        _ = try? await h.markReady(pod)
                    }
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
            defer { kubelet.cancel() }
            try await eventually("the undo rolled out", timeout: .seconds(60)) {
                let s = try await h.client.get(StatefulSet.self, name: "db", namespace: "default").status
                return s?.currentRevision == firstRevision && s?.updatedReplicas == 3 && s?.readyReplicas == 3
            }
            let scale = try await h.kubectl("scale", "sts/db", "--replicas=1")
            #expect(scale.status == 0, "\(scale.stderr)")
            var seen: [[String]] = []
            try await eventually("scaled down to db-0") {
                let names = try await Self.names(h)
                if seen.last != names { seen.append(names) }
                return names == ["db-0"]
            }
            #expect(!seen.contains(["db-0", "db-2"]), "db-1 went before db-2: \(seen)")
            let events = try await h.events(about: "StatefulSet", "db")
            #expect(events.contains("Normal/SuccessfulCreate: create Pod db-0 in StatefulSet db successful"), "\(events)")
            #expect(events.contains("Normal/SuccessfulCreate: create Claim data-db-0 Pod db-0 in StatefulSet db success"), "\(events)")
            #expect(events.contains("Normal/SuccessfulDelete: delete Pod db-2 in StatefulSet db successful"), "\(events)")
            for ordinal in 0..<3 {
                _ = try await h.client.get(PersistentVolumeClaim.self, name: "data-db-\(ordinal)", namespace: "default")
            }
        }
    }

    @Test func parallelHonoursThePartitionRecreatesFailedPodsAndValidates() async throws {
        try await ControllerHarness.with { h in
            _ = try await h.client.create(Self.statefulSet(policy: "Parallel", partition: 2, claims: false))
            try await eventually("all three pods created at once") { try await Self.names(h) == ["db-0", "db-1", "db-2"] }
            for pod in try await Self.pods(h).values { try await h.markReady(pod) }
            let first = try await h.client.get(StatefulSet.self, name: "db", namespace: "default").status?.updateRevision
            let set = try await h.kubectl("set", "image", "sts/db", "web=nginx:1.26")
            #expect(set.status == 0, "\(set.stderr)")
            try await eventually("only the ordinal at or above the partition updated") {
                let sts = try await h.client.get(StatefulSet.self, name: "db", namespace: "default")
                let pods = try await Self.pods(h)
                return pods["db-2"]?.spec?.containers.first?.image == "nginx:1.26" && sts.status?.updateRevision != first
                    && pods["db-2"]?.metadata.labels?["controller-revision-hash"] == sts.status?.updateRevision
            }
            try await h.markReady(try #require(try await Self.pods(h)["db-2"]))
            try await Task.sleep(for: .milliseconds(500))
            let pods = try await Self.pods(h)
            #expect(pods["db-0"]?.spec?.containers.first?.image == "nginx:1.25" && pods["db-1"]?.spec?.containers.first?.image == "nginx:1.25")
            try await eventually("status: one updated, the old revision still current") {
                let s = try await h.client.get(StatefulSet.self, name: "db", namespace: "default").status
                return s?.updatedReplicas == 1 && s?.currentReplicas == 2 && s?.currentRevision == first
            }
            let status = try await h.kubectl("rollout", "status", "sts/db", "--timeout=10s")
            #expect(status.status == 0 && status.stdout.contains("partitioned roll out complete: 1 new pods have been updated"), "\(status.stdout)\(status.stderr)")

            // A failed pod is deleted and recreated with the same name (below the partition: the current revision).
            let failedUID = try #require(try await Self.pods(h)["db-0"]?.metadata.uid)
            try await Self.markFinished(h, "db-0", phase: "Failed")
            try await eventually("db-0 recreated") {
                guard let pod = try await Self.pods(h)["db-0"] else { return false }
                return pod.metadata.uid != failedUID && pod.spec?.containers.first?.image == "nginx:1.25"
            }

            // Validation as upstream words it.
            var bad = Self.statefulSet(policy: "Sometimes")
            bad.metadata.name = "bad"
            bad.spec?.template.metadata?.labels = ["app": "other"]
            bad.spec?.volumeClaimTemplates?[0].spec?.accessModes = nil
            do {
                _ = try await h.client.create(bad)
                Issue.record("an invalid StatefulSet was accepted")
            } catch {
                let text = "\(error)"
                for expected in ["spec.podManagementPolicy: Invalid value: \"Sometimes\": must be 'OrderedReady' or 'Parallel'",
                                 "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`",
                                 "spec.volumeClaimTemplates[0].spec.accessModes: Required value: at least 1 access mode is required"] {
                    #expect(text.contains(expected), "\(text)")
                }
            }
            let forbidden = try await h.kubectl("patch", "sts/db", "--type=merge", "-p", #"{"spec":{"serviceName":"other"}}"#)
            #expect(forbidden.status != 0 && forbidden.stderr.contains("updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"), "\(forbidden.stderr)")
        }
    }

    @Test func onDeleteWaitsForDeletionAndClaimsFollowTheRetentionPolicy() async throws {
        try await ControllerHarness.with { h in
            var sts = Self.statefulSet(replicas: 2, policy: "Parallel")
            sts.spec?.updateStrategy = StatefulSetUpdateStrategy(type: "OnDelete")
            sts.spec?.persistentVolumeClaimRetentionPolicy = StatefulSetPersistentVolumeClaimRetentionPolicy(whenDeleted: "Delete", whenScaled: "Delete")
            let created = try await h.client.create(sts)
            #expect(created.spec?.updateStrategy?.rollingUpdate == nil)
            try await eventually("both pods") { try await Self.names(h) == ["db-0", "db-1"] }
            for pod in try await Self.pods(h).values { try await h.markReady(pod) }
            let claim = try await h.client.get(PersistentVolumeClaim.self, name: "data-db-0", namespace: "default")
            #expect(claim.metadata.ownerReferences?.map(\.uid) == [created.metadata.uid ?? ""] && claim.metadata.ownerReferences?.first?.controller == nil)

            // OnDelete: a new template reaches a pod only when someone deletes it.
            #expect(try await h.kubectl("set", "image", "sts/db", "web=nginx:1.26").status == 0)
            try await eventually("a new update revision") {
                let s = try await h.client.get(StatefulSet.self, name: "db", namespace: "default").status
                return s?.updateRevision != s?.currentRevision && s?.updatedReplicas == 0
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await Self.pods(h).values.allSatisfy { $0.spec?.containers.first?.image == "nginx:1.25" })
            try await h.client.delete(Pod.self, name: "db-1", namespace: "default")
            try await eventually("db-1 recreated on the new template") {
                try await Self.pods(h)["db-1"]?.spec?.containers.first?.image == "nginx:1.26"
            }

            // whenScaled: Delete — the condemned pod's claim goes with it; whenDeleted: Delete — the rest with the set.
            #expect(try await h.kubectl("scale", "sts/db", "--replicas=1").status == 0)
            try await eventually("db-1 and its claim gone") {
                let claims = try await h.client.list(PersistentVolumeClaim.self, namespace: "default").items.compactMap(\.metadata.name)
                return try await Self.names(h) == ["db-0"] && claims == ["data-db-0"]
            }
            #expect(try await h.kubectl("delete", "sts/db").status == 0)
            try await eventually("pods and claims deleted with the set") {
                let claims = try await h.client.list(PersistentVolumeClaim.self, namespace: "default").items
                return try await Self.names(h).isEmpty && claims.isEmpty
            }
        }
    }
}

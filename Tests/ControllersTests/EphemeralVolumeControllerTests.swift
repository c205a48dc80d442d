import Controllers
import Foundation
import KubeAPI
import KubeClient
import Testing
import TestSupport

/// Generic ephemeral volumes against a real server, the controllers and the scheduler: the ephemeral volume
/// controller makes each volume's claim from its template, the binder binds it, the scheduler places the pod; a claim
/// of that name the pod does not own stops both, in upstream's words; the claim goes with its pod.
@Suite("Ephemeral volume controller", .serialized)
struct EphemeralVolumeControllerTests {
    static func pod(_ name: String) throws -> Pod {
        let template: JSONValue = [
            "metadata": ["labels": ["type": "scratch"]],
            "spec": ["accessModes": ["ReadWriteOnce"], "storageClassName": "manual", "resources": ["requests": ["storage": "1Gi"]]],
        ]
        return Pod(metadata: ObjectMeta(name: name, namespace: "default"),
                   spec: PodSpec(volumes: [Volume(name: "scratch", ephemeral: EphemeralVolumeSource(volumeClaimTemplate: template))],
                                 containers: [Container(name: "c", image: "busybox")]))
    }

    @Test func theClaimIsMadeFromTheTemplateBoundAndOwnedByThePod() async throws {
        try await ControllerHarness.with(controllers: "ephemeral-volume,persistentvolume-binder,garbagecollector", scheduler: true) { h in
            try await h.createNode("node-a")
            _ = try await h.client.create(PersistentVolumeControllerTests.volume("pv-scratch", size: "1Gi", storageClass: "manual"))
            let pod = try await h.client.create(try Self.pod("app"))

            try await eventually("the claim app-scratch bound and the pod placed") {
                let claim = try await h.client.get(PersistentVolumeClaim.self, name: "app-scratch", namespace: "default")
                let placed = try await h.client.get(Pod.self, name: "app", namespace: "default").spec?.nodeName == "node-a"
                return claim.spec?.volumeName == "pv-scratch" && placed
            }
            let claim = try await h.client.get(PersistentVolumeClaim.self, name: "app-scratch", namespace: "default")
            #expect(claim.metadata.labels == ["type": "scratch"])
            #expect(claim.metadata.ownerReferences == [OwnerReference(apiVersion: "v1", kind: "Pod", name: "app", uid: pod.metadata.uid ?? "",
                                                                      controller: true, blockOwnerDeletion: true)])
            #expect(claim.spec?.resources?.requests?["storage"] == Quantity(stringLiteral: "1Gi"))

            // The claim goes with the pod.
            try await h.client.delete(Pod.self, name: "app", namespace: "default", options: DeleteOptions(gracePeriodSeconds: 0))
            try await eventually("the claim deleted with its pod") {
                let claims = try await h.client.list(PersistentVolumeClaim.self, namespace: "default").items
                return !claims.contains { $0.metadata.name == "app-scratch" && $0.metadata.deletionTimestamp == nil }
            }
        }
    }

    @Test func aClaimThePodDoesNotOwnIsRefused() async throws {
        try await ControllerHarness.with(controllers: "ephemeral-volume", scheduler: true) { h in
            try await h.createNode("node-a")
            _ = try await h.client.create(PersistentVolumeControllerTests.claim("other-scratch", size: "1Gi", storageClass: "manual"))
            _ = try await h.client.create(try Self.pod("other"))
            let problem = "PVC default/other-scratch was not created for pod default/other (pod is not owner)"
            try await eventually("upstream's FailedBinding and FailedScheduling") {
                let events = try await h.events(about: "Pod", "other")
                return events.contains("Warning/FailedBinding: ephemeral volume scratch: \(problem)")
                    && events.contains { $0.hasPrefix("Warning/FailedScheduling: 0/1 nodes are available: \(problem).") }
            }
            #expect(try await h.client.get(Pod.self, name: "other", namespace: "default").spec?.nodeName == nil)
        }
    }

    @Test func withoutTheControllerTheSchedulerWaitsForTheClaim() async throws {
        try await ControllerHarness.with(controllers: "", scheduler: true) { h in
            try await h.createNode("node-a")
            _ = try await h.client.create(try Self.pod("early"))
            try await eventually("FailedScheduling waiting for the claim") {
                try await h.events(about: "Pod", "early").contains {
                    $0.hasPrefix(#"Warning/FailedScheduling: 0/1 nodes are available: waiting for ephemeral volume controller to create the persistentvolumeclaim "early-scratch"."#)
                }
            }
        }
    }
}

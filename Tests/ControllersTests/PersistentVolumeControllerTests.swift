import Controllers
import Foundation
import KubeAPI
import KubeClient
import Logging
import Testing
import TestSupport

/// PersistentVolumes, StorageClasses, the persistentvolume-binder and protection controllers and the scheduler's
/// VolumeBinding filter against a real server, with simulated nodes, read back with real kubectl.
@Suite("PersistentVolume binder", .serialized)
struct PersistentVolumeControllerTests {
    static func volume(_ name: String, size: String, modes: [String] = ["ReadWriteOnce"], storageClass: String? = "standard",
                       policy: String? = nil, labels: [String: String]? = nil, node: String? = nil) -> PersistentVolume {
        var spec = PersistentVolumeSpec(capacity: ["storage": Quantity(stringLiteral: size)], accessModes: modes,
                                        persistentVolumeReclaimPolicy: policy, storageClassName: storageClass)
        if let node {
            spec.local = LocalVolumeSource(path: "/mnt/disks/\(name)")
            spec.nodeAffinity = VolumeNodeAffinity(required: NodeSelector(nodeSelectorTerms: [
                NodeSelectorTerm(matchExpressions: [NodeSelectorRequirement(key: "kubernetes.io/hostname", operator: "In", values: [node])]),
            ]))
        } else {
            spec.hostPath = HostPathVolumeSource(path: "/data/\(name)")
        }
        return PersistentVolume(metadata: ObjectMeta(name: name, labels: labels), spec: spec)
    }

    static func claim(_ name: String, size: String, modes: [String] = ["ReadWriteOnce"], storageClass: String? = nil,
                      selector: LabelSelector? = nil) -> PersistentVolumeClaim {
        PersistentVolumeClaim(metadata: ObjectMeta(name: name, namespace: "default"),
                              spec: PersistentVolumeClaimSpec(accessModes: modes, selector: selector,
                                                              resources: VolumeResourceRequirements(requests: ["storage": Quantity(stringLiteral: size)]),
                                                              storageClassName: storageClass))
    }

    static func pod(_ name: String, claim: String) -> Pod {
        Pod(metadata: ObjectMeta(name: name, namespace: "default"),
            spec: PodSpec(volumes: [Volume(name: "data", persistentVolumeClaim: PersistentVolumeClaimVolumeSource(claimName: claim))],
                          containers: [Container(name: "c", image: "busybox")]))
    }

    static func claimState(_ h: ControllerHarness, _ name: String) async throws -> (phase: String?, volume: String?) {
        let claim = try await h.client.get(PersistentVolumeClaim.self, name: name, namespace: "default")
        return (claim.status?.phase, claim.spec?.volumeName)
    }

    static func phase(_ h: ControllerHarness, volume: String) async throws -> String? {
        try await h.client.get(PersistentVolume.self, name: volume).status?.phase
    }

    @Test func immediateClaimsBindToTheSmallestFittingVolumeAndAreReclaimedByPolicy() async throws {
        try await ControllerHarness.with(scheduler: true) { h in
            try await h.createNode("node-a")
            let standard = try await h.client.create(StorageClass(
                metadata: ObjectMeta(name: "standard", annotations: [StorageClass.defaultClassAnnotation: "true"]),
                provisioner: StorageClass.noProvisioner))
            #expect(standard.reclaimPolicy == "Delete" && standard.volumeBindingMode == "Immediate")
            let small = try await h.client.create(Self.volume("pv-small", size: "1Gi"))
            #expect(small.status?.phase == "Pending" && small.spec?.persistentVolumeReclaimPolicy == "Retain" && small.spec?.volumeMode == "Filesystem")
            #expect(small.metadata.finalizers == ["kubernetes.io/pv-protection"])
            _ = try await h.client.create(Self.volume("pv-rwx", size: "1Gi", modes: ["ReadWriteOnce", "ReadWriteMany"]))
            _ = try await h.client.create(Self.volume("pv-big", size: "5Gi"))
            _ = try await h.client.create(Self.volume("pv-gold", size: "3Gi", policy: "Delete", labels: ["tier": "gold"]))
            try await eventually("volumes Available") {
                for name in ["pv-small", "pv-rwx", "pv-big", "pv-gold"] where try await Self.phase(h, volume: name) != "Available" { return false }
                return true
            }

            // No class named: the default class is given, then the smallest RWO-only volume of 1Gi or more.
            let created = try await h.client.create(Self.claim("data", size: "500Mi"))
            #expect(created.spec?.storageClassName == "standard" && created.metadata.finalizers == ["kubernetes.io/pvc-protection"])
            try await eventually("data bound to pv-small") { try await Self.claimState(h, "data") == ("Bound", "pv-small") }
            let bound = try await h.client.get(PersistentVolumeClaim.self, name: "data", namespace: "default")
            #expect(bound.metadata.annotations?["pv.kubernetes.io/bind-completed"] == "yes")
            #expect(bound.metadata.annotations?["pv.kubernetes.io/bound-by-controller"] == "yes")
            #expect(bound.status?.capacity?["storage"] == "1Gi" && bound.status?.accessModes == ["ReadWriteOnce"])
            try await eventually("pv-small Bound") { try await Self.phase(h, volume: "pv-small") == "Bound" }
            let volume = try await h.client.get(PersistentVolume.self, name: "pv-small")
            #expect(volume.spec?.claimRef?.name == "data" && volume.spec?.claimRef?.uid == bound.metadata.uid)
            #expect(volume.metadata.annotations?["pv.kubernetes.io/bound-by-controller"] == "yes")

            // A selector picks the labelled volume even though a smaller one fits.
            _ = try await h.client.create(Self.claim("gold", size: "1Gi", storageClass: "standard",
                                                     selector: LabelSelector(matchLabels: ["tier": "gold"])))
            try await eventually("gold bound to pv-gold") { try await Self.claimState(h, "gold") == ("Bound", "pv-gold") }

            // A claim naming a volume too small for it waits, with upstream's VolumeMismatch event.
            var named = Self.claim("named", size: "8Gi", storageClass: "standard")
            named.spec?.volumeName = "pv-big"
            _ = try await h.client.create(named)
            try await eventually("VolumeMismatch for the named volume") {
                try await h.events(about: "PersistentVolumeClaim", "named").contains("Warning/VolumeMismatch: Cannot bind to requested volume \"pv-big\": requested PV is too small")
            }
            try await h.client.delete(PersistentVolumeClaim.self, name: "named", namespace: "default")

            // kubectl's columns, as 1.32 prints them.
            let pvs = try await h.kubectl("get", "pv", "pv-small", "pv-big")
            let pvLines = pvs.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            #expect(pvLines.first == "NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS VOLUMEATTRIBUTESCLASS REASON AGE", "\(pvs.stdout)")
            #expect(pvLines.dropFirst().first?.hasPrefix("pv-small 1Gi RWO Retain Bound default/data standard <unset> ") == true, "\(pvs.stdout)")
            #expect(pvLines.dropFirst(2).first?.hasPrefix("pv-big 5Gi RWO Retain Available standard <unset> ") == true, "\(pvs.stdout)")
            let pvcs = try await h.kubectl("get", "pvc", "data")
            let pvcLines = pvcs.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            #expect(pvcLines.first == "NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE", "\(pvcs.stdout)")
            #expect(pvcLines.dropFirst().first?.hasPrefix("data Bound pv-small 1Gi RWO standard <unset> ") == true, "\(pvcs.stdout)")
            let classes = try await h.kubectl("get", "sc")
            let scLines = classes.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            #expect(scLines.first == "NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE", "\(classes.stdout)")
            #expect(scLines.dropFirst().first?.hasPrefix("standard (default) kubernetes.io/no-provisioner Delete Immediate false ") == true, "\(classes.stdout)")

            // Nothing fits 10Gi: the claim stays Pending, with the event upstream gives for a class without a plugin,
            // and a pod using it is unschedulable until a volume appears.
            _ = try await h.client.create(Self.claim("huge", size: "10Gi"))
            try await eventually("huge's provisioning event") {
                try await h.events(about: "PersistentVolumeClaim", "huge").contains("Warning/ProvisioningFailed: no volume plugin matched name: kubernetes.io/no-provisioner")
            }
            #expect(try await Self.claimState(h, "huge") == ("Pending", nil))
            _ = try await h.client.create(Self.pod("user", claim: "huge"))
            try await eventually("FailedScheduling for the unbound claim") {
                try await h.events(about: "Pod", "user").contains("Warning/FailedScheduling: 0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..")
            }
            _ = try await h.client.create(Self.volume("pv-huge", size: "20Gi"))
            try await eventually("huge bound, user scheduled") {
                let pod = try await h.client.get(Pod.self, name: "user", namespace: "default")
                return try await Self.claimState(h, "huge") == ("Bound", "pv-huge") && pod.spec?.nodeName == "node-a"
            }

            // kubectl's describers read claims, volumes and classes (and the pods using a claim).
            let describedClaim = try await h.kubectl("describe", "pvc", "huge")
            #expect(describedClaim.status == 0 && describedClaim.stdout.contains("Used By:") && describedClaim.stdout.contains("user"), "\(describedClaim.stdout)\(describedClaim.stderr)")
            let describedVolume = try await h.kubectl("describe", "pv", "pv-huge")
            #expect(describedVolume.status == 0 && describedVolume.stdout.contains("default/huge"), "\(describedVolume.stdout)\(describedVolume.stderr)")
            let describedClass = try await h.kubectl("describe", "sc", "standard")
            #expect(describedClass.status == 0 && describedClass.stdout.contains("IsDefaultClass:") && describedClass.stdout.contains("Yes"), "\(describedClass.stdout)\(describedClass.stderr)")

            // pvc-protection: a claim in use by a scheduled pod stays (Terminating) until the pod goes.
            #expect(try await h.kubectl("delete", "pvc", "huge", "--wait=false").status == 0)
            try await Task.sleep(for: .seconds(1))
            let terminating = try await h.kubectl("get", "pvc", "huge", "--no-headers")
            #expect(terminating.stdout.contains("Terminating"), "\(terminating.stdout)")
            try await h.client.delete(Pod.self, name: "user", namespace: "default", options: DeleteOptions(gracePeriodSeconds: 0))
            try await eventually("huge deleted once unused") {
                do { _ = try await h.client.get(PersistentVolumeClaim.self, name: "huge", namespace: "default"); return false } catch { return (error as? KubeClientError)?.isNotFound == true }
            }
            // Retain: the volume is Released and kept.
            try await eventually("pv-huge Released") { try await Self.phase(h, volume: "pv-huge") == "Released" }

            // Delete on a volume no plugin can delete: Failed, as upstream reports it.
            try await h.client.delete(PersistentVolumeClaim.self, name: "gold", namespace: "default")
            try await eventually("pv-gold Failed") { try await Self.phase(h, volume: "pv-gold") == "Failed" }
            let failed = try await h.client.get(PersistentVolume.self, name: "pv-gold")
            #expect(failed.status?.message == "host_path deleter only supports /tmp/.+ but received provided /data/pv-gold")

            // pv-protection: a bound volume being deleted waits for its claim to go.
            #expect(try await h.kubectl("delete", "pv", "pv-small", "--wait=false").status == 0)
            try await Task.sleep(for: .seconds(1))
            #expect(try await h.client.get(PersistentVolume.self, name: "pv-small").metadata.deletionTimestamp != nil)
            try await h.client.delete(PersistentVolumeClaim.self, name: "data", namespace: "default")
            try await eventually("pv-small deleted once released") {
                do { _ = try await h.client.get(PersistentVolume.self, name: "pv-small"); return false } catch { return (error as? KubeClientError)?.isNotFound == true }
            }
        }
    }

    @Test func waitForFirstConsumerBindsLocalVolumesOnTheChosenNode() async throws {
        try await ControllerHarness.with(scheduler: true) { h in
            try await h.createNode("node-a")
            try await h.createNode("node-b")
            _ = try await h.client.create(StorageClass(metadata: ObjectMeta(name: "local"), provisioner: StorageClass.noProvisioner,
                                                       volumeBindingMode: StorageClass.waitForFirstConsumer))
            _ = try await h.client.create(Self.volume("local-b", size: "10Gi", storageClass: "local", node: "node-b"))
            _ = try await h.client.create(Self.claim("cache", size: "1Gi", storageClass: "local"))
            try await eventually("the claim waits for its first consumer") {
                try await h.events(about: "PersistentVolumeClaim", "cache").contains("Normal/WaitForFirstConsumer: waiting for first consumer to be created before binding")
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await Self.claimState(h, "cache") == ("Pending", nil))
            #expect(try await h.client.get(PersistentVolume.self, name: "local-b").spec?.claimRef == nil)

            _ = try await h.client.create(Self.pod("consumer", claim: "cache"))
            try await eventually("consumer on node-b with its claim bound to local-b") {
                let pod = try await h.client.get(Pod.self, name: "consumer", namespace: "default")
                let state = try await Self.claimState(h, "cache")
                return pod.spec?.nodeName == "node-b" && state == ("Bound", "local-b")
            }
            #expect(try await h.client.get(PersistentVolume.self, name: "local-b").metadata.annotations?["pv.kubernetes.io/bound-by-controller"] == "yes")

            // A second claim of the class finds no volume on any node.
            _ = try await h.client.create(Self.claim("more", size: "1Gi", storageClass: "local"))
            _ = try await h.client.create(Self.pod("second", claim: "more"))
            try await eventually("FailedScheduling: no volume to bind") {
                try await h.events(about: "Pod", "second").contains("Warning/FailedScheduling: 0/2 nodes are available: 2 node(s) didn't find available persistent volumes to bind. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..")
            }
            // A pod using the bound claim goes where its volume is.
            _ = try await h.client.create(Self.pod("neighbour", claim: "cache"))
            try await eventually("neighbour on node-b") {
                try await h.client.get(Pod.self, name: "neighbour", namespace: "default").spec?.nodeName == "node-b"
            }
        }
    }

    @Test func validationAndImmutability() async throws {
        try await ControllerHarness.with(controllers: nil) { h in
            let noSource = """
                {"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"bad"},"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"persistentVolumeReclaimPolicy":"Keep","local":{"path":"/mnt"}}}
                """
            let result = try await runCommand(h.kubectlPath, ["--kubeconfig", h.server.kubeconfig, "create", "-f", "-"], stdin: noSource,
                                              environment: ["HOME": h.server.dataDirectory], timeout: 60)
            #expect(result.status != 0)
            #expect(result.stderr.contains("spec.persistentVolumeReclaimPolicy: Unsupported value: \"Keep\": supported values: \"Delete\", \"Recycle\", \"Retain\""), "\(result.stderr)")
            #expect(result.stderr.contains("spec.nodeAffinity: Required value: Local volume requires node affinity"), "\(result.stderr)")
            let sc = try await h.client.create(StorageClass(metadata: ObjectMeta(name: "fast"), provisioner: "example.com/fast", parameters: ["type": "ssd"]))
            var changed = sc
            changed.parameters = ["type": "hdd"]
            changed.volumeBindingMode = StorageClass.waitForFirstConsumer
            do {
                _ = try await h.client.update(changed)
                Issue.record("a StorageClass update changed its parameters")
            } catch {
                #expect("\(error)".contains("parameters: Forbidden: updates to parameters are forbidden."), "\(error)")
                #expect("\(error)".contains("volumeBindingMode: Invalid value: \"WaitForFirstConsumer\": field is immutable"), "\(error)")
            }
        }
    }

    @Test func swiftletServerExportsThePVCollectorGauges() async throws {
        let server = try await ServerProcess(controllers: true)
        defer { server.stop() }
        let client = try KubeClient(configuration: server.clientConfiguration(), logger: Logger(label: "test"))
        _ = try await client.create(Self.volume("free", size: "1Gi", storageClass: "slow"))
        let curl = try #require(which("curl"))
        // The collector records every sync period (15 s).
        let deadline = ContinuousClock.now + .seconds(40)
        var found = false
        while ContinuousClock.now < deadline, !found {
            let metrics = try await runCommand(curl, ["-s"] + server.curlTLSArguments + [server.url + "/metrics"])
            found = metrics.stdout.contains(#"pv_collector_unbound_pv_count{storage_class="slow"} 1"#)
            if !found { try await Task.sleep(for: .seconds(1)) }
        }
        #expect(found, "pv_collector_unbound_pv_count missing from /metrics")
        try await client.shutdown()
    }
}

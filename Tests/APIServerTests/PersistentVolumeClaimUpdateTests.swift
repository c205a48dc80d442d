import Foundation
import KubeAPI
import Testing
import TestSupport
@testable import APIServer

/// Updates of PersistentVolumeClaims as upstream's `ValidatePersistentVolumeClaimUpdate` (1.32 default gates) and
/// LimitRanger judge them: below the HTTP layer, then through the real kubectl.
@Suite struct PersistentVolumeClaimUpdateTests {
    static func claim(storage: Quantity, phase: String = "Pending", capacity: Quantity? = nil) -> PersistentVolumeClaim {
        var claim = PersistentVolumeClaim(metadata: ObjectMeta(name: "data", namespace: "default"))
        claim.spec = PersistentVolumeClaimSpec(accessModes: ["ReadWriteOnce"], resources: VolumeResourceRequirements(requests: ["storage": storage]),
                                               storageClassName: "standard", volumeMode: "Filesystem")
        claim.status = PersistentVolumeClaimStatus(phase: phase, capacity: capacity.map { ["storage": $0] })
        return claim
    }

    static func messages(_ claim: PersistentVolumeClaim, old: PersistentVolumeClaim) -> [String] {
        PersistentVolumeClaimStrategy().validate(claim, old: old).map { "\($0.field ?? ""): \($0.message ?? "")" }
    }

    /// An unbound claim's request may not change; the refusal carries go-cmp's diff of the specs, as upstream's does.
    @Test func anUnboundClaimsRequestIsImmutable() {
        let diff = """
              core.PersistentVolumeClaimSpec{
              \tAccessModes: {"ReadWriteOnce"},
              \tSelector:    nil,
              \tResources: core.VolumeResourceRequirements{
              \t\tLimits: nil,
            - \t\tRequests: core.ResourceList{
            - \t\t\ts"storage": {i: resource.int64Amount{value: 1073741824}, s: "1Gi", Format: "BinarySI"},
            - \t\t},
            + \t\tRequests: core.ResourceList{
            + \t\t\ts"storage": {i: resource.int64Amount{value: 2, scale: 9}, s: "2G", Format: "DecimalSI"},
            + \t\t},
              \t},
              \tVolumeName:       "",
              \tStorageClassName: &"standard",
              \t... // 4 identical fields
              }

            """
        #expect(Self.messages(Self.claim(storage: "2G"), old: Self.claim(storage: "1Gi"))
                == ["spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n" + diff])
    }

    /// A bound claim's request may grow, and shrink only while it stays above `status.capacity` (recovery from a
    /// failed expansion, RecoverVolumeExpansionFailure being on by default in 1.32).
    @Test func aBoundClaimsRequestGrowsAndShrinksNoFurtherThanItsCapacity() {
        let bound = Self.claim(storage: "2Gi", phase: "Bound", capacity: "2Gi")
        #expect(Self.messages(Self.claim(storage: "5Gi", phase: "Bound", capacity: "2Gi"), old: bound).isEmpty)
        let expanding = Self.claim(storage: "5Gi", phase: "Bound", capacity: "2Gi")
        #expect(Self.messages(Self.claim(storage: "3Gi", phase: "Bound", capacity: "2Gi"), old: expanding).isEmpty)
        #expect(Self.messages(Self.claim(storage: "2Gi", phase: "Bound", capacity: "2Gi"), old: expanding)
                == ["spec.resources.requests.storage: Forbidden: field can not be less than status.capacity"])
        // Other fields stay immutable when bound: a changed volume name is shown as a -/+ pair, the unchanged
        // neighbours as context.
        var renamed = bound, moved = bound
        renamed.spec?.volumeName = "pv-a"
        moved.spec?.volumeName = "pv-b"
        let refusal = Self.messages(moved, old: renamed)
        #expect(refusal.count == 1 && refusal[0].contains("""
            \tResources:        {Requests: {s"storage": {i: {...}, s: "2Gi", Format: "BinarySI"}}},
            - \tVolumeName:       "pv-a",
            + \tVolumeName:       "pv-b",
            \u{20} \tStorageClassName: &"standard",
            \u{20} \tVolumeMode:       &"Filesystem",
            \u{20} \t... // 3 identical fields
            """), "\(refusal)")
    }

    /// What may change once: the volume name of a claim without one, the class of a claim without one (or moved from
    /// the beta annotation to the field); the volume mode never.
    @Test func theVolumeNameAndAMissingClassAreFilledInOnce() {
        var old = Self.claim(storage: "1Gi")
        old.spec?.storageClassName = nil
        var new = old
        new.spec?.volumeName = "pv-1"
        new.spec?.storageClassName = "standard"
        #expect(Self.messages(new, old: old).isEmpty)
        var annotated = old
        annotated.metadata.annotations = [StorageClass.betaStorageClassAnnotation: "gold"]
        var fielded = annotated
        fielded.spec?.storageClassName = "gold"
        #expect(Self.messages(fielded, old: annotated).isEmpty)
        var relabelled = annotated
        relabelled.metadata.annotations = [StorageClass.betaStorageClassAnnotation: "silver"]
        #expect(Self.messages(relabelled, old: annotated)
                == [#"metadata.annotations.volume.beta.kubernetes.io/storage-class: Invalid value: "silver": field is immutable"#])
        var block = old
        block.spec?.volumeMode = "Block"
        let refusal = Self.messages(block, old: old)
        #expect(refusal.count == 2 && refusal[0].contains(#"  \#t... // 3 identical fields\#n  \#tVolumeName:                "",\#n  \#tStorageClassName:          nil,\#n- \#tVolumeMode:                &"Filesystem",\#n+ \#tVolumeMode:                &"Block","#)
                && refusal[1] == #"volumeMode: Invalid value: "Block": field is immutable"#, "\(refusal)")
    }

    /// A claim created with only `dataSource` reads back with the same `dataSourceRef`, and one with only a
    /// namespace-less `dataSourceRef` with the same `dataSource` (upstream's NormalizeDataSources); one naming another
    /// namespace keeps `dataSource` unset.
    @Test func dataSourcesAreMirroredOnCreate() async throws {
        let k = try await KubectlHarness(controllers: false)
        func create(_ name: String, _ source: String) async throws -> String {
            _ = try await k.ok("create", "-f", "-", stdin: #"{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"\#(name)"},"spec":{"accessModes":["ReadWriteOnce"],"storageClassName":"","resources":{"requests":{"storage":"1Gi"}},\#(source)}}"#)
            return try await k.ok("get", "pvc", name, "-o", "jsonpath={.spec.dataSource} {.spec.dataSourceRef}")
        }
        #expect(try await create("old", #""dataSource":{"kind":"PersistentVolumeClaim","name":"origin"}"#)
                == #"{"kind":"PersistentVolumeClaim","name":"origin"} {"kind":"PersistentVolumeClaim","name":"origin"}"#)
        #expect(try await create("new", #""dataSourceRef":{"apiGroup":"snapshot.storage.k8s.io","kind":"VolumeSnapshot","name":"snap"}"#)
                == #"{"apiGroup":"snapshot.storage.k8s.io","kind":"VolumeSnapshot","name":"snap"} {"apiGroup":"snapshot.storage.k8s.io","kind":"VolumeSnapshot","name":"snap"}"#)
        #expect(try await create("elsewhere", #""dataSourceRef":{"kind":"PersistentVolumeClaim","name":"origin","namespace":"other"}"#)
                == #" {"kind":"PersistentVolumeClaim","name":"origin","namespace":"other"}"#)
    }

    /// Through kubectl: the unbound claim's change refused with upstream's words, then (marked bound through the status
    /// subresource, as the binder would) grown, refused a shrink below its capacity, and refused a growth past the
    /// namespace's LimitRange with the create's 403; ResourceQuota then charges it what it adds to its allocation.
    @Test func kubectlUpdatesOfAClaim() async throws {
        let k = try await KubectlHarness(controllers: false)
        _ = try await k.ok("create", "-f", "-", stdin: #"{"apiVersion":"v1","kind":"LimitRange","metadata":{"name":"lr"},"spec":{"limits":[{"type":"PersistentVolumeClaim","max":{"storage":"4Gi"}}]}}"#)
        _ = try await k.ok("create", "-f", "-", stdin: #"{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"storageClassName":"","resources":{"requests":{"storage":"1Gi"}}}}"#)
        let unbound = try await k.kubectl("patch", "pvc", "data", "-p", #"{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}"#)
        #expect(unbound.status != 0 && unbound.stderr.contains(#"The PersistentVolumeClaim "data" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"#)
                && unbound.stderr.contains("+ \t\t\ts\"storage\": {i: resource.int64Amount{value: 2147483648}, s: \"2Gi\", Format: \"BinarySI\"},"), "\(unbound)")

        _ = try await k.ok("patch", "pvc", "data", "--subresource=status", "-p", #"{"status":{"phase":"Bound","capacity":{"storage":"2Gi"}}}"#)
        _ = try await k.ok("patch", "pvc", "data", "-p", #"{"spec":{"resources":{"requests":{"storage":"3Gi"}}}}"#)
        #expect(try await k.ok("get", "pvc", "data", "-o", "jsonpath={.spec.resources.requests.storage}") == "3Gi")
        let shrunk = try await k.kubectl("patch", "pvc", "data", "-p", #"{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}"#)
        #expect(shrunk.status != 0 && shrunk.stderr.contains(#"The PersistentVolumeClaim "data" is invalid: spec.resources.requests.storage: Forbidden: field can not be less than status.capacity"#), "\(shrunk)")
        let tooBig = try await k.kubectl("patch", "pvc", "data", "-p", #"{"spec":{"resources":{"requests":{"storage":"5Gi"}}}}"#)
        #expect(tooBig.status != 0 && tooBig.stderr.contains(#"persistentvolumeclaims "data" is forbidden: maximum storage usage per PersistentVolumeClaim is 4Gi, but request is 5Gi"#), "\(tooBig)")
        #expect(try await k.ok("get", "pvc", "data", "-o", "jsonpath={.spec.resources.requests.storage}") == "3Gi")

        // ResourceQuota charges the larger of request and allocation: the claim allocated 4Gi (an expansion that
        // failed partway) grows from 3Gi to 4Gi for free, then to 5Gi for 1Gi.
        _ = try await k.ok("delete", "limitrange", "lr")
        _ = try await k.ok("patch", "pvc", "data", "--subresource=status", "-p", #"{"status":{"allocatedResources":{"storage":"4Gi"}}}"#)
        _ = try await k.ok("create", "quota", "q", "--hard=requests.storage=10Gi")
        _ = try await k.ok("patch", "quota", "q", "--subresource=status", "-p", #"{"status":{"hard":{"requests.storage":"10Gi"},"used":{"requests.storage":"4Gi"}}}"#)
        // Once the plugin follows the new quota, growing to 20Gi asks for 16Gi beyond the 4Gi allocated.
        var exceeded = ""
        for _ in 0..<100 where !exceeded.contains("exceeded quota") {
            exceeded = try await k.kubectl("patch", "pvc", "data", "--dry-run=server", "-p", #"{"spec":{"resources":{"requests":{"storage":"20Gi"}}}}"#).stderr
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(exceeded.contains(#"persistentvolumeclaims "data" is forbidden: exceeded quota: q, requested: requests.storage=16Gi, used: requests.storage=4Gi, limited: requests.storage=10Gi"#), "\(exceeded)")
        _ = try await k.ok("patch", "pvc", "data", "-p", #"{"spec":{"resources":{"requests":{"storage":"4Gi"}}}}"#)
        #expect(try await k.ok("get", "quota", "q", "-o", "jsonpath={.status.used.requests\\.storage}") == "4Gi")
        _ = try await k.ok("patch", "pvc", "data", "-p", #"{"spec":{"resources":{"requests":{"storage":"5Gi"}}}}"#)
        #expect(try await k.ok("get", "quota", "q", "-o", "jsonpath={.status.used.requests\\.storage}") == "5Gi")
    }
}

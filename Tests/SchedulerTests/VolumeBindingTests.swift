import Foundation
import KubeAPI
@testable import Scheduler
import Testing

/// The VolumeBinding filter over a cache: upstream's PreFilter verdicts and Filter reasons, and the plan for
/// `WaitForFirstConsumer` claims.
@Suite("scheduler volume binding")
struct VolumeBindingTests {
    static func claim(_ name: String, storageClass: String, volume: String? = nil, size: String = "1Gi") -> PersistentVolumeClaim {
        var claim = PersistentVolumeClaim(metadata: ObjectMeta(name: name, namespace: "default", uid: "uid-\(name)"),
                                          spec: PersistentVolumeClaimSpec(accessModes: ["ReadWriteOnce"],
                                                                          resources: VolumeResourceRequirements(requests: ["storage": Quantity(stringLiteral: size)]),
                                                                          volumeName: volume, storageClassName: storageClass))
        if volume != nil { claim.metadata.annotations = [VolumeBinding.bindCompleted: "yes"] }
        return claim
    }

    static func localVolume(_ name: String, node: String, size: String = "5Gi", claimRef: ObjectReference? = nil) -> PersistentVolume {
        var volume = PersistentVolume(metadata: ObjectMeta(name: name), spec: PersistentVolumeSpec(
            capacity: ["storage": Quantity(stringLiteral: size)], accessModes: ["ReadWriteOnce"], claimRef: claimRef, storageClassName: "local",
            nodeAffinity: VolumeNodeAffinity(required: NodeSelector(nodeSelectorTerms: [
                NodeSelectorTerm(matchExpressions: [NodeSelectorRequirement(key: "kubernetes.io/hostname", operator: "In", values: [node])]),
            ])), local: LocalVolumeSource(path: "/mnt/\(name)")))
        volume.status = PersistentVolumeStatus(phase: claimRef == nil ? "Available" : "Bound")
        return volume
    }

    static func pod(claims: [String]) throws -> PendingPod {
        let volumes = claims.map { #"{"name":"\#($0)","persistentVolumeClaim":{"claimName":"\#($0)"}}"# }.joined(separator: ",")
        return PendingPod(try SchedulerTests.pod(#"{"metadata":{"name":"p","namespace":"default","uid":"p"},"spec":{"containers":[{"name":"c"}],"volumes":[\#(volumes)]}}"#))
    }

    static func cache(claims: [PersistentVolumeClaim], volumes: [PersistentVolume]) -> ClusterCache {
        var cache = SchedulerTests.cache([SchedulerTests.node("a", labels: ["kubernetes.io/hostname": "a"]),
                                          SchedulerTests.node("b", labels: ["kubernetes.io/hostname": "b"])])
        cache.volumes.classes = [
            "local": StorageClass(metadata: ObjectMeta(name: "local"), provisioner: StorageClass.noProvisioner, volumeBindingMode: "WaitForFirstConsumer"),
            "standard": StorageClass(metadata: ObjectMeta(name: "standard"), provisioner: StorageClass.noProvisioner),
        ]
        for claim in claims { cache.volumes.claims[VolumeCache.key(claim)] = claim }
        for volume in volumes { cache.volumes.setVolume(volume) }
        return cache
    }

    @Test("unbound immediate and missing claims fail PreFilter with upstream's messages")
    func preFilter() throws {
        let cache = Self.cache(claims: [Self.claim("data", storageClass: "standard")], volumes: [])
        let algorithm = SchedulingAlgorithm(pod: try Self.pod(claims: ["data"]), cache: cache)
        #expect(algorithm.volumes?.preFilterFailure == "pod has unbound immediate PersistentVolumeClaims")
        #expect(algorithm.preFilterError("pod has unbound immediate PersistentVolumeClaims").message
                == "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..")
        let missing = SchedulingAlgorithm(pod: try Self.pod(claims: ["nope"]), cache: cache)
        #expect(missing.volumes?.preFilterFailure == "persistentvolumeclaim \"nope\" not found")
        let none = SchedulingAlgorithm(pod: PendingPod(try SchedulerTests.pod(#"{"metadata":{"name":"q","uid":"q"},"spec":{"containers":[{"name":"c"}]}}"#)), cache: cache)
        #expect(none.volumes == nil)
    }

    @Test("bound local volumes pin the pod to their node; delayed claims get a matching volume or a bind conflict")
    func filterAndPlan() throws {
        let ref = ObjectReference(kind: "PersistentVolumeClaim", namespace: "default", name: "bound", uid: "uid-bound")
        let cache = Self.cache(claims: [Self.claim("bound", storageClass: "local", volume: "pv-a"), Self.claim("late", storageClass: "local"),
                                        Self.claim("big", storageClass: "local", size: "50Gi")],
                               volumes: [Self.localVolume("pv-a", node: "a", claimRef: ref), Self.localVolume("pv-b1", node: "b", size: "10Gi"),
                                         Self.localVolume("pv-b2", node: "b", size: "2Gi")])
        let bound = SchedulingAlgorithm(pod: try Self.pod(claims: ["bound"]), cache: cache)
        #expect(bound.filter(cache.nodes[0]) == nil)
        #expect(bound.filter(cache.nodes[1]) == .unresolvable("node(s) had volume node affinity conflict"))

        let late = SchedulingAlgorithm(pod: try Self.pod(claims: ["late"]), cache: cache)
        #expect(late.filter(cache.nodes[0]) == .unresolvable("node(s) didn't find available persistent volumes to bind"))
        #expect(late.filter(cache.nodes[1]) == nil)
        guard case .fits(let plan) = late.volumes?.plan(for: cache.nodes[1]) else { Issue.record("no plan on b"); return }
        // The smallest volume that fits.
        #expect(plan.bindings == [VolumePlan.Binding(claim: "default/late", volume: "pv-b2")])

        let both = SchedulingAlgorithm(pod: try Self.pod(claims: ["bound", "late"]), cache: cache)
        #expect(both.filter(cache.nodes[0]) == .unresolvable("node(s) didn't find available persistent volumes to bind"))
        #expect(both.filter(cache.nodes[1]) == FilterFailure(reasons: ["node(s) had volume node affinity conflict"], unresolvable: true))

        // A volume already taken by another pod's binding in flight is not offered again.
        var assumed = cache
        assumed.volumes.assumed["pv-b2"] = "default/other"
        guard case .fits(let next) = SchedulingAlgorithm(pod: try Self.pod(claims: ["late"]), cache: assumed).volumes?.plan(for: assumed.nodes[1])
        else { Issue.record("no plan with pv-b2 assumed"); return }
        #expect(next.bindings.map(\.volume) == ["pv-b1"])
        let big = SchedulingAlgorithm(pod: try Self.pod(claims: ["big"]), cache: cache)
        #expect(big.filter(cache.nodes[1]) == .unresolvable("node(s) didn't find available persistent volumes to bind"))
    }

    @Test("a ReadWriteOncePod claim another pod uses conflicts everywhere unless that pod is preempted")
    func readWriteOncePod() throws {
        var exclusive = Self.claim("solo", storageClass: "local", volume: "pv-a")
        exclusive.spec?.accessModes = ["ReadWriteOncePod"]
        let ref = ObjectReference(kind: "PersistentVolumeClaim", namespace: "default", name: "solo", uid: "uid-solo")
        var cache = Self.cache(claims: [exclusive], volumes: [Self.localVolume("pv-a", node: "a", claimRef: ref)])
        let user = try SchedulerTests.pod(#"{"metadata":{"name":"user","namespace":"default","uid":"user"},"spec":{"nodeName":"a","containers":[{"name":"c"}],"volumes":[{"name":"v","persistentVolumeClaim":{"claimName":"solo"}}]}}"#)
        cache.place(PodInfo(user))
        let algorithm = SchedulingAlgorithm(pod: try Self.pod(claims: ["solo"]), cache: cache)
        #expect(algorithm.filter(cache.nodes[0]) == .resolvable("node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode"))
        #expect(algorithm.filter(cache.nodes[0], ignoring: ["user"]) == nil)
        cache.remove(uid: "user")
        #expect(SchedulingAlgorithm(pod: try Self.pod(claims: ["solo"]), cache: cache).filter(cache.nodes[0]) == nil)
    }

    @Test("VolumeZone: a bound volume's zone labels must match a zoned node's (beta labels against GA ones too)")
    func volumeZone() throws {
        var volume = PersistentVolume(metadata: ObjectMeta(name: "disk", labels: ["failure-domain.beta.kubernetes.io/zone": "z1__z2"]),
                                      spec: PersistentVolumeSpec(capacity: ["storage": "1Gi"], accessModes: ["ReadWriteOnce"], storageClassName: "standard",
                                                                 csi: CSIPersistentVolumeSource(driver: "d", volumeHandle: "h")))
        volume.status = PersistentVolumeStatus(phase: "Bound")
        var cache = Self.cache(claims: [Self.claim("zoned", storageClass: "standard", volume: "disk")], volumes: [volume])
        cache.setNode(SchedulerTests.node("z1", labels: ["topology.kubernetes.io/zone": "z1"]))
        cache.setNode(SchedulerTests.node("z3", labels: ["topology.kubernetes.io/zone": "z3"]))
        let algorithm = SchedulingAlgorithm(pod: try Self.pod(claims: ["zoned"]), cache: cache)
        #expect(algorithm.filter(try #require(cache.node(named: "a"))) == nil, "a node without zone labels is fine")
        #expect(algorithm.filter(try #require(cache.node(named: "z1"))) == nil)
        #expect(algorithm.filter(try #require(cache.node(named: "z3"))) == .unresolvable("node(s) had no available volume zone"))
    }
}

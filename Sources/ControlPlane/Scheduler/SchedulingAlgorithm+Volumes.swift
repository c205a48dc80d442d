import Foundation
import KubeAPI

/// What the VolumeBinding plugin decided for a pod on its node: volumes to pre-bind to claims of
/// `WaitForFirstConsumer` classes, and claims to hand to their provisioner with the node selected.
struct VolumePlan: Sendable, Hashable {
    /// (claim key, volume name)
    var bindings: [Binding] = []
    /// Claim keys to annotate with `volume.kubernetes.io/selected-node`.
    var provisions: [String] = []
    /// Every claim of the pod, to wait for until the binder has bound them all.
    var claims: [String] = []

    struct Binding: Sendable, Hashable {
        var claim: String
        var volume: String
    }

    var isEmpty: Bool { bindings.isEmpty && provisions.isEmpty }
}

/// VolumeBinding's verdict on one node.
enum VolumeFit: Sendable {
    case fits(VolumePlan)
    case failure(FilterFailure)
}

/// The VolumeBinding plugin's pre-filter state for one pod (upstream's `podVolumeClaims`): the volumes of its bound
/// claims, its unbound claims of `WaitForFirstConsumer` classes, or why it cannot be scheduled at all.
struct VolumeBindingState: Sendable {
    static let reasonNodeConflict = "node(s) had volume node affinity conflict"
    static let reasonBindConflict = "node(s) didn't find available persistent volumes to bind"
    static let reasonUnboundImmediate = "pod has unbound immediate PersistentVolumeClaims"
    static let reasonVolumeZone = "node(s) had no available volume zone"
    /// VolumeZone's labels: beta zone and region, then GA zone and region.
    static let topologyLabels = ["failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region",
                                 "topology.kubernetes.io/zone", "topology.kubernetes.io/region"]
    static let reasonReadWriteOncePodConflict = "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode"

    /// The PreFilter verdict (`UnschedulableAndUnresolvable` on every node), nil when filtering may go on.
    var preFilterFailure: String?
    var boundVolumes: [PersistentVolume] = []
    var missingVolumes: [String] = []
    var delayed: [PersistentVolumeClaim] = []
    var claimKeys: [String] = []
    /// Placed pods using one of this pod's `ReadWriteOncePod` claims (VolumeRestrictions' PreFilter count).
    var readWriteOncePodUsers: Set<String> = []
    let cache: VolumeCache

    /// Nil when the pod uses no claims (the plugin is skipped).
    init?(pod: PendingPod, cache: ClusterCache) {
        let names = pod.pod.claimNames
        guard !names.isEmpty else { return nil }
        self.cache = cache.volumes
        let namespace = pod.info.namespace
        var unboundImmediate = false
        for name in names {
            let key = VolumeCache.key(namespace: namespace, name: name)
            claimKeys.append(key)
            let ephemeral = pod.pod.isEphemeralClaim(name)
            guard let claim = cache.volumes.claims[key] else {
                preFilterFailure = ephemeral ? "waiting for ephemeral volume controller to create the persistentvolumeclaim \"\(name)\""
                    : "persistentvolumeclaim \"\(name)\" not found"
                return
            }
            if ephemeral, let problem = pod.pod.ephemeralClaimProblem(claim) {
                preFilterFailure = problem
                return
            }
            if claim.metadata.deletionTimestamp != nil {
                preFilterFailure = "persistentvolumeclaim \"\(name)\" is being deleted"
                return
            }
            if claim.spec?.accessModes?.contains("ReadWriteOncePod") == true {
                readWriteOncePodUsers.formUnion((cache.claimUsers[key] ?? []).subtracting([pod.info.uid]))
            }
            if claim.isBound {
                let volumeName = claim.spec?.volumeName ?? ""
                if let volume = cache.volumes.volumes[volumeName] { boundVolumes.append(volume) } else { missingVolumes.append(volumeName) }
            } else if cache.volumes.classes[claim.storageClass]?.waitsForFirstConsumer == true {
                delayed.append(claim)
            } else {
                unboundImmediate = true
            }
        }
        if unboundImmediate { preFilterFailure = Self.reasonUnboundImmediate }
        for volume in boundVolumes {
            for key in Self.topologyLabels {
                guard let value = volume.metadata.labels?[key] else { continue }
                zoneConstraints.append((key, Set(value.components(separatedBy: "__").map { $0.trimmingCharacters(in: .whitespaces) })))
            }
        }
    }

    /// Zone and region labels of the bound volumes (VolumeZone's pre-filter state): label → allowed values.
    var zoneConstraints: [(key: String, values: Set<String>)] = []

    /// VolumeZone's Filter: on a node with any zone or region label, each bound volume's zone/region label must
    /// be matched (a beta label on the volume also by the node's GA label).
    func volumeZoneConflict(_ node: NodeInfo) -> FilterFailure? {
        guard !zoneConstraints.isEmpty, Self.topologyLabels.contains(where: { node.labels[$0] != nil }) else { return nil }
        for constraint in zoneConstraints {
            let ga = constraint.key.replacingOccurrences(of: "failure-domain.beta.kubernetes.io/", with: "topology.kubernetes.io/")
            guard let value = node.labels[constraint.key] ?? node.labels[ga], constraint.values.contains(value) else {
                return .unresolvable(Self.reasonVolumeZone)
            }
        }
        return nil
    }

    /// VolumeRestrictions' Filter: a `ReadWriteOncePod` claim another pod uses conflicts on every node, unless
    /// preemption removes that pod (`removed`, the victims on this node).
    func readWriteOncePodConflict(ignoring removed: Set<String>) -> FilterFailure? {
        readWriteOncePodUsers.subtracting(removed).isEmpty ? nil : .resolvable(Self.reasonReadWriteOncePodConflict)
    }

    /// Upstream's `FindPodVolumes` for one node: bound volumes must be reachable from it, and every delayed claim
    /// needs a matching available volume there or a class that can provision. Returns the plan, or the reasons.
    func plan(for node: NodeInfo) -> VolumeFit {
        var reasons: [String] = []
        if !missingVolumes.isEmpty || boundVolumes.contains(where: { !$0.reachable(nodeName: node.name, labels: node.labels) }) {
            reasons.append(Self.reasonNodeConflict)
        }
        var plan = VolumePlan(claims: claimKeys)
        var chosen: Set<String> = []
        var unboundSatisfied = true
        // Upstream matches the claims in order of their requests, smallest first.
        for claim in delayed.sorted(by: { $0.requestedStorage < $1.requestedStorage }) {
            let key = VolumeCache.key(claim)
            if let selected = claim.metadata.annotations?[VolumeBinding.selectedNode] {
                if selected != node.name { unboundSatisfied = false; break }
                plan.provisions.append(key)
                continue
            }
            let excluded = chosen.union(cache.assumed.filter { $0.value != key }.map(\.key))
            let candidates = cache.volumes.values.filter { $0.storageClass == claim.storageClass }
            if let volume = VolumeMatching.findMatchingVolume(for: claim, in: candidates, node: (node.name, node.labels),
                                                              delayBinding: true, excluded: excluded),
               let name = volume.metadata.name {
                chosen.insert(name)
                if !volume.isBound(to: claim) || (volume.spec?.claimRef?.uid ?? "").isEmpty {
                    plan.bindings.append(VolumePlan.Binding(claim: key, volume: name))
                }
                continue
            }
            // Dynamic provisioning: the class must have a provisioner and allow the node's topology.
            guard let storageClass = cache.classes[claim.storageClass], !storageClass.provisioner.isEmpty,
                  storageClass.provisioner != StorageClass.noProvisioner, Self.allowed(storageClass, on: node) else {
                unboundSatisfied = false
                break
            }
            plan.provisions.append(key)
        }
        if !unboundSatisfied { reasons.append(Self.reasonBindConflict) }
        if !reasons.isEmpty { return .failure(FilterFailure(reasons: reasons, unresolvable: true)) }
        return .fits(plan)
    }

    /// Upstream's `v1helper.MatchTopologySelectorTerms` over the class's `allowedTopologies` (none: everywhere).
    static func allowed(_ storageClass: StorageClass, on node: NodeInfo) -> Bool {
        guard let terms = storageClass.allowedTopologies, !terms.isEmpty else { return true }
        return terms.contains { term in
            (term.matchLabelExpressions ?? []).allSatisfy { requirement in
                node.labels[requirement.key].map(requirement.values.contains) ?? false
            }
        }
    }
}

import Foundation
import KubeAPI

/// Where a DaemonSet's pods belong and what they look like (upstream's `NodeShouldRunDaemonPod` and
/// `pkg/controller/daemon/util`).
extension DaemonSet {
    /// The pod label holding the template's revision hash.
    static let revisionHashLabel = "controller-revision-hash"
    /// The pod label holding the template generation (deprecated upstream, still written and read).
    static let templateGenerationLabel = "pod-template-generation"
    /// The annotation in which the API server counts template changes.
    static let templateGenerationAnnotation = "deprecated.daemonset.template.generation"

    /// The template generation the API server recorded; `nil` when absent or malformed.
    var templateGeneration: Int64? { metadata.annotations?[Self.templateGenerationAnnotation].flatMap { Int64($0) } }

    /// The `controller-revision-hash` of the current template: the same FNV-32a hash, over the template and the
    /// collision count, that names a Deployment's ReplicaSets; it names the template's ControllerRevision
    /// (`<ds>-<hash>`) and labels its pods.
    var revisionHash: String { PodTemplateHash.compute(spec?.template ?? PodTemplateSpec(), collisionCount: status?.collisionCount) }

    /// Whether a daemon pod should be created on `node`, and whether one already there may stay: node name,
    /// nodeSelector and required node affinity must match; an untolerated NoSchedule or NoExecute taint keeps new
    /// pods off, and only an untolerated NoExecute taint evicts running ones.
    func placement(on node: Node) -> (shouldRun: Bool, shouldContinueRunning: Bool) {
        var spec = self.spec?.template.spec ?? PodSpec()
        if let pinned = spec.nodeName, !pinned.isEmpty, pinned != node.metadata.name { return (false, false) }
        Self.addDaemonTolerations(&spec)
        guard spec.requiredNodeAffinityMatches(node) else { return (false, false) }
        let tolerations = spec.tolerations ?? []
        let taints = node.spec?.taints ?? []
        if tolerations.firstUntolerated(taints, where: { $0.effect == "NoSchedule" || $0.effect == "NoExecute" }) != nil {
            return (false, tolerations.firstUntolerated(taints, where: { $0.effect == "NoExecute" }) == nil)
        }
        return (true, true)
    }

    /// The template a pod for this DaemonSet is created from: the DaemonSet's, with the daemon tolerations and the
    /// generation and revision-hash labels.
    func podTemplate(hash: String) -> PodTemplateSpec {
        var template = spec?.template ?? PodTemplateSpec()
        var podSpec = template.spec ?? PodSpec()
        Self.addDaemonTolerations(&podSpec)
        template.spec = podSpec
        var meta = template.metadata ?? ObjectMeta()
        var labels = meta.labels ?? [:]
        if let generation = templateGeneration { labels[Self.templateGenerationLabel] = String(generation) }
        if !hash.isEmpty { labels[Self.revisionHashLabel] = hash }
        meta.labels = labels
        template.metadata = meta
        return template
    }

    /// The most pods a rolling update may have unavailable, of `desired` scheduled pods (0 for OnDelete).
    func maxUnavailable(desired: Int) -> Int {
        guard spec?.updateStrategy?.type ?? "RollingUpdate" == "RollingUpdate" else { return 0 }
        return (spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? .int(1)).scaledValue(total: desired, roundUp: true) ?? 0
    }

    /// The most extra pods a rolling update may run next to old ones, of `desired` scheduled pods.
    func maxSurge(desired: Int) -> Int {
        guard spec?.updateStrategy?.type ?? "RollingUpdate" == "RollingUpdate" else { return 0 }
        return (spec?.updateStrategy?.rollingUpdate?.maxSurge ?? .int(0)).scaledValue(total: desired, roundUp: true) ?? 0
    }

    /// Whether updates surge (a new pod starts before the old one on a node goes).
    var allowsSurge: Bool { maxSurge(desired: 1) > 0 }

    /// The tolerations every daemon pod gets, so node problems neither evict it nor keep it off a node (upstream's
    /// `AddOrUpdateDaemonPodTolerations`): not-ready and unreachable NoExecute without a time limit, the pressure
    /// and unschedulable NoSchedule taints, and network-unavailable for host-network pods.
    static func addDaemonTolerations(_ spec: inout PodSpec) {
        var wanted = [
            Toleration(key: Taint.notReadyKey, operator: "Exists", effect: "NoExecute"),
            Toleration(key: Taint.unreachableKey, operator: "Exists", effect: "NoExecute"),
            Toleration(key: Taint.diskPressureKey, operator: "Exists", effect: "NoSchedule"),
            Toleration(key: Taint.memoryPressureKey, operator: "Exists", effect: "NoSchedule"),
            Toleration(key: Taint.pidPressureKey, operator: "Exists", effect: "NoSchedule"),
            Toleration(key: Taint.unschedulableKey, operator: "Exists", effect: "NoSchedule"),
        ]
        if spec.hostNetwork == true {
            wanted.append(Toleration(key: Taint.networkUnavailableKey, operator: "Exists", effect: "NoSchedule"))
        }
        var tolerations = spec.tolerations ?? []
        for toleration in wanted {
            // Upstream's AddOrUpdateTolerationInPodSpec: one that says the same thing is replaced (dropping its
            // tolerationSeconds), otherwise the toleration is appended.
            if let index = tolerations.firstIndex(where: { $0.matches(toleration) }) {
                tolerations[index] = toleration
            } else {
                tolerations.append(toleration)
            }
        }
        spec.tolerations = tolerations
    }

    /// `affinity` with its required node affinity replaced by one term selecting the node by name
    /// (`matchFields metadata.name In [node]`), as upstream pins daemon pods for the scheduler.
    static func affinity(_ affinity: Affinity?, pinnedTo node: String) -> Affinity {
        var result = affinity ?? Affinity()
        var nodeAffinity = result.nodeAffinity ?? NodeAffinity()
        nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = NodeSelector(nodeSelectorTerms: [
            NodeSelectorTerm(matchFields: [NodeSelectorRequirement(key: "metadata.name", operator: "In", values: [node])]),
        ])
        result.nodeAffinity = nodeAffinity
        return result
    }
}

extension Pod {
    /// The node a daemon pod runs on or is pinned to: `spec.nodeName`, else the single `metadata.name` of its
    /// required node affinity (upstream's `GetTargetNodeName`).
    var daemonTargetNode: String? {
        if let node = spec?.nodeName, !node.isEmpty { return node }
        for term in spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [] {
            for field in term.matchFields ?? [] where field.key == "metadata.name" && field.operator == "In" && field.values?.count == 1 {
                return field.values?.first
            }
        }
        return nil
    }

    /// Whether the pod runs the DaemonSet's current template: its revision hash or its template generation
    /// matches (upstream's `IsPodUpdated`).
    func isUpdated(hash: String, generation: Int64?) -> Bool {
        let labels = metadata.labels ?? [:]
        let generationMatches = generation.map { labels[DaemonSet.templateGenerationLabel] == String($0) } ?? false
        return (!hash.isEmpty && labels[DaemonSet.revisionHashLabel] == hash) || generationMatches
    }

    /// Upstream's `podByCreationTimestampAndPhase`: scheduled pods first, then oldest first, then by name.
    static func olderScheduledFirst(_ a: Pod, _ b: Pod) -> Bool {
        let scheduledA = !(a.spec?.nodeName ?? "").isEmpty, scheduledB = !(b.spec?.nodeName ?? "").isEmpty
        if scheduledA != scheduledB { return scheduledA }
        let createdA = a.metadata.creationTimestamp?.date ?? .distantPast, createdB = b.metadata.creationTimestamp?.date ?? .distantPast
        if createdA != createdB { return createdA < createdB }
        return (a.metadata.name ?? "") < (b.metadata.name ?? "")
    }
}

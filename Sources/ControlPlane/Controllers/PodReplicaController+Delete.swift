import Foundation
import KubeAPI

extension PodReplicaController {
    /// The `count` pods to delete first, ranked as upstream's `ActivePodsWithRanks`: unscheduled before scheduled,
    /// Pending before Unknown before Running, not ready before ready, pods doubled up on a node before lone ones,
    /// ready for less time before longer, more restarts before fewer, newer before older.
    static func podsToDelete(_ pods: [Pod], count: Int) -> [Pod] {
        var perNode: [String: Int] = [:]
        for pod in pods { if let node = pod.spec?.nodeName, !node.isEmpty { perNode[node, default: 0] += 1 } }
        let ranked = pods.map { pod in (pod, perNode[pod.spec?.nodeName ?? ""] ?? 0) }
        return ranked.sorted { deleteFirst($0.0, rank: $0.1, than: $1.0, rank: $1.1) }.prefix(count).map(\.0)
    }

    /// Whether `a` should go before `b`.
    static func deleteFirst(_ a: Pod, rank rankA: Int, than b: Pod, rank rankB: Int) -> Bool {
        let nodeA = a.spec?.nodeName ?? "", nodeB = b.spec?.nodeName ?? ""
        if nodeA.isEmpty != nodeB.isEmpty { return nodeA.isEmpty }
        let phaseA = phaseOrder(a), phaseB = phaseOrder(b)
        if phaseA != phaseB { return phaseA < phaseB }
        if a.isReady != b.isReady { return !a.isReady }
        if rankA != rankB { return rankA > rankB }
        if a.isReady, b.isReady {
            let readyA = a.readyCondition?.lastTransitionTime, readyB = b.readyCondition?.lastTransitionTime
            if readyA != readyB { return (readyA?.date ?? .distantPast) > (readyB?.date ?? .distantPast) }
        }
        let restartsA = maxRestarts(a), restartsB = maxRestarts(b)
        if restartsA != restartsB { return restartsA > restartsB }
        let createdA = a.metadata.creationTimestamp, createdB = b.metadata.creationTimestamp
        if createdA != createdB {
            guard let createdA else { return true }
            guard let createdB else { return false }
            return createdA > createdB
        }
        return (a.metadata.name ?? "") > (b.metadata.name ?? "")
    }

    private static func phaseOrder(_ pod: Pod) -> Int {
        switch pod.status?.phase {
        case "Pending": 0
        case "Unknown": 1
        case "Running": 2
        default: 0
        }
    }

    private static func maxRestarts(_ pod: Pod) -> Int32 {
        (pod.status?.containerStatuses ?? []).map(\.restartCount).max() ?? 0
    }
}

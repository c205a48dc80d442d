import Foundation
import KubeAPI
import Logging
import KubeClient

extension DaemonSetController {
    /// One step of a `RollingUpdate` (upstream's `rollingUpdate`). Without surge, old pods are deleted as far as
    /// `maxUnavailable` allows and `manage` recreates them from the new template on the next sync; with surge, new
    /// pods start next to available old ones within `maxSurge`, and an old pod goes once its replacement is
    /// available. Unavailable old pods are replaced at once either way.
    func rollingUpdate(_ ds: DaemonSet, nodes: [Node], hash: String, selector: LabelSelectorExpression, key: String) async throws {
        var byNode = try await nodesToDaemonPods(ds, selector: selector)
        var desired = 0
        for node in nodes where ds.placement(on: node).shouldRun {
            desired += 1
            if byNode[node.metadata.name ?? ""] == nil { byNode[node.metadata.name ?? ""] = [] }
        }
        var maxUnavailable = ds.maxUnavailable(desired: desired)
        let maxSurge = ds.maxSurge(desired: desired)
        // An impossible configuration (both zero) falls back to one unavailable pod, as upstream does.
        if desired > 0, maxUnavailable == 0, maxSurge == 0 { maxUnavailable = 1 }
        let generation = ds.templateGeneration
        let minReady = ds.spec?.minReadySeconds ?? 0
        let now = Date()
        let sorted = byNode.sorted { $0.key < $1.key }

        if maxSurge == 0 {
            var unavailable = 0
            var replacements: [Pod] = []
            var candidates: [Pod] = []
            for (_, pods) in sorted {
                guard let (new, old) = Self.updatedPods(pods, hash: hash, generation: generation) else {
                    // Excess pods: manage cleans them up; the node counts as unavailable meanwhile.
                    unavailable += 1
                    continue
                }
                switch (new, old) {
                case (nil, nil), (.some, .some):
                    unavailable += 1
                case (let new?, nil):
                    if !new.isAvailable(minReadySeconds: minReady, now: now) { unavailable += 1 }
                case (nil, let old?):
                    if !old.isAvailable(minReadySeconds: minReady, now: now) {
                        replacements.append(old)
                        unavailable += 1
                    } else if unavailable < maxUnavailable {
                        candidates.append(old)
                    }
                }
            }
            let allowed = min(max(0, maxUnavailable - unavailable), candidates.count)
            return try await syncNodes(ds, deleting: replacements + candidates.prefix(allowed), creatingOn: [], hash: hash, key: key)
        }

        var oldToDelete: [Pod] = []
        var ineligibleOld: [Pod] = []
        var candidateNodes: [String] = []
        var allowedNodes: [String] = []
        var surging = 0
        var available = 0
        let nodesByName = Dictionary(nodes.map { ($0.metadata.name ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        for (nodeName, pods) in sorted {
            guard let (new, old) = Self.updatedPods(pods, hash: hash, generation: generation) else {
                surging += 1
                continue
            }
            if let pod = old ?? new, pod.isAvailable(minReadySeconds: minReady, now: now) { available += 1 }
            guard let old else { continue }
            if let new {
                // Surged onto this node already: the old pod goes once the new one is available.
                if new.isAvailable(minReadySeconds: minReady, now: now) { oldToDelete.append(old) } else { surging += 1 }
                continue
            }
            let shouldRun = nodesByName[nodeName].map { ds.placement(on: $0).shouldRun } ?? false
            if !old.isAvailable(minReadySeconds: minReady, now: now) {
                if shouldRun { allowedNodes.append(nodeName) } else { oldToDelete.append(old) }
            } else if !shouldRun {
                ineligibleOld.append(old)
            } else if surging < maxSurge {
                candidateNodes.append(nodeName)
            }
        }
        // Surge promises full availability: pods on nodes the DaemonSet no longer wants go only while more pods
        // are available than desired.
        let deletable = min(max(0, available - desired), ineligibleOld.count)
        oldToDelete += ineligibleOld.prefix(deletable)
        let remaining = min(max(0, maxSurge - surging), candidateNodes.count)
        try await syncNodes(ds, deleting: oldToDelete, creatingOn: allowedNodes + candidateNodes.prefix(remaining), hash: hash, key: key)
    }

    /// The node's up-to-date and old pod (either may be missing), ignoring pods being deleted; `nil` when the node
    /// has more than one of either kind (upstream's `findUpdatedPodsOnNode`).
    static func updatedPods(_ pods: [Pod], hash: String, generation: Int64?) -> (new: Pod?, old: Pod?)? {
        var new: Pod?, old: Pod?
        for pod in pods where pod.metadata.deletionTimestamp == nil {
            if pod.isUpdated(hash: hash, generation: generation) {
                if new != nil { return nil }
                new = pod
            } else {
                if old != nil { return nil }
                old = pod
            }
        }
        return (new, old)
    }
}

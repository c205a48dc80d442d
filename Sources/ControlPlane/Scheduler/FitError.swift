/// Why a pod fits no node, worded as kube-scheduler 1.32 words it in the `FailedScheduling` event and the
/// `PodScheduled` condition:
///
///     0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {node.kubernetes.io/not-ready: }.
///     preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not
///     helpful for scheduling..
///
/// (one line). The reasons are counted per node and the "count reason" strings sorted as Go's `sort.Strings` does;
/// the preemption part is DefaultPreemption's PostFilter verdict, itself a fit error, hence the double period.
struct FitError: Sendable, Hashable {
    var nodeCount: Int
    var failures: [FilterFailure]
    /// PostFilter's message, without the "preemption: " prefix; nil when there is none (no nodes).
    var preemption: String?
    /// A PreFilter plugin's verdict for every node (`pod has unbound immediate PersistentVolumeClaims`): it
    /// replaces the per-node histogram.
    var preFilter: String? = nil

    static let preemptionNotHelpful = "Preemption is not helpful for scheduling"
    static let noPreemptionVictims = "No preemption victims found for incoming pod"
    static let preemptionNeverMessage = "not eligible due to preemptionPolicy=Never."

    /// `0/N nodes are available: <histogram>.`
    static func histogram(_ failures: [FilterFailure], nodes: Int) -> String {
        var counts: [String: Int] = [:]
        for failure in failures {
            for reason in failure.reasons { counts[reason, default: 0] += 1 }
        }
        let reasons = counts.map { "\($0.value) \($0.key)" }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var message = "0/\(nodes) nodes are available:"
        if !reasons.isEmpty { message += " \(reasons.joined(separator: ", "))." }
        return message
    }

    var message: String {
        var message = preFilter.map { "0/\(nodeCount) nodes are available: \($0)." } ?? Self.histogram(failures, nodes: nodeCount)
        if let preemption { message += " preemption: \(preemption)." }
        return message
    }
}

extension SchedulingAlgorithm {
    /// The fit error for a pod no node accepted (`failures` has one entry per node), with what
    /// DefaultPreemption would conclude: nodes failing for reasons preemption cannot fix are "not helpful";
    /// on the others, removing every lower-priority pod either still leaves the pod unfit (those reasons), or
    /// there is no such pod ("no victims"). Used when `postFilter` finds no candidate node, so a node where
    /// removing the victims would help does not occur here in practice; it keeps its original reasons.
    func fitError(_ failures: [(position: Int, failure: FilterFailure)]) -> FitError {
        let nodes = cache.nodeCount
        guard nodes > 0 else { return FitError(nodeCount: 0, failures: [], preemption: nil) }
        let failures = failures.sorted { $0.position < $1.position }
        if pod.preemptionNever { return FitError(nodeCount: nodes, failures: failures.map(\.failure), preemption: FitError.preemptionNeverMessage) }
        var preemption: [FilterFailure] = []
        for (position, failure) in failures {
            if failure.unresolvable {
                preemption.append(.unresolvable(FitError.preemptionNotHelpful))
                continue
            }
            let node = cache.nodes[position]
            let victims = Set(node.pods.values.filter { $0.priority < pod.info.priority }.map(\.uid))
            if victims.isEmpty {
                preemption.append(.unresolvable(FitError.noPreemptionVictims))
            } else {
                preemption.append(filter(node, ignoring: victims) ?? failure)
            }
        }
        return FitError(nodeCount: nodes, failures: failures.map(\.failure), preemption: FitError.histogram(preemption, nodes: nodes))
    }

    /// The fit error when a PreFilter plugin rejected the pod: every node has that unresolvable status, so
    /// preemption is not helpful anywhere.
    func preFilterError(_ message: String) -> FitError {
        let nodes = cache.nodeCount
        let preemption = pod.preemptionNever ? FitError.preemptionNeverMessage
            : FitError.histogram(Array(repeating: .unresolvable(FitError.preemptionNotHelpful), count: nodes), nodes: nodes)
        return FitError(nodeCount: nodes, failures: [], preemption: preemption, preFilter: message)
    }
}

import Foundation
import KubeAPI

/// What the scheduler keeps of a PodDisruptionBudget for preemption: which pods it covers and how many more
/// disruptions it allows.
struct DisruptionBudget: Sendable {
    var namespace: String
    var selector: LabelSelectorExpression
    var disruptionsAllowed: Int32
    /// Pods already being evicted under the budget (by name): their removal is accounted for.
    var disruptedPods: Set<String>

    init(_ budget: PodDisruptionBudget) {
        namespace = budget.metadata.namespace ?? "default"
        // Upstream's preemption treats a nil or empty selector as matching nothing.
        let parsed = budget.spec?.selector.flatMap { try? LabelSelectorExpression($0) }
        selector = parsed.map { $0.requirements.isEmpty ? .nothing : $0 } ?? .nothing
        disruptionsAllowed = budget.status?.disruptionsAllowed ?? 0
        disruptedPods = Set((budget.status?.disruptedPods ?? [:]).keys)
    }
}

/// One node where removing `victims` (lower-priority pods) lets the preemptor fit.
struct PreemptionCandidate: Sendable {
    var node: String
    /// Most important first (higher priority, then earlier start).
    var victims: [PodInfo]
    /// Victims whose removal goes beyond a disruption budget.
    var budgetViolations: Int
}

/// The verdict of DefaultPreemption's PostFilter for a pod no node accepted.
enum PostFilterResult: Sendable {
    /// Preempt these victims and nominate the node.
    case preempt(PreemptionCandidate)
    /// No node can be freed; the fit error says why (its `preemption:` part).
    case unschedulable(FitError)
}

extension SchedulingAlgorithm {
    static let notEligibleTerminating = "not eligible due to a terminating pod on the nominated node."

    /// kube-scheduler's DefaultPreemption: a pod with `preemptionPolicy: PreemptLowerPriority` (and no terminating
    /// lower-priority pod still clearing its nominated node) looks, on the nodes where preemption may help, for the
    /// fewest lower-priority victims that make it fit (all of them removed, then reprieved one by one, most important
    /// first, budget-violating ones before the others), and picks the node as `pickOneNodeForPreemption` does.
    ///
    /// The re-run filters see victims removed for NodeResourcesFit and NodePorts; PodTopologySpread and
    /// InterPodAffinity keep their pre-filter state (a node failing those for the preemptor is not freed by it).
    func postFilter(_ failures: [(position: Int, failure: FilterFailure)], budgets: [DisruptionBudget]) -> PostFilterResult {
        let nodes = cache.nodeCount
        let plain = fitError(failures)
        guard nodes > 0, !pod.preemptionNever else { return .unschedulable(plain) }
        if let nominated = pod.nominatedNodeName, let node = cache.node(named: nominated),
           node.pods.values.contains(where: { $0.terminating && $0.priority < pod.info.priority }) {
            return .unschedulable(FitError(nodeCount: nodes, failures: plain.failures, preemption: Self.notEligibleTerminating))
        }
        let wanted = max(nodes * 10 / 100, 100)
        var candidates: [PreemptionCandidate] = []
        for (position, failure) in failures.sorted(by: { $0.position < $1.position }) where !failure.unresolvable {
            let node = cache.nodes[position]
            guard let (victims, violations) = selectVictims(on: node, budgets: budgets) else { continue }
            // A node that needs no victims at all is taken at once, as upstream does.
            if victims.isEmpty { return .preempt(PreemptionCandidate(node: node.name, victims: [], budgetViolations: 0)) }
            candidates.append(PreemptionCandidate(node: node.name, victims: victims, budgetViolations: violations))
            if candidates.count >= wanted { break }
        }
        guard let best = Self.pickOneNode(candidates) else { return .unschedulable(plain) }
        return .preempt(best)
    }

    /// Upstream's `SelectVictimsOnNode`: nil when removing every lower-priority pod still leaves the pod unfit (or
    /// there is none); otherwise the victims that stay removed after reprieving as many as possible, and how many of
    /// them violate a disruption budget.
    func selectVictims(on node: NodeInfo, budgets: [DisruptionBudget]) -> (victims: [PodInfo], violations: Int)? {
        let potential = node.pods.values.filter { $0.priority < pod.info.priority }.sorted(by: Self.moreImportant)
        guard !potential.isEmpty else { return nil }
        var removed = Set(potential.map(\.uid))
        guard filter(node, ignoring: removed) == nil else { return nil }
        let (violating, nonViolating) = Self.splitByBudget(potential, budgets: budgets)
        var victims: [PodInfo] = []
        var violations = 0
        func reprieve(_ candidate: PodInfo) -> Bool {
            removed.remove(candidate.uid)
            if filter(node, ignoring: removed) == nil { return true }
            removed.insert(candidate.uid)
            victims.append(candidate)
            return false
        }
        for candidate in violating where !reprieve(candidate) { violations += 1 }
        for candidate in nonViolating { _ = reprieve(candidate) }
        if !violating.isEmpty, !nonViolating.isEmpty { victims.sort(by: Self.moreImportant) }
        return (victims, violations)
    }

    /// Upstream's `filterPodsWithPDBViolation`: each budget's allowance is spent pod by pod (in importance order);
    /// a pod that takes any matching budget below zero is violating.
    static func splitByBudget(_ pods: [PodInfo], budgets: [DisruptionBudget]) -> (violating: [PodInfo], nonViolating: [PodInfo]) {
        var allowed = budgets.map(\.disruptionsAllowed)
        var violating: [PodInfo] = [], nonViolating: [PodInfo] = []
        for pod in pods {
            var violated = false
            if !pod.labels.isEmpty {
                for (i, budget) in budgets.enumerated() where budget.namespace == pod.namespace {
                    guard !budget.selector.matchesNothing, budget.selector.matches(pod.labels),
                          !budget.disruptedPods.contains(pod.name) else { continue }
                    allowed[i] -= 1
                    if allowed[i] < 0 { violated = true }
                }
            }
            if violated { violating.append(pod) } else { nonViolating.append(pod) }
        }
        return (violating, nonViolating)
    }

    /// Upstream's `MoreImportantPod`: higher priority, then the earlier start.
    static func moreImportant(_ a: PodInfo, _ b: PodInfo) -> Bool {
        if a.priority != b.priority { return a.priority > b.priority }
        return (a.startTime ?? .distantFuture) < (b.startTime ?? .distantFuture)
    }

    /// Upstream's `pickOneNodeForPreemption`: the fewest budget violations, then the lowest highest-victim priority,
    /// the smallest sum of victim priorities, the fewest victims, and the latest start among the highest-priority
    /// victims; the first of any remaining tie.
    static func pickOneNode(_ candidates: [PreemptionCandidate]) -> PreemptionCandidate? {
        guard !candidates.isEmpty else { return nil }
        func keep<T: Comparable>(_ list: [PreemptionCandidate], lowest key: (PreemptionCandidate) -> T) -> [PreemptionCandidate] {
            let keys = list.map(key)
            guard let best = keys.min() else { return list }
            return zip(list, keys).filter { $0.1 == best }.map(\.0)
        }
        let now = Date()
        var remaining = keep(candidates) { $0.budgetViolations }
        remaining = keep(remaining) { $0.victims.first?.priority ?? .min }
        remaining = keep(remaining) { $0.victims.reduce(Int64(0)) { $0 + Int64($1.priority) + Int64(Int32.max) + 1 } }
        remaining = keep(remaining) { $0.victims.count }
        // The latest "earliest start among the highest-priority victims" wins (negated to keep the lowest).
        remaining = keep(remaining) { candidate -> TimeInterval in
            let highest = candidate.victims.first?.priority
            let earliest = candidate.victims.filter { $0.priority == highest }.map { $0.startTime ?? now }.min() ?? now
            return -earliest.timeIntervalSinceReferenceDate
        }
        return remaining.first
    }
}

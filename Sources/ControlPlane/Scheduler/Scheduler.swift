import Foundation
import KubeAPI
import KubeClient
import Logging

/// The scheduler (kube-scheduler's default profile, reduced): every pod without a node whose
/// `schedulerName` is `default-scheduler` is filtered against the nodes (``NodeFit``), scored by least
/// allocation, and bound with the `binding` subresource. A pod that fits nowhere gets a `FailedScheduling`
/// event and `PodScheduled=False/Unschedulable`, and is retried when nodes or pods change (at the latest
/// every 5 s). Bound pods are assumed on their node at once, so a burst never overcommits a node.
public actor Scheduler {
    public static let name = "default-scheduler"

    private let client: KubeClient
    private let logger: Logger
    private let pods: Informer<Pod>
    private let nodes: Informer<Node>
    /// Pods bound by this scheduler that the informer has not shown on their node yet.
    private var assumed: [String: Pod] = [:]
    /// Unschedulable pods already reported, so the event is not repeated on every retry.
    private var reported: Set<String> = []

    public init(client: KubeClient, logger: Logger) {
        self.client = client
        self.logger = logger
        pods = Informer<Pod>(client: client, logger: logger)
        nodes = Informer<Node>(client: client, logger: logger)
    }

    /// Runs until the task is cancelled.
    public func run() async throws {
        let pods = pods, nodes = nodes
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await pods.run() }
            group.addTask { await nodes.run() }
            try await pods.waitForSync()
            try await nodes.waitForSync()
            let podChanges = pods.events(), nodeChanges = nodes.events()
            group.addTask { [self] in
                for await _ in podChanges { await self.wake() }
            }
            group.addTask { [self] in
                for await _ in nodeChanges { await self.wake() }
            }
            group.addTask { [self] in
                while !Task.isCancelled {
                    await self.wake()
                    try await Task.sleep(for: .seconds(5))
                }
            }
        }
    }

    private var scheduling = false
    private var again = false

    /// Schedules what is pending; a wake-up during a pass runs one more pass after it.
    private func wake() async {
        if scheduling { again = true; return }
        scheduling = true
        repeat {
            again = false
            await schedulePending()
        } while again
        scheduling = false
    }

    private func schedulePending() async {
        let all = pods.list()
        for (key, pod) in assumed where all.contains(where: { $0.metadata.uid == pod.metadata.uid && $0.spec?.nodeName != nil }) {
            assumed[key] = nil
        }
        let pending = all.filter { pod in
            (pod.spec?.nodeName ?? "").isEmpty && pod.metadata.deletionTimestamp == nil
                && (pod.spec?.schedulerName ?? Self.name) == Self.name && assumed[pod.metadata.uid ?? ""] == nil
                && pod.status?.phase != "Succeeded" && pod.status?.phase != "Failed"
        }.sorted { ($0.spec?.priority ?? 0, $1.metadata.creationTimestamp?.date ?? .distantPast) > ($1.spec?.priority ?? 0, $0.metadata.creationTimestamp?.date ?? .distantPast) }
        for pod in pending { await schedule(pod, all: all) }
    }

    private func schedule(_ pod: Pod, all: [Pod]) async {
        let nodes = nodes.list()
        var placed = all.filter { !($0.spec?.nodeName ?? "").isEmpty && $0.status?.phase != "Succeeded" && $0.status?.phase != "Failed" }
        placed += assumed.values
        var best: (node: Node, score: Int64)?
        var reasons: [String: Int] = [:]
        for node in nodes {
            let name = node.metadata.name ?? ""
            let fit = NodeFit(pod: pod, podsOnNode: placed.filter { $0.spec?.nodeName == name })
            if let reason = fit.reason(node) {
                reasons[reason, default: 0] += 1
                continue
            }
            let score = fit.score(node)
            if best == nil || score > best!.score { best = (node, score) }
        }
        let key = "\(pod.metadata.namespace ?? "default")/\(pod.metadata.name ?? "")"
        guard let best, let nodeName = best.node.metadata.name else {
            await reportUnschedulable(pod, key: key, nodes: nodes.count, reasons: reasons)
            return
        }
        do {
            try await client.bind(pod: pod.metadata.name ?? "", namespace: pod.metadata.namespace ?? "default", to: nodeName)
            var bound = pod
            bound.spec?.nodeName = nodeName
            assumed[pod.metadata.uid ?? key] = bound
            reported.remove(key)
            logger.debug("pod bound", metadata: ["pod": "\(key)", "node": "\(nodeName)", "score": "\(best.score)"])
            record(pod, type: "Normal", reason: "Scheduled", message: "Successfully assigned \(key) to \(nodeName)")
        } catch {
            logger.warning("binding failed", metadata: ["pod": "\(key)", "node": "\(nodeName)", "error": "\(error)"])
        }
    }

    /// `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector.`
    private func reportUnschedulable(_ pod: Pod, key: String, nodes: Int, reasons: [String: Int]) async {
        let detail = reasons.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        let message = "0/\(nodes) nodes are available" + (detail.isEmpty ? "." : ": \(detail).")
        guard !reported.contains(key) else { return }
        reported.insert(key)
        record(pod, type: "Warning", reason: "FailedScheduling", message: message)
        let condition = PodCondition(type: "PodScheduled", status: "False", lastTransitionTime: .now(), reason: "Unschedulable", message: message)
        guard let body = try? JSONEncoder().encode(ConditionPatch(status: .init(conditions: [condition]))) else { return }
        _ = try? await client.patch(Pod.self, name: pod.metadata.name ?? "", namespace: pod.metadata.namespace, patchType: .strategicMerge,
                                    body: body, subresource: "status")
    }

    private func record(_ pod: Pod, type: String, reason: String, message: String) {
        let event = Event.about(pod, type: type, reason: reason, message: message, component: Self.name)
        let client = client
        Task { _ = try? await client.create(event) }
    }
}

/// `{"status":{"conditions":[…]}}`: a strategic merge patch that sets one condition (merged by type).
private struct ConditionPatch: Encodable {
    struct Status: Encodable { var conditions: [PodCondition] }
    var status: Status
}

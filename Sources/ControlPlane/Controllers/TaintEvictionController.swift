import Foundation
import KubeAPI
import KubeClient
import Logging
import Metrics

/// Evicts pods from nodes with NoExecute taints they do not tolerate (upstream's `taint-eviction-controller`).
///
/// A pod that does not tolerate every NoExecute taint of its node is deleted at once; one that tolerates them
/// all is deleted after the shortest `tolerationSeconds` among the tolerations used, counted from when the
/// controller first saw it that way; tolerations without `tolerationSeconds` keep it forever. When the taints go
/// (the node is healthy again) pending evictions are cancelled. Before deleting, the pod gets the
/// `DisruptionTarget` condition (reason `DeletionByTaintManager`), as upstream does.
public struct TaintEvictionController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "taint-eviction-controller"

    /// A pod's pending (or done) eviction.
    struct Eviction {
        var createdAt: Date
        var fireAt: Date
        var fired = false
    }

    struct State {
        /// NoExecute taints by node name, for nodes that have some.
        var taintedNodes: [String: [Taint]] = [:]
        /// By pod key.
        var evictions: [String: Eviction] = [:]
    }

    public var name: String { Self.controllerName }
    let client: KubeClient
    let nodes: Informer<Node>
    let pods: Informer<Pod>
    /// Pod keys whose eviction is due.
    let queue: WorkQueue
    let state = Locked(State())
    let logger: Logger
    let metrics: ControllerMetrics
    let deletions = Counter(label: "taint_eviction_controller_pod_deletions_total")
    let deletionLatency = Metrics.Timer(label: "taint_eviction_controller_pod_deletion_duration_seconds", preferredDisplayUnit: .seconds)

    /// Registers the Node and Pod handlers on the shared informers.
    public init(context: ControllerContext) {
        client = context.client
        nodes = context.informers.informer(Node.self)
        pods = context.informers.informer(Pod.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "taint_eviction", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        let handler = self
        nodes.addHandler(InformerHandler(
            onAdd: { await handler.nodeChanged(old: nil, new: $0) },
            onUpdate: { await handler.nodeChanged(old: $0, new: $1) },
            onDelete: { node in _ = handler.state.withLock { $0.taintedNodes.removeValue(forKey: node.metadata.name ?? "") } }))
        pods.addHandler(InformerHandler(
            onAdd: { await handler.podChanged(old: nil, new: $0) },
            onUpdate: { await handler.podChanged(old: $0, new: $1) },
            onDelete: { pod in handler.cancel(pod.key) }))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await evict(key) }
    }

    /// The node's NoExecute taints.
    static func noExecuteTaints(_ node: Node) -> [Taint] { (node.spec?.taints ?? []).filter { $0.effect == "NoExecute" } }

    // MARK: Events

    /// Re-evaluates the node's pods when its NoExecute taints change (upstream's `handleNodeUpdate`).
    func nodeChanged(old: Node?, new: Node) async {
        let taints = Self.noExecuteTaints(new)
        if let old, Self.noExecuteTaints(old) == taints { return }
        let name = new.metadata.name ?? ""
        state.withLock { s in s.taintedNodes[name] = taints.isEmpty ? nil : taints }
        let onNode = pods.list().filter { $0.spec?.nodeName == name }
        let now = Date()
        for pod in onNode {
            if taints.isEmpty {
                cancel(pod.key)
            } else {
                await processPod(pod, taints: taints, now: now)
            }
        }
    }

    /// Evaluates a pod that landed on a node or changed its tolerations (upstream's `handlePodUpdate`).
    func podChanged(old: Pod?, new: Pod) async {
        guard let node = new.spec?.nodeName, !node.isEmpty else { return }
        if let old, old.spec?.nodeName == node, old.spec?.tolerations == new.spec?.tolerations { return }
        guard let taints = state.withLock({ $0.taintedNodes[node] }) else { return }
        await processPod(new, taints: taints, now: Date())
    }

    /// Schedules, keeps or cancels the pod's eviction for its node's taints (upstream's `processPodOnNode`).
    func processPod(_ pod: Pod, taints: [Taint], now: Date) async {
        let key = pod.key
        guard pod.metadata.deletionTimestamp == nil else { return }
        guard let used = (pod.spec?.tolerations ?? []).matching(taints) else {
            logger.info("pod does not tolerate its node's NoExecute taints; evicting it", metadata: ["pod": "\(key)", "node": "\(pod.spec?.nodeName ?? "")"])
            cancel(key)
            await schedule(key, Eviction(createdAt: now, fireAt: now))
            return
        }
        guard let seconds = Self.minimumTolerationSeconds(used) else {
            // Tolerated forever.
            cancel(key)
            return
        }
        var start = now
        if let existing = state.withLock({ $0.evictions[key] }) {
            if existing.fired { return }
            start = existing.createdAt
            // An eviction scheduled earlier stands (upstream keeps it rather than restarting the clock).
            if start.addingTimeInterval(TimeInterval(seconds)) < now.addingTimeInterval(TimeInterval(seconds)) { return }
            cancel(key)
        }
        await schedule(key, Eviction(createdAt: start, fireAt: now.addingTimeInterval(TimeInterval(seconds))))
    }

    /// The shortest `tolerationSeconds` of the tolerations used, 0 when one is zero or negative (or none is
    /// used); `nil` when none has a limit (upstream's `getMinTolerationTime`).
    static func minimumTolerationSeconds(_ tolerations: [Toleration]) -> Int64? {
        guard !tolerations.isEmpty else { return 0 }
        let limits = tolerations.compactMap(\.tolerationSeconds)
        guard let minimum = limits.min() else { return nil }
        return max(0, minimum)
    }

    private func schedule(_ key: String, _ eviction: Eviction) async {
        state.withLock { $0.evictions[key] = eviction }
        let delay = eviction.fireAt.timeIntervalSinceNow
        logger.debug("scheduled pod eviction", metadata: ["pod": "\(key)", "inSeconds": "\(Int(max(0, delay)))"])
        await queue.addAfter(key, delay: .milliseconds(Int(max(0, delay) * 1000)))
    }

    /// Forgets the pod's eviction (a delayed queue entry that fires anyway finds nothing to do).
    func cancel(_ key: String) {
        _ = state.withLock { $0.evictions.removeValue(forKey: key) }
    }

    // MARK: Eviction

    /// Deletes the pod if its eviction is due, after marking it a disruption target.
    func evict(_ key: String) async throws {
        guard let eviction = state.withLock({ $0.evictions[key] }), !eviction.fired else { return }
        let remaining = eviction.fireAt.timeIntervalSinceNow
        if remaining > 0.01 {
            await queue.addAfter(key, delay: .milliseconds(Int(remaining * 1000)))
            return
        }
        let (namespace, name) = splitKey(key)
        do {
            let pod = try await client.get(Pod.self, name: name, namespace: namespace)
            if pod.status?.conditions?.contains(where: { $0.type == "DisruptionTarget" && $0.status == "True" }) != true {
                let condition: JSONValue = ["type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
                                            "message": "Taint manager: deleting due to NoExecute taint",
                                            "lastTransitionTime": .string(Time.now().description)]
                _ = try await client.patch(Pod.self, name: name, namespace: namespace, patchType: .strategicMerge,
                                           ["status": ["conditions": [condition]]], subresource: "status")
            }
            try await client.delete(Pod.self, name: name, namespace: namespace, options: DeleteOptions(preconditions: .init(uid: pod.metadata.uid)))
        } catch let error where error.isNotFound {
            cancel(key)
            return
        } catch {
            throw ControllerError.api(error)
        }
        logger.info("evicted pod from tainted node", metadata: ["pod": "\(key)"])
        deletions.increment()
        deletionLatency.recordSeconds(max(0, -eviction.fireAt.timeIntervalSinceNow))
        state.withLock { s in
            if s.evictions[key] != nil { s.evictions[key]?.fired = true }
        }
    }
}

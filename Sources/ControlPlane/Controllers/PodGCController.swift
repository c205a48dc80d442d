import Foundation
import KubeAPI
import KubeClient
import Logging
import Metrics

/// Deletes pods nothing else will (upstream's `pod-garbage-collector-controller`), every 20 s:
///
/// - pods bound to a node that no longer exists — missing from the cache for the 40 s quarantine and then from the
///   API server too — marked Failed with a `DisruptionTarget` condition (`DeletionByPodGC`, "PodGC: node no longer
///   exists") first, since no kubelet will ever finish them, so their ReplicaSet or Job replaces them;
/// - terminating pods on a node that is not Ready and carries the `node.kubernetes.io/out-of-service` taint;
/// - terminating pods that were never scheduled;
/// - terminated (Succeeded or Failed) pods beyond `--terminated-pod-gc-threshold` (12,500), evicted and oldest first.
///
/// Every deletion is forced (grace period 0), after a pod not yet Succeeded or Failed was marked Failed.
public struct PodGCController: Controller {
    /// Upstream's name, for `--controllers` (alias `podgc`).
    public static let controllerName = "pod-garbage-collector-controller"
    /// The node taint that lets terminating pods on a NotReady node go (upstream's `TaintNodeOutOfService`).
    static let outOfServiceTaint = "node.kubernetes.io/out-of-service"

    /// kube-controller-manager's pod GC settings.
    public struct Configuration: Sendable {
        /// `--terminated-pod-gc-threshold`: terminated pods kept before the oldest are deleted; 0 keeps them all.
        public var terminatedPodThreshold: Int
        /// How often the collector runs (upstream's `gcCheckPeriod`).
        public var checkPeriod: Duration
        /// How long a node must be missing before its pods count as orphaned (upstream's `quarantineTime`).
        public var quarantine: Duration

        public init(terminatedPodThreshold: Int = 12_500, checkPeriod: Duration = .seconds(20), quarantine: Duration = .seconds(40)) {
            self.terminatedPodThreshold = terminatedPodThreshold
            self.checkPeriod = checkPeriod
            self.quarantine = quarantine
        }
    }

    public var name: String { Self.controllerName }
    let client: KubeClient
    let pods: Informer<Pod>
    let nodes: Informer<Node>
    let configuration: Configuration
    let logger: Logger
    let metrics: ControllerMetrics
    /// Missing node names and when they were first found missing.
    let quarantined = Locked<[String: ContinuousClock.Instant]>([:])
    /// Upstream's `pod_gc_collector_force_delete_pods_total`.
    let forcedDeletions = Counter(label: "pod_gc_collector_force_delete_pods_total")

    public init(context: ControllerContext, configuration: Configuration = Configuration()) {
        client = context.client
        pods = context.informers.informer(Pod.self)
        nodes = context.informers.informer(Node.self)
        self.configuration = configuration
        logger = context.logger(for: Self.controllerName)
        metrics = ControllerMetrics(controller: Self.controllerName)
    }

    public func run(workers: Int) async {
        while !Task.isCancelled {
            try? await metrics.measure { await collect() }
            try? await Task.sleep(for: configuration.checkPeriod)
        }
    }

    /// One pass (upstream's `gc`).
    func collect() async {
        let pods = self.pods.list()
        let nodes = self.nodes.list()
        let nodeNames = Set(nodes.compactMap(\.metadata.name))
        if configuration.terminatedPodThreshold > 0 {
            // Upstream's isPodTerminated: any phase but Pending, Running and Unknown.
            let terminated = pods.filter { !["Pending", "Running", "Unknown"].contains($0.status?.phase ?? "") }
            for pod in Self.deletionOrder(terminated).prefix(max(0, terminated.count - configuration.terminatedPodThreshold)) {
                await markFailedAndDelete(pod, condition: nil, why: "terminated pods above the threshold")
            }
        }
        let outOfService = Set(nodes.filter { node in
            !(node.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } ?? false)
                && (node.spec?.taints ?? []).contains { $0.key == Self.outOfServiceTaint }
        }.compactMap(\.metadata.name))
        for pod in Self.deletionOrder(pods.filter { $0.metadata.deletionTimestamp != nil && outOfService.contains($0.spec?.nodeName ?? "") }) {
            await markFailedAndDelete(pod, condition: nil, why: "terminating on an out-of-service node")
        }
        let gone = await deletedNodes(pods.compactMap(\.spec?.nodeName).filter { !$0.isEmpty && !nodeNames.contains($0) })
        for pod in pods where gone.contains(pod.spec?.nodeName ?? "") {
            let condition: JSONValue = ["type": "DisruptionTarget", "status": "True", "reason": "DeletionByPodGC",
                                        "message": "PodGC: node no longer exists", "lastTransitionTime": .string(Time.now().description)]
            await markFailedAndDelete(pod, condition: condition, why: "orphaned: its node \(pod.spec?.nodeName ?? "") no longer exists")
        }
        for pod in pods where pod.metadata.deletionTimestamp != nil && (pod.spec?.nodeName ?? "").isEmpty {
            await markFailedAndDelete(pod, condition: nil, why: "unscheduled and terminating")
        }
    }

    /// Of the node names missing from the cache, those missing for the whole quarantine and unknown to the API
    /// server too (upstream's `discoverDeletedNodes`). A name checked leaves the quarantine; still missing, it
    /// comes back with the next pass.
    private func deletedNodes(_ missing: [String]) async -> Set<String> {
        let now = ContinuousClock.now
        let due = quarantined.withLock { quarantined in
            for name in missing where quarantined[name] == nil { quarantined[name] = now }
            let due = quarantined.filter { now - $0.value >= configuration.quarantine }.map(\.key)
            for name in due { quarantined[name] = nil }
            return due
        }
        var gone = Set<String>()
        for name in due where !nodes.keys.contains(name) {
            do {
                _ = try await client.get(Node.self, name: name)
            } catch let error where error.isNotFound {
                gone.insert(name)
            } catch {
                logger.warning("cannot check node", metadata: ["node": "\(name)", "error": "\(error)"])
            }
        }
        return gone
    }

    /// Marks a pod that is neither Succeeded nor Failed Failed (with `condition`, if any) and deletes it at once
    /// (upstream's `markFailedAndDeletePodWithCondition`); a pod already gone is fine.
    private func markFailedAndDelete(_ pod: Pod, condition: JSONValue?, why: String) async {
        guard let name = pod.metadata.name, let namespace = pod.metadata.namespace else { return }
        logger.info("force deleting pod", metadata: ["pod": "\(namespace)/\(name)", "reason": "\(why)"])
        do {
            if pod.status?.phase != "Succeeded", pod.status?.phase != "Failed" {
                var status: JSONValue = ["phase": "Failed"]
                if let condition { status["conditions"] = [condition] }
                _ = try await client.patch(Pod.self, name: name, namespace: namespace, patchType: .strategicMerge,
                                           ["metadata": ["uid": .string(pod.metadata.uid ?? "")], "status": status], subresource: "status")
            }
            try await client.delete(Pod.self, name: name, namespace: namespace,
                                    options: DeleteOptions(gracePeriodSeconds: 0, preconditions: .init(uid: pod.metadata.uid)))
            forcedDeletions.increment()
        } catch where error.isNotFound {
        } catch {
            logger.warning("cannot delete pod", metadata: ["pod": "\(namespace)/\(name)", "error": "\(error)"])
        }
    }

    /// Evicted pods first (so evictions do not eat the threshold), then oldest, then by name (upstream's
    /// `byEvictionAndCreationTimestamp`).
    static func deletionOrder(_ pods: [Pod]) -> [Pod] {
        func evicted(_ pod: Pod) -> Bool { pod.status?.phase == "Failed" && pod.status?.reason == "Evicted" }
        return pods.sorted { a, b in
            if evicted(a) != evicted(b) { return evicted(a) }
            let (ta, tb) = (a.metadata.creationTimestamp?.date ?? .distantPast, b.metadata.creationTimestamp?.date ?? .distantPast)
            return ta == tb ? (a.metadata.name ?? "") < (b.metadata.name ?? "") : ta < tb
        }
    }
}

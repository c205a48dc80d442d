import Foundation
import KubeAPI
import KubeClient
import Logging

/// Keeps the status of every PodDisruptionBudget (upstream's `disruption-controller`): the pods its selector picks in
/// its namespace, how many are healthy (Ready, not being deleted, not just evicted), how many must stay healthy
/// (`minAvailable`, or the controllers' scale minus `maxUnavailable`; percentages of the controllers' scale), how many
/// disruptions that allows, and the `DisruptionAllowed` condition. Evictions the API server recorded in
/// `status.disruptedPods` count as gone until the pod is deleted or two minutes pass.
public struct DisruptionController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "disruption-controller"
    /// How long an eviction recorded in `disruptedPods` is waited for (upstream's `DeletionTimeout`).
    static let deletionTimeout: TimeInterval = 120

    public var name: String { Self.controllerName }
    let client: KubeClient
    let budgets: Informer<PodDisruptionBudget>
    let pods: Informer<Pod>
    let replicaSets: Informer<ReplicaSet>
    let deployments: Informer<Deployment>
    let queue: WorkQueue
    let logger: Logger
    let metrics: ControllerMetrics

    /// Registers the budget and pod handlers on the shared informers.
    public init(context: ControllerContext) {
        client = context.client
        budgets = context.informers.informer(PodDisruptionBudget.self)
        pods = context.informers.informer(Pod.self)
        replicaSets = context.informers.informer(ReplicaSet.self)
        deployments = context.informers.informer(Deployment.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "disruption", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        budgets.addHandler(.enqueueing(into: queue))
        let queue = queue, budgets = budgets
        // A pod change re-syncs every budget of its namespace whose selector matches it (old or new labels).
        let enqueue: @Sendable (Pod) async -> Void = { pod in
            for budget in budgets.list(namespace: pod.metadata.namespace) where Self.selects(budget, pod) {
                await queue.add(Informer.key(for: budget))
            }
        }
        pods.addHandler(InformerHandler(onAdd: enqueue, onUpdate: { old, new in
            await enqueue(new)
            if old.metadata.labels != new.metadata.labels { await enqueue(old) }
        }, onDelete: enqueue))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await sync(key) }
    }

    /// policy/v1: a nil selector selects nothing, an empty one every pod of the namespace.
    static func selects(_ budget: PodDisruptionBudget, _ pod: Pod) -> Bool {
        guard let selector = budget.spec?.selector, let expression = try? LabelSelectorExpression(selector) else { return false }
        return expression.matches(pod.metadata.labels ?? [:])
    }

    func sync(_ key: String) async throws {
        guard let budget = budgets.get(key), budget.metadata.deletionTimestamp == nil else { return }
        let covered = pods.list(namespace: budget.metadata.namespace).filter { Self.selects(budget, $0) }
        let now = Date()
        var status: PodDisruptionBudgetStatus
        do {
            let (expected, desired) = try await expectedPodCount(budget, pods: covered)
            status = Self.status(budget, pods: covered, expected: expected, desired: desired, now: now)
        } catch let error as DisruptionError {
            // Upstream's failSafe: no disruptions until the budget can be computed.
            status = budget.status ?? PodDisruptionBudgetStatus()
            status.disruptionsAllowed = 0
            status.observedGeneration = budget.metadata.generation
            status.conditions = Self.setCondition(status.conditions, status: "False", reason: PodDisruptionBudget.syncFailedReason,
                                                  message: error.message, generation: budget.metadata.generation)
        }
        guard status != budget.status else { return }
        var updated = budget
        updated.status = status
        do {
            _ = try await client.updateStatus(updated)
        } catch let error where error.isNotFound {
        } catch {
            throw ControllerError.api(error)
        }
    }

    struct DisruptionError: Error { var message: String }

    /// Upstream's `getExpectedPodCount`: (expected pods, desired healthy).
    func expectedPodCount(_ budget: PodDisruptionBudget, pods: [Pod]) async throws -> (Int32, Int32) {
        let spec = budget.spec ?? PodDisruptionBudgetSpec()
        if let maxUnavailable = spec.maxUnavailable {
            let expected = try await expectedScale(pods)
            guard let unavailable = maxUnavailable.scaledValue(total: Int(expected), roundUp: true) else {
                throw DisruptionError(message: "invalid value for IntOrString: invalid value \"\(maxUnavailable)\"")
            }
            return (expected, max(0, expected - Int32(unavailable)))
        }
        if let minAvailable = spec.minAvailable {
            if case .int(let number) = minAvailable { return (Int32(pods.count), number) }
            let expected = try await expectedScale(pods)
            guard let available = minAvailable.scaledValue(total: Int(expected), roundUp: true) else {
                throw DisruptionError(message: "invalid value for IntOrString: invalid value \"\(minAvailable)\"")
            }
            return (expected, Int32(available))
        }
        return (Int32(pods.count), 0)
    }

    /// Upstream's `getExpectedScale`: the sum of the scales of the pods' controllers (a ReplicaSet owned by a
    /// Deployment counts as the Deployment; other kinds through their `scale` subresource). Pods without a
    /// controller are left out; a controller without a scale fails the sync.
    func expectedScale(_ pods: [Pod]) async throws -> Int32 {
        var scales: [String: Int32] = [:]
        for pod in pods {
            guard let ref = pod.metadata.ownerReferences?.first(where: { $0.controller == true }) else { continue }
            if scales[ref.uid] != nil { continue }
            let namespace = pod.metadata.namespace
            if ref.kind == "ReplicaSet", ref.apiVersion == "apps/v1",
               let set = replicaSets.get(name: ref.name, namespace: namespace), set.metadata.uid == ref.uid {
                if let owner = set.metadata.ownerReferences?.first(where: { $0.controller == true }), owner.kind == "Deployment",
                   let deployment = deployments.get(name: owner.name, namespace: namespace), deployment.metadata.uid == owner.uid {
                    scales[deployment.metadata.uid ?? owner.uid] = deployment.spec?.replicas ?? 1
                } else {
                    scales[ref.uid] = set.spec?.replicas ?? 1
                }
                continue
            }
            if let kind = KubeKinds.kind(apiVersion: ref.apiVersion, kind: ref.kind),
               let scale = try? await client.scale(kind, name: ref.name, namespace: namespace), scale.metadata.uid == ref.uid {
                scales[ref.uid] = scale.spec?.replicas ?? 0
                continue
            }
            throw DisruptionError(message: "found no controllers for pod \"\(pod.metadata.name ?? "")\"")
        }
        return scales.values.reduce(0, +)
    }

    /// The status for the counts: healthy pods, evictions still pending, allowed disruptions and the condition.
    static func status(_ budget: PodDisruptionBudget, pods: [Pod], expected: Int32, desired: Int32, now: Date) -> PodDisruptionBudgetStatus {
        let recorded = budget.status?.disruptedPods ?? [:]
        var disrupted: [String: Time] = [:]
        var healthy: Int32 = 0
        for pod in pods where pod.metadata.deletionTimestamp == nil {
            let name = pod.metadata.name ?? ""
            if let time = recorded[name], time.date.addingTimeInterval(deletionTimeout) > now {
                disrupted[name] = time
                continue
            }
            if pod.isReady { healthy += 1 }
        }
        let allowed = max(0, healthy - desired)
        let generation = budget.metadata.generation
        var status = PodDisruptionBudgetStatus(observedGeneration: generation, disruptedPods: disrupted.isEmpty ? nil : disrupted,
                                               disruptionsAllowed: allowed, currentHealthy: healthy, desiredHealthy: desired,
                                               expectedPods: expected, conditions: budget.status?.conditions)
        status.conditions = setCondition(status.conditions, status: allowed > 0 ? "True" : "False",
                                         reason: allowed > 0 ? PodDisruptionBudget.sufficientPodsReason : PodDisruptionBudget.insufficientPodsReason,
                                         message: "", generation: generation)
        return status
    }

    /// `meta.SetStatusCondition` for `DisruptionAllowed`: the transition time moves only when the status changes.
    static func setCondition(_ conditions: [Condition]?, status: String, reason: String, message: String, generation: Int64?) -> [Condition] {
        var list = conditions ?? []
        let type = PodDisruptionBudget.disruptionAllowedCondition
        if let index = list.firstIndex(where: { $0.type == type }) {
            if list[index].status != status { list[index].lastTransitionTime = .now() }
            list[index].status = status
            list[index].reason = reason
            list[index].message = message
            list[index].observedGeneration = generation
        } else {
            list.append(Condition(type: type, status: status, observedGeneration: generation, lastTransitionTime: .now(), reason: reason, message: message))
        }
        return list
    }
}

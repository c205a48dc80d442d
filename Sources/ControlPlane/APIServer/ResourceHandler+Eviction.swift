import Foundation
import KubeAPI
import Store

extension ResourceHandler {
    /// `pods/{name}/eviction` (policy/v1 `Eviction`), as upstream's eviction REST handler: a pod that is pending,
    /// finished or already being deleted is deleted at once; otherwise the one PodDisruptionBudget covering it must
    /// allow a disruption (429 TooManyRequests "Cannot evict pod as it would violate the pod's disruption budget."
    /// otherwise), which the eviction spends and records in `status.disruptedPods` before the pod gets the
    /// `DisruptionTarget` condition and is deleted with the eviction's `deleteOptions`.
    func evict(_ request: APIRequest, path: ResourcePath, name: String) async throws -> APIResponse {
        let body = try core.parseBody(request)
        if let kind = body["kind"]?.stringValue, kind != "Eviction" {
            throw Status.badRequest("the API version in the data (\(body["apiVersion"]?.stringValue ?? "")) does not match the expected API version (policy/v1); kind \(kind) is not Eviction")
        }
        if (body[path: ["metadata", "name"]]?.stringValue ?? "") != name {
            throw Status.badRequest("name in URL does not match name in Eviction object")
        }
        let (object, _) = try await load(name: name, namespace: path.namespace)
        guard let pod = object as? Pod else { throw Status.methodNotSupported(info, verb: "create") }
        let namespace = pod.metadata.namespace ?? "default"
        let dryRun = request.isDryRun || (body[path: ["deleteOptions", "dryRun"]]?.arrayValue?.isEmpty == false)
        let phase = pod.status?.phase
        let ignoresBudgets = phase == "Succeeded" || phase == "Failed" || phase == "Pending" || pod.metadata.deletionTimestamp != nil
        if !ignoresBudgets {
            try await spendBudget(of: pod, name: name, namespace: namespace, dryRun: dryRun)
        }
        if dryRun { return .json(Status(status: "Success", code: 201).jsonValue, status: 201) }
        if phase != "Succeeded", phase != "Failed" { try await addDisruptionTarget(name: name, namespace: namespace) }
        var deleteRequest = request
        deleteRequest.method = "DELETE"
        deleteRequest.query = [:]
        deleteRequest.headers["content-type"] = "application/json"
        deleteRequest.body = (body["deleteOptions"] ?? [:]).serialized()
        let response = try await delete(deleteRequest, path: ResourcePath(group: "", version: "v1", namespace: namespace, plural: "pods"), name: name)
        guard response.status < 300 else { return response }
        return .json(Status(status: "Success", code: 201).jsonValue, status: 201)
    }

    /// Upstream's `checkAndDecrement` against the single budget covering the pod (none: nothing to check).
    private func spendBudget(of pod: Pod, name: String, namespace: String, dryRun: Bool) async throws {
        let ready = pod.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } ?? false
        for attempt in 0..<5 {
            let page = try await core.store.list(prefix: StoredObject.prefix(PodDisruptionBudget.resource, namespace: namespace),
                                                 startAfter: nil, limit: 0, revision: nil)
            var matching: [(budget: PodDisruptionBudget, kv: KeyValue)] = []
            for kv in page.items {
                // policy/v1: a nil selector matches nothing, an empty one every pod; an invalid one matches nothing.
                guard let budget = try? KubeJSON.decode(PodDisruptionBudget.self, from: kv.value),
                      let expression = try? LabelSelectorExpression(budget.spec?.selector),
                      expression.matches(pod.metadata.labels ?? [:]) else { continue }
                matching.append((budget, kv))
            }
            guard let (budget, kv) = matching.first else { return }
            if matching.count > 1 {
                throw Status(status: "Failure", message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.", code: 500)
            }
            var status = budget.status ?? PodDisruptionBudgetStatus()
            let budgetName = budget.metadata.name ?? ""
            if !ready {
                let policy = budget.spec?.unhealthyPodEvictionPolicy ?? "IfHealthyBudget"
                if policy == "AlwaysAllow" || (status.currentHealthy >= status.desiredHealthy && status.desiredHealthy > 0) { return }
            }
            if (status.observedGeneration ?? 0) < (budget.metadata.generation ?? 0) {
                throw Self.tooManyRequests(retryAfter: 10, cause: "The disruption budget \(budgetName) is still being processed by the server.")
            }
            if status.disruptionsAllowed < 0 {
                throw Status.forbidden(PodDisruptionBudget.resource, name: budgetName, "pdb disruptions allowed is negative")
            }
            if (status.disruptedPods?.count ?? 0) > 2000 {
                throw Status.forbidden(PodDisruptionBudget.resource, name: budgetName, "DisruptedPods map too big - too many evictions not confirmed by PDB controller")
            }
            if status.disruptionsAllowed == 0 {
                throw Self.tooManyRequests(retryAfter: 0, cause: "The disruption budget \(budgetName) needs \(status.desiredHealthy) healthy pods and has \(status.currentHealthy) currently")
            }
            status.disruptionsAllowed -= 1
            if status.disruptionsAllowed == 0 {
                status.conditions = (status.conditions ?? []).map { condition in
                    guard condition.type == PodDisruptionBudget.disruptionAllowedCondition, condition.status != "False" else { return condition }
                    var changed = condition
                    changed.status = "False"
                    changed.reason = PodDisruptionBudget.insufficientPodsReason
                    changed.lastTransitionTime = .now()
                    return changed
                }
            }
            if dryRun { return }
            var disrupted = status.disruptedPods ?? [:]
            disrupted[name] = .now()
            status.disruptedPods = disrupted
            var updated = budget
            updated.status = status
            do {
                _ = try await core.store.update(key: kv.key, value: try StoredObject.encode(updated), expectedRevision: kv.modRevision)
                return
            } catch StoreError.conflict where attempt < 4 {
                continue
            }
        }
        throw Status(message: "Timeout: couldn't update PodDisruptionBudget due to conflicts", reason: "Timeout",
                     details: StatusDetails(retryAfterSeconds: 10), code: 504)
    }

    /// Upstream's `NewTooManyRequests` for a budget that does not allow the eviction.
    static func tooManyRequests(retryAfter: Int, cause: String?) -> Status {
        Status(message: "Cannot evict pod as it would violate the pod's disruption budget.", reason: "TooManyRequests",
               details: StatusDetails(causes: cause.map { [StatusCause(reason: "DisruptionBudget", message: $0)] }, retryAfterSeconds: retryAfter),
               code: 429)
    }

    /// The `DisruptionTarget` condition an eviction leaves on the pod before deleting it.
    private func addDisruptionTarget(name: String, namespace: String) async throws {
        for attempt in 0..<5 {
            let (object, kv) = try await load(name: name, namespace: namespace)
            guard var pod = object as? Pod else { return }
            var conditions = pod.status?.conditions ?? []
            conditions.removeAll { $0.type == "DisruptionTarget" }
            conditions.append(PodCondition(type: "DisruptionTarget", status: "True", lastTransitionTime: .now(),
                                           reason: "EvictionByEvictionAPI", message: "Eviction API: evicting"))
            if pod.status == nil { pod.status = PodStatus() }
            pod.status?.conditions = conditions
            do {
                let revision = try await core.store.update(key: kv.key, value: try StoredObject.encode(pod), expectedRevision: kv.modRevision)
                if let object = pod as? Object { rememberWritten(object, key: kv.key, revision: revision) }
                return
            } catch StoreError.conflict where attempt < 4 {
                continue
            }
        }
    }
}

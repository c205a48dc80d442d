import Foundation
import KubeAPI
import KubePatch
import Store

extension ResourceHandler {
    /// `scale` (autoscaling/v1 Scale) for kinds with `spec.replicas`: GET, PUT, PATCH and server-side apply. An apply
    /// is field-managed on the Scale (conflicting with the owners of the parent's `spec.replicas`) and its
    /// managedFields folded back into the parent's, as upstream's `ScaleHandler` does.
    func scale(_ request: APIRequest, path: ResourcePath, name: String) async throws -> APIResponse {
        for attempt in 0..<5 {
            let (object, kv) = try await load(name: name, namespace: path.namespace)
            var current = try KubeJSON.value(of: object)
            let scale = try ScaleView(of: current, metadata: object.metadata, revision: kv.modRevision)
            if request.method == "GET" { return .json(scale.value) }
            let desired: JSONValue
            // Set by an apply: the parent's managedFields after it (other writes record theirs as the store does).
            var appliedManagedFields: JSONValue?
            switch request.method {
            case "PUT": desired = try core.parseBody(request)
            case "PATCH" where request.contentType == "application/apply-patch+yaml":
                let handler = try Patching.status(for: info) {
                    try ScaleHandler(parentManagedFields: current[path: ["metadata", "managedFields"]], parentAPIVersion: info.groupVersion)
                }
                var live = scale.value
                live["metadata"]?["managedFields"] = handler.toSubresource()
                let applied = try core.parseBody(request)
                let manager = try Self.applyManager(request)
                desired = try Patching.status(for: info) {
                    try FieldManager(kind: "Scale", subresource: "scale").apply(applied, to: live, manager: manager, apiVersion: ScaleHandler.scaleAPIVersion,
                                                                               force: request.boolParameter("force"), now: Date())
                }
                appliedManagedFields = try Patching.status(for: info) { try handler.toParent(desired[path: ["metadata", "managedFields"]]) }
            case "PATCH":
                let patch = try core.parseBody(request)
                let type = request.contentType == "application/strategic-merge-patch+json" ? "application/merge-patch+json" : request.contentType
                desired = try Patching.apply(patch, contentType: type, to: scale.value, kind: "Scale", info: info)
            default: throw Status.methodNotSupported(info, verb: request.method.lowercased())
            }
            guard let replicas = desired[path: ["spec", "replicas"]]?.intValue, replicas >= 0 else {
                throw Status.invalid(kind: "Scale", group: "autoscaling", name: name, causes: [
                    StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(desired[path: ["spec", "replicas"]]?.jsonString ?? "null"): must be greater than or equal to 0", field: "spec.replicas"),
                ])
            }
            if let rv = desired[path: ["metadata", "resourceVersion"]]?.stringValue, !rv.isEmpty, rv != String(kv.modRevision) {
                throw Status.conflict(info, name: name, message: "the object has been modified; please apply your changes to the latest version and try again")
            }
            var spec = current["spec"] ?? [:]
            spec["replicas"] = .int(replicas)
            current["spec"] = spec
            if let appliedManagedFields { current["metadata"]?["managedFields"] = appliedManagedFields }
            let (updated, _) = try decode(current, fieldValidation: "Ignore")
            do {
                let response = try await store(updated, replacing: object, kv: kv, path: path, request: request, subresource: nil,
                                               manager: appliedManagedFields == nil ? ManagedFieldsUpdate(manager: request.fieldManager, subresource: "scale") : nil)
                guard case .data(let data) = response.body else { return response }
                let stored = try JSONValue(parsing: data)
                let revision = Int64(stored[path: ["metadata", "resourceVersion"]]?.stringValue ?? "") ?? kv.modRevision
                return .json(try ScaleView(of: stored, metadata: updated.metadata, revision: revision).value)
            } catch StoreError.conflict where attempt < 4 {
                continue
            }
        }
        throw Status.conflict(info, name: name, message: "the object has been modified; please apply your changes to the latest version and try again")
    }

    /// `pods/binding`: assigns a pod to a node once (409 if it is already bound), as the scheduler does.
    func bind(_ request: APIRequest, path: ResourcePath, name: String) async throws -> APIResponse {
        let binding = try core.parseBody(request)
        guard let node = binding[path: ["target", "name"]]?.stringValue, !node.isEmpty else {
            throw Status.invalid(kind: "Binding", group: "", name: name, causes: [
                StatusCause(reason: "FieldValueRequired", message: "Required value", field: "target.name"),
            ])
        }
        for attempt in 0..<5 {
            let (object, kv) = try await load(name: name, namespace: path.namespace)
            guard var pod = object as? Pod else { throw Status.methodNotSupported(info, verb: "create") }
            if pod.metadata.deletionTimestamp != nil {
                throw Status.conflict(info, name: name, message: "pod \(name) is being deleted, cannot be assigned to a host")
            }
            if let bound = pod.spec?.nodeName, !bound.isEmpty {
                throw Status.conflict(info, name: name, message: "pod \(name) is already assigned to node \"\(bound)\"")
            }
            pod.spec?.nodeName = node
            var conditions = pod.status?.conditions ?? []
            conditions.removeAll { $0.type == "PodScheduled" }
            conditions.append(PodCondition(type: "PodScheduled", status: "True", lastTransitionTime: Time.now()))
            if pod.status == nil { pod.status = PodStatus() }
            pod.status?.conditions = conditions
            do {
                let revision = try await core.store.update(key: kv.key, value: try StoredObject.encode(pod), expectedRevision: kv.modRevision)
                if let object = pod as? Object { rememberWritten(object, key: kv.key, revision: revision) }
                return .json(Status(status: "Success", code: 201).jsonValue, status: 201)
            } catch StoreError.conflict where attempt < 4 {
                continue
            }
        }
        throw Status.conflict(info, name: name, message: "the object has been modified; please apply your changes to the latest version and try again")
    }
}

extension ResourceHandler {
    /// `namespaces/finalize`: replaces `spec.finalizers` only; a terminating namespace whose finalizers are all
    /// gone is removed, as the namespace controller expects.
    func finalize(_ request: APIRequest, path: ResourcePath, name: String) async throws -> APIResponse {
        let body = try core.parseBody(request)
        let finalizers = body[path: ["spec", "finalizers"]]?.arrayValue?.compactMap(\.stringValue)
        let (old, kv) = try await load(name: name, namespace: nil)
        guard var namespace = old as? Namespace else { throw Status.methodNotSupported(info, verb: "update") }
        namespace.spec = NamespaceSpec(finalizers: finalizers.flatMap { $0.isEmpty ? nil : $0 })
        return try await store(namespace as! Object, replacing: old, kv: kv, path: path, request: request, subresource: "finalize",
                               manager: ManagedFieldsUpdate(manager: request.fieldManager, subresource: "finalize"))
    }
}

/// The autoscaling/v1 `Scale` view of an object with `spec.replicas` / `status.replicas` / `spec.selector`.
struct ScaleView {
    let value: JSONValue

    /// `status.selector` is upstream's: a ReplicationController's label map as `SelectorFromSet(...).String()`, the
    /// other kinds' LabelSelector as `LabelSelectorAsSelector(...).String()` (`app=web,!legacy,tier in (a,b)`:
    /// requirements by key, matchExpressions included); a selector that does not convert is a 400, as upstream's.
    init(of object: JSONValue, metadata meta: ObjectMeta, revision: Int64) throws {
        let selector: LabelSelectorExpression
        if object["kind"]?.stringValue == ReplicationController.resource.kind {
            selector = LabelSelectorExpression(matchLabels: (object[path: ["spec", "selector"]]?.objectValue ?? [:]).mapValues { $0.stringValue ?? "" })
        } else {
            do {
                selector = try LabelSelectorExpression(object[path: ["spec", "selector"]].map { try KubeJSON.decode(LabelSelector.self, from: $0) })
            } catch {
                throw Status.badRequest("\(error)")
            }
        }
        var metadata: JSONValue = ["name": .string(meta.name ?? ""), "resourceVersion": .string(String(revision))]
        if let ns = meta.namespace { metadata["namespace"] = .string(ns) }
        if let uid = meta.uid { metadata["uid"] = .string(uid) }
        if let created = meta.creationTimestamp { metadata["creationTimestamp"] = .string(created.description) }
        value = ["apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": metadata,
                 "spec": ["replicas": .int(object[path: ["spec", "replicas"]]?.intValue ?? 1)],
                 "status": ["replicas": .int(object[path: ["status", "replicas"]]?.intValue ?? 0), "selector": .string(selector.description)]]
    }
}

extension Status {
    /// The status as a JSON value.
    var jsonValue: JSONValue { (try? KubeJSON.value(of: self)) ?? [:] }

    /// 404 for a path the server does not serve (an unknown subresource, a namespace on a cluster-scoped kind), as
    /// upstream's go-restful error handler answers it: "the server could not find the requested resource" with the
    /// router's message as an `UnexpectedServerResponse` cause. The details are there as upstream's are — kubectl
    /// reads them: `kubectl debug` tells a missing `ephemeralcontainers` subresource from a missing pod by
    /// `details.name` and dereferences `details` to do so.
    static func pathNotFound(_ cause: String = "404: Page Not Found") -> Status {
        Status(message: "the server could not find the requested resource", reason: "NotFound",
               details: StatusDetails(causes: [StatusCause(reason: "UnexpectedServerResponse", message: cause)]), code: 404)
    }
}

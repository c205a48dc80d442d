import Foundation
import KubeAPI
import Store

/// meta/v1 `DeleteOptions` as DELETE bodies and query parameters carry them.
struct DeleteOptions: Codable {
    struct Preconditions: Codable {
        var uid: String?
        var resourceVersion: String?
    }

    var gracePeriodSeconds: Int64?
    var propagationPolicy: String?
    var orphanDependents: Bool?
    var preconditions: Preconditions?
    var dryRun: [String]?

    init(request: APIRequest) throws {
        if !request.body.isEmpty, let decoded = try? JSONDecoder().decode(DeleteOptions.self, from: request.body) {
            self = decoded
        }
        if let grace = request.query["gracePeriodSeconds"] { gracePeriodSeconds = Int64(grace) }
        if let policy = request.query["propagationPolicy"] { propagationPolicy = policy }
        if request.query["orphanDependents"] != nil { orphanDependents = request.boolParameter("orphanDependents") }
        if request.isDryRun { dryRun = ["All"] }
        if let policy = propagationPolicy, !["Orphan", "Background", "Foreground"].contains(policy) {
            throw Status.invalid(kind: "DeleteOptions", group: "", name: "", causes: [
                StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(policy)\": supported values: \"Foreground\", \"Background\", \"Orphan\"", field: "propagationPolicy"),
            ])
        }
    }
}

extension ResourceHandler {
    /// DELETE of one object: graceful for pods on a node, deferred while finalizers remain, immediate otherwise.
    func delete(_ request: APIRequest, path: ResourcePath, name: String) async throws -> APIResponse {
        let options = try DeleteOptions(request: request)
        for attempt in 0..<5 {
            let (old, kv) = try await load(name: name, namespace: path.namespace)
            try strategy.validateDelete(old)
            if let uid = options.preconditions?.uid, uid != old.metadata.uid {
                throw Status.conflict(info, name: name, message: "Precondition failed: UID in precondition: \(uid), UID in object meta: \(old.metadata.uid ?? "")")
            }
            if let rv = options.preconditions?.resourceVersion, rv != String(kv.modRevision) {
                throw Status.conflict(info, name: name, message: "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(kv.modRevision)")
            }
            var object = old
            var finalizers = object.metadata.finalizers ?? []
            let policy = options.propagationPolicy ?? (options.orphanDependents == true ? "Orphan" : strategy.defaultPropagationPolicy)
            if policy == "Orphan", !finalizers.contains("orphan") { finalizers.append("orphan") }
            if policy == "Foreground", !finalizers.contains("foregroundDeletion") { finalizers.append("foregroundDeletion") }
            let grace = strategy.gracePeriod(for: old, requested: options.gracePeriodSeconds)
            let pending = !finalizers.isEmpty || grace > 0 || strategy.awaitsFinalization(old)
            if options.dryRun != nil { return .json(try encodeForResponse(old, revision: kv.modRevision)) }
            do {
                if pending {
                    if object.metadata.deletionTimestamp == nil {
                        object.metadata.deletionTimestamp = Time(Date().addingTimeInterval(TimeInterval(grace)))
                        object.metadata.deletionGracePeriodSeconds = grace
                    } else if let current = object.metadata.deletionGracePeriodSeconds, grace < current {
                        // A shorter grace period may shorten a pending graceful deletion, never lengthen it.
                        object.metadata.deletionTimestamp = Time(Date().addingTimeInterval(TimeInterval(grace)))
                        object.metadata.deletionGracePeriodSeconds = grace
                    }
                    object.metadata.finalizers = finalizers.isEmpty ? nil : finalizers
                    strategy.prepareForDeletion(&object)
                    if object == old { return .json(try encodeForResponse(old, revision: kv.modRevision)) }
                    let stored = try storedBytes(object, recorded: nil)
                    let revision = try await core.store.update(key: kv.key, value: stored, expectedRevision: kv.modRevision,
                                                               ttl: strategy.timeToLive(object))
                    rememberWritten(object, key: kv.key, revision: revision)
                    return .json(try written(object, stored: stored, revision: revision))
                }
                let deleted = try await core.store.delete(key: kv.key, expectedRevision: kv.modRevision)
                await strategy.afterDelete(old, context: core.admission)
                return .json(try encodeForResponse(old, revision: deleted.modRevision))
            } catch StoreError.conflict where attempt < 4 {
                continue
            }
        }
        throw Status.conflict(info, name: name, message: "the object has been modified; please apply your changes to the latest version and try again")
    }

    /// DELETE on a collection (`kubectl delete pods --all`): each matching object as a single DELETE would.
    func deleteCollection(_ request: APIRequest, path: ResourcePath) async throws -> APIResponse {
        let filter = try ObjectFilter<Object>(request: request)
        let page = try await core.store.list(prefix: StoredObject.prefix(storage, namespace: path.namespace), startAfter: nil, limit: 0, revision: nil)
        var deleted: [JSONValue] = []
        for kv in page.items {
            let object = try decodeStored(kv)
            guard filter.matches(object), let name = object.metadata.name else { continue }
            var single = path
            single.namespace = object.metadata.namespace
            let response = try await delete(request, path: single, name: name)
            if case .data(let data) = response.body, response.status == 200 { deleted.append(try JSONValue(parsing: data)) }
        }
        return .json(["apiVersion": .string(info.groupVersion), "kind": .string(info.kind + "List"),
                      "metadata": ["resourceVersion": .string(String(page.revision))], "items": .array(deleted)])
    }
}

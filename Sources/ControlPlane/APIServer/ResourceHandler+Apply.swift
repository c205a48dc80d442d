import Foundation
import KubeAPI
import KubePatch
import Store

extension ResourceHandler {
    /// Server-side apply (`application/apply-patch+yaml`): KubePatch's `FieldManager` merges the applied
    /// configuration into the live object (or creates it), detects conflicts with other managers (409 unless
    /// `force=true`) and rewrites managedFields; the result is then admitted and stored like any write.
    func apply(_ applied: JSONValue, request: APIRequest, path: ResourcePath, name: String, subresource: String?) async throws -> APIResponse {
        let manager = try Self.applyManager(request)
        let force = request.boolParameter("force")
        let fieldManager = FieldManager(kind: info.kind, subresource: subresource ?? "")
        for attempt in 0..<5 {
            let key = StoredObject.key(storage, namespace: path.namespace, name: name)
            let kv = try await core.store.get(key: key)
            let old = try kv.map(decodeStored)
            let live = try old.map { old -> JSONValue in
                var value = try KubeJSON.value(of: old)
                value["apiVersion"] = .string(info.groupVersion)
                value["kind"] = .string(info.kind)
                return value
            }
            let merged = try Patching.status(for: info) {
                try fieldManager.apply(applied, to: live, manager: manager, apiVersion: info.groupVersion, force: force, now: Date())
            }
            var (object, warnings) = try decode(merged, fieldValidation: request.fieldValidation)
            try Self.checkName(object.metadata.name, name: name)
            var response: APIResponse
            guard let old, let kv else {
                if object.metadata.name == nil { object.metadata.name = name }
                response = try await create(object: &object, path: path, request: request, manager: nil)
                for warning in warnings { response.addWarning(warning) }
                return response
            }
            do {
                response = try await store(object, replacing: old, kv: kv, path: path, request: request, subresource: subresource, manager: nil)
            } catch StoreError.conflict where attempt < 4 {
                continue
            }
            for warning in warnings { response.addWarning(warning) }
            return response
        }
        throw Status.conflict(info, name: name, message: "the object has been modified; please apply your changes to the latest version and try again")
    }

    /// The `fieldManager` an apply names, required as upstream requires it.
    static func applyManager(_ request: APIRequest) throws -> String {
        guard let manager = request.query["fieldManager"], !manager.isEmpty else {
            throw Status.badRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch")
        }
        return manager
    }
}

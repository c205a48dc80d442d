import Foundation
import KubeAPI
import Logging
import Store

/// Reconciles the default ClusterRoles and ClusterRoleBindings at start-up, as upstream's RBAC post-start hook
/// does: a missing one is created; one whose `rbac.authorization.kubernetes.io/autoupdate` annotation is not
/// `false` gets back the rules (or subjects) it lost, keeping whatever was added.
struct PolicyBootstrap {
    let core: ServerCore
    let registry: ResourceRegistry
    let logger: Logger

    func run() async throws {
        for role in DefaultPolicy.clusterRoles {
            try await reconcile(role) { stored in
                guard stored.aggregationRule == nil else {
                    if stored.aggregationRule != role.aggregationRule, role.aggregationRule != nil { stored.aggregationRule = role.aggregationRule; return true }
                    return false
                }
                let missing = (role.rules ?? []).filter { !(stored.rules ?? []).contains($0) }
                stored.rules = (stored.rules ?? []) + missing
                return !missing.isEmpty
            }
        }
        for binding in DefaultPolicy.clusterRoleBindings {
            try await reconcile(binding) { stored in
                let missing = (binding.subjects ?? []).filter { !(stored.subjects ?? []).contains($0) }
                stored.subjects = (stored.subjects ?? []) + missing
                return !missing.isEmpty
            }
        }
    }

    private func reconcile<K: KubeObject>(_ object: K, repair: (inout K) -> Bool) async throws {
        let name = object.metadata.name ?? ""
        let key = StoredObject.key(K.resource, namespace: nil, name: name)
        if let kv = try await core.store.get(key: key) {
            guard var stored = try? KubeJSON.decode(K.self, from: kv.value),
                  stored.metadata.annotations?["rbac.authorization.kubernetes.io/autoupdate"] != "false", repair(&stored) else { return }
            do {
                _ = try await core.store.update(key: key, value: try StoredObject.encode(stored), expectedRevision: kv.modRevision)
                logger.info("reconciled default RBAC object", metadata: ["kind": "\(K.resource.kind)", "name": "\(name)"])
            } catch StoreError.conflict {
                // Another server reconciled it at the same time.
            }
            return
        }
        guard let handler = registry.handler(group: K.resource.group, version: K.resource.version, plural: K.resource.plural) else { return }
        let request = APIRequest(method: "POST", path: "", query: ["fieldManager": "swiftlet-server"], headers: [:], body: try KubeJSON.encode(object))
        let response = await handler.handle(request, path: ResourcePath(group: K.resource.group, version: K.resource.version, namespace: nil,
                                                                          plural: K.resource.plural))
        if response.status >= 300, response.status != 409 {
            throw StoreError.backend("bootstrap of \(K.resource.kind) \(name): HTTP \(response.status)")
        }
    }
}

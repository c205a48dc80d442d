import Foundation
import KubeAPI
import NIOHTTP1

extension KubeClient {
    /// Assigns a pod to a node through `pods/{name}/binding`, as the scheduler does. `binding.metadata` names the
    /// pod; `binding.target` the node.
    ///
    /// - Throws: `KubeClientError` with `isConflict` when the pod is already bound or being deleted.
    public func bind(_ binding: Binding) async throws(KubeClientError) {
        guard let name = binding.metadata.name, !name.isEmpty else { throw .invalidRequest("Binding has no metadata.name") }
        var binding = binding
        binding.setTypeMeta()
        let path = Pod.resource.objectPath(namespace: scope(Pod.self, binding.metadata.namespace), name: name) + "/binding"
        var request = Request(method: .POST, path: path)
        request.body = try Self.body(binding, for: request.description)
        _ = try await send(request)
    }

    /// Binds pod `name` in `namespace` to `node`.
    public func bind(pod name: String, namespace: String, to node: String) async throws(KubeClientError) {
        try await bind(Binding(metadata: ObjectMeta(name: name, namespace: namespace),
                               target: ObjectReference(kind: "Node", name: node)))
    }

    /// Reads the autoscaling/v1 `Scale` of a Deployment, ReplicaSet or other kind with `spec.replicas`.
    public func scale<K: KubeObject>(_ type: K.Type, name: String, namespace: String? = nil) async throws(KubeClientError) -> Scale {
        let path = K.resource.objectPath(namespace: scope(K.self, namespace), name: name) + "/scale"
        return try await send(Request(method: .GET, path: path), as: Scale.self)
    }

    /// Writes `scale.spec.replicas` of the object `scale.metadata` names; a `metadata.resourceVersion` makes it a
    /// compare-and-swap.
    public func updateScale<K: KubeObject>(_ type: K.Type, _ scale: Scale) async throws(KubeClientError) -> Scale {
        guard let name = scale.metadata.name, !name.isEmpty else { throw .invalidRequest("Scale has no metadata.name") }
        var scale = scale
        scale.setTypeMeta()
        let path = K.resource.objectPath(namespace: scope(K.self, scale.metadata.namespace), name: name) + "/scale"
        var request = Request(method: .PUT, path: path)
        request.body = try Self.body(scale, for: request.description)
        return try await send(request, as: Scale.self)
    }
}

extension KubeClient {
    /// Requests a token for ServiceAccount `name` in `namespace` through `serviceaccounts/{name}/token` (what
    /// `kubectl create token` and the kubelet's projected volumes do) and returns the answered TokenRequest, whose
    /// `status` holds the token and its expiry.
    public func createToken(serviceAccount name: String, namespace: String, _ request: TokenRequest) async throws(KubeClientError) -> TokenRequest {
        let path = ServiceAccount.resource.objectPath(namespace: namespace, name: name) + "/token"
        var http = Request(method: .POST, path: path)
        http.body = try Self.body(request, for: http.description)
        return try await send(http, as: TokenRequest.self)
    }
}

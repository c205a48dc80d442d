import Foundation
import KubeAPI
import NIOHTTP1

extension KubeClient {
    /// The namespace a request for `K` goes to: none for cluster-scoped kinds, else `namespace`, else the
    /// configuration's default.
    func scope<K: KubeObject>(_ type: K.Type, _ namespace: String?) -> String? {
        K.resource.namespaced ? (namespace ?? configuration.namespace) : nil
    }

    /// Reads one object.
    ///
    /// - Throws: `KubeClientError` with `isNotFound` when it does not exist.
    public func get<K: KubeObject>(_ type: K.Type, name: String, namespace: String? = nil) async throws(KubeClientError) -> K {
        let path = K.resource.objectPath(namespace: scope(K.self, namespace), name: name)
        return try await send(Request(method: .GET, path: path), as: K.self)
    }

    /// Lists a kind, following `continue` tokens until the end; `namespace: nil` lists across all namespaces of a
    /// namespaced kind. The result's `metadata.resourceVersion` is the first page's: a consistent snapshot that a
    /// watch can continue from.
    public func list<K: KubeObject>(_ type: K.Type, namespace: String? = nil,
                                    options: ListOptions = ListOptions()) async throws(KubeClientError) -> ObjectList<K> {
        var result = try await listPage(K.self, namespace: namespace, options: options)
        var token = result.metadata.continue
        while let next = token, !next.isEmpty {
            let page = try await listPage(K.self, namespace: namespace, options: options, continue: next)
            result.items.append(contentsOf: page.items)
            token = page.metadata.continue
        }
        result.metadata.continue = nil
        result.metadata.remainingItemCount = nil
        return result
    }

    /// Lists one page of at most `options.limit` items; pass the previous page's `metadata.continue` to get the next.
    ///
    /// - Throws: `KubeClientError.gone` when the continue token has expired; start over without it.
    public func listPage<K: KubeObject>(_ type: K.Type, namespace: String? = nil, options: ListOptions = ListOptions(),
                                        continue token: String? = nil) async throws(KubeClientError) -> ObjectList<K> {
        var query = options.selectorQuery
        if let limit = options.limit { query.append(("limit", String(limit))) }
        if let token { query.append(("continue", token)) }
        else if let rv = options.resourceVersion { query.append(("resourceVersion", rv)) }
        let path = K.resource.collectionPath(namespace: K.resource.namespaced ? namespace : nil)
        return try await send(Request(method: .GET, path: path, query: query), as: ObjectList<K>.self)
    }

    /// Creates an object in its `metadata.namespace` (or the configuration's namespace) and returns what the server
    /// stored (uid, resourceVersion, defaults).
    ///
    /// - Throws: `KubeClientError` with `isAlreadyExists` when the name is taken.
    public func create<K: KubeObject>(_ object: K, fieldManager: String? = nil) async throws(KubeClientError) -> K {
        var object = object
        object.setTypeMeta()
        let path = K.resource.collectionPath(namespace: scope(K.self, object.metadata.namespace))
        return try await write(object, method: .POST, path: path, fieldManager: fieldManager)
    }

    /// Replaces an object (PUT). The object's `metadata.resourceVersion` makes it a compare-and-swap.
    ///
    /// - Throws: `KubeClientError` with `isConflict` when the object changed since that resourceVersion.
    public func update<K: KubeObject>(_ object: K, fieldManager: String? = nil) async throws(KubeClientError) -> K {
        try await write(object, method: .PUT, path: try objectPath(object), fieldManager: fieldManager)
    }

    /// Replaces an object's `status` through the `/status` subresource (spec changes are ignored by the server).
    public func updateStatus<K: KubeObject>(_ object: K, fieldManager: String? = nil) async throws(KubeClientError) -> K {
        try await write(object, method: .PUT, path: try objectPath(object) + "/status", fieldManager: fieldManager)
    }

    /// Replaces a Namespace's `spec.finalizers` through `namespaces/{name}/finalize`, the only way to change them;
    /// a terminating namespace whose finalizers are all gone is removed (what the namespace controller does last).
    @discardableResult
    public func finalize(_ namespace: Namespace) async throws(KubeClientError) -> Namespace {
        try await write(namespace, method: .PUT, path: try objectPath(namespace) + "/finalize", fieldManager: nil)
    }

    /// Deletes an object. Pods bound to a node and objects with finalizers linger (with a deletionTimestamp) until
    /// the kubelet or the finalizer's owner lets them go.
    ///
    /// - Throws: `KubeClientError` with `isNotFound` when it does not exist, `isConflict` when a precondition fails.
    public func delete<K: KubeObject>(_ type: K.Type, name: String, namespace: String? = nil,
                                      options: DeleteOptions = DeleteOptions()) async throws(KubeClientError) {
        let path = K.resource.objectPath(namespace: scope(K.self, namespace), name: name)
        var request = Request(method: .DELETE, path: path)
        request.body = try Self.body(options, for: request.description)
        _ = try await send(request)
    }

    /// Patches an object with `body` in the given format and returns the result. `subresource` patches `status` or
    /// `scale` instead of the main resource.
    ///
    /// Server-side apply (`.apply`) needs `fieldManager`; `force` takes over fields other managers own instead of
    /// failing with 409 Conflict.
    public func patch<K: KubeObject>(_ type: K.Type, name: String, namespace: String? = nil, patchType: PatchType,
                                     body: Data, fieldManager: String? = nil, force: Bool = false,
                                     subresource: String? = nil) async throws(KubeClientError) -> K {
        var path = K.resource.objectPath(namespace: scope(K.self, namespace), name: name)
        if let subresource { path += "/\(subresource)" }
        var query: [(String, String)] = []
        if let fieldManager { query.append(("fieldManager", fieldManager)) }
        if force { query.append(("force", "true")) }
        let request = Request(method: .PATCH, path: path, query: query, body: body, contentType: patchType.rawValue)
        return try await send(request, as: K.self)
    }

    /// Patches an object with a JSON document (`JSONValue`) as the patch body.
    public func patch<K: KubeObject>(_ type: K.Type, name: String, namespace: String? = nil, patchType: PatchType,
                                     _ patch: JSONValue, fieldManager: String? = nil, force: Bool = false,
                                     subresource: String? = nil) async throws(KubeClientError) -> K {
        try await self.patch(K.self, name: name, namespace: namespace, patchType: patchType, body: patch.serialized(),
                             fieldManager: fieldManager, force: force, subresource: subresource)
    }

    /// Server-side apply of `object` as `fieldManager`'s whole intent: fields it set before and omits now are removed.
    public func apply<K: KubeObject>(_ object: K, fieldManager: String, force: Bool = false) async throws(KubeClientError) -> K {
        var object = object
        object.setTypeMeta()
        let path = try objectPath(object)
        let body = try Self.body(object, for: "PATCH \(path)")
        return try await patch(K.self, name: object.metadata.name ?? "", namespace: object.metadata.namespace,
                               patchType: .apply, body: body, fieldManager: fieldManager, force: force)
    }

    /// The object's own URL path; it must have a name.
    func objectPath<K: KubeObject>(_ object: K) throws(KubeClientError) -> String {
        guard let name = object.metadata.name, !name.isEmpty else {
            throw .invalidRequest("\(K.resource.kind) has no metadata.name")
        }
        return K.resource.objectPath(namespace: scope(K.self, object.metadata.namespace), name: name)
    }

    /// POST/PUT of a whole object.
    private func write<K: KubeObject>(_ object: K, method: HTTPMethod, path: String,
                                      fieldManager: String?) async throws(KubeClientError) -> K {
        var request = Request(method: method, path: path)
        if let fieldManager { request.query.append(("fieldManager", fieldManager)) }
        var object = object
        if object.apiVersion == nil || object.kind == nil { object.setTypeMeta() }
        request.body = try Self.body(object, for: request.description)
        return try await send(request, as: K.self)
    }
}

import Foundation
import KubeAPI
import Logging
import Store

/// Serves one kind: every verb on its collection, its objects and its subresources, with `S` supplying what is
/// special about the kind. The verbs live in `ResourceHandler+<Verb>.swift`. A kind that is a second API view over
/// another kind's objects (`S.Stored`, e.g. events.k8s.io/v1 Events over core/v1's) is served from that kind's keys,
/// each object converted on the way in and out.
final class ResourceHandler<S: ResourceStrategy>: ResourceHandling {
    typealias Object = S.Object

    let strategy: S
    let core: ServerCore
    /// What the kind's watches with selectors need of recent object versions (see ``SelectionCache``).
    let selections = SelectionCache()
    /// The objects of the kind this server wrote last, as decoding their stored bytes would give them, for kinds that
    /// keep some (``ResourceStrategy/recentWriteCapacity``): a write that soon follows another to the same object (a
    /// pod's binding after its creation, its first status after that) starts from the remembered object instead of
    /// decoding the stored bytes again (6.6 % of the server's CPU during hack/bench/scheduler). A version is a key and
    /// its revision, so a write by anyone else is never mistaken for one remembered here.
    let recentWrites: VersionCache<Object>?

    init(_ strategy: S, core: ServerCore) {
        self.strategy = strategy
        self.core = core
        recentWrites = strategy.recentWriteCapacity > 0 ? VersionCache(capacity: strategy.recentWriteCapacity) : nil
    }

    var info: ResourceInfo { Object.resource }

    var subresources: [String] {
        var result: [String] = []
        if strategy.hasStatus { result.append("status") }
        if strategy.scalable { result.append("scale") }
        return result + strategy.extraSubresources
    }

    func handle(_ request: APIRequest, path: ResourcePath) async -> APIResponse {
        do {
            if info.namespaced == false, path.namespace != nil {
                throw Status.pathNotFound()
            }
            switch (path.name, path.subresource, request.method) {
            case (nil, nil, "GET"): return try await request.isWatch ? watch(request, path: path) : list(request, path: path)
            case (nil, nil, "POST"): return try await create(request, path: path)
            case (nil, nil, "DELETE"): return try await deleteCollection(request, path: path)
            case (let name?, nil, "GET"): return try await get(request, name: name, path: path)
            case (let name?, nil, "PUT"): return try await update(request, path: path, name: name, subresource: nil)
            case (let name?, nil, "PATCH"): return try await patch(request, path: path, name: name, subresource: nil)
            case (let name?, nil, "DELETE"): return try await delete(request, path: path, name: name)
            case (let name?, "status", "GET") where strategy.hasStatus: return try await get(request, name: name, path: path)
            case (let name?, "status", "PUT") where strategy.hasStatus:
                return try await update(request, path: path, name: name, subresource: "status")
            case (let name?, "status", "PATCH") where strategy.hasStatus:
                return try await patch(request, path: path, name: name, subresource: "status")
            case (let name?, "ephemeralcontainers", "GET") where subresources.contains("ephemeralcontainers"):
                return try await get(request, name: name, path: path)
            case (let name?, "ephemeralcontainers", "PUT") where subresources.contains("ephemeralcontainers"):
                return try await update(request, path: path, name: name, subresource: "ephemeralcontainers")
            case (let name?, "ephemeralcontainers", "PATCH") where subresources.contains("ephemeralcontainers"):
                return try await patch(request, path: path, name: name, subresource: "ephemeralcontainers")
            case (let name?, "scale", _) where strategy.scalable: return try await scale(request, path: path, name: name)
            case (let name?, "binding", "POST") where subresources.contains("binding"): return try await bind(request, path: path, name: name)
            case (let name?, "eviction", "POST") where subresources.contains("eviction"): return try await evict(request, path: path, name: name)
            case (let name?, "finalize", "PUT") where subresources.contains("finalize"): return try await finalize(request, path: path, name: name)
            case (let name?, "approval", _) where subresources.contains("approval"): return try await approval(request, path: path, name: name)
            case (let name?, "log", "GET") where subresources.contains("log"): return try await podLog(request, path: path, name: name)
            case (let name?, "proxy", _) where subresources.contains("proxy"): return try await proxy(request, path: path, name: name)
            case (let name?, let sub?, "GET") where ["exec", "attach", "portforward"].contains(sub) && subresources.contains(sub),
                 (let name?, let sub?, "POST") where ["exec", "attach", "portforward"].contains(sub) && subresources.contains(sub):
                return try await podStream(request, path: path, name: name, subresource: sub)
            case (_, let sub?, _) where !subresources.contains(sub):
                throw Status.pathNotFound()
            default:
                throw Status.methodNotSupported(info, verb: request.method.lowercased())
            }
        } catch let status as Status {
            return .status(status)
        } catch {
            return .status(core.status(for: error, info: info, name: path.name ?? ""))
        }
    }

    // MARK: Shared pieces of the verbs

    /// The stored object, or 404.
    func load(name: String, namespace: String?) async throws -> (object: Object, kv: KeyValue) {
        let key = StoredObject.key(storage, namespace: namespace, name: name)
        guard let kv = try await core.store.get(key: key) else { throw Status.notFound(info, name: name) }
        if let written = recentWrites?.value(key: kv.key, revision: kv.modRevision) {
            assert(written == (try? decodeStored(kv)), "the remembered \(info.kind) \(kv.key) differs from its stored bytes")
            return (written, kv)
        }
        return (try decodeStored(kv), kv)
    }

    /// Remembers `object` as stored under `key` at `revision`: its labels and selectable fields for the kind's
    /// watches with selectors (``selections``), and the object itself (see ``recentWrites``; not for views, whose
    /// served form is converted from another kind's). Every write path calls it, so no watcher decodes what was
    /// just written to learn whether it still matches.
    func rememberWritten(_ object: Object, key: String, revision: Int64) {
        if selections.isWatched { selections.remember(SelectedValues(object), key: key, revision: revision) }
        guard let recentWrites, !isView else { return }
        // As decoding the stored bytes gives it: they always carry apiVersion and kind, a request body need not.
        var stored = object
        stored.metadata.resourceVersion = String(revision)
        stored.setTypeMeta()
        recentWrites.remember(stored, key: key, revision: revision)
    }

    func decodeStored(_ kv: KeyValue) throws -> Object {
        var object = try decodeObject(kv.value)
        object.metadata.resourceVersion = String(kv.modRevision)
        return object
    }

    /// A stored object as a JSON value, as `KubeJSON.value(of:)` gives it for the decoded object (`apiVersion`, `kind`,
    /// managedFields, `metadata.resourceVersion` the key's revision), parsed from the stored bytes instead of encoding
    /// the decoded object again: the bytes are the server's own encoding, which is also what GET and WATCH return.
    func storedValue(_ kv: KeyValue) throws -> JSONValue {
        if isView { return try KubeJSON.value(of: decodeStored(kv)) }
        var value = try JSONValue(parsing: kv.value)
        value["metadata"]?["resourceVersion"] = .string(String(kv.modRevision))
        return value
    }

    // MARK: Stored form and served form

    /// Where the kind's objects live in the store: its own resource, or the stored kind it is a view of.
    var storage: ResourceInfo { S.Stored.resource }

    /// Whether the kind is a second API view over another kind's objects, so stored bytes are converted on every
    /// read and write rather than served as they are.
    var isView: Bool { ObjectIdentifier(S.Stored.self) != ObjectIdentifier(Object.self) }

    /// Decodes stored bytes (without resourceVersion) into the served kind, with its apiVersion and kind.
    func decodeObject(_ bytes: Data) throws -> Object {
        guard isView else { return try KubeJSON.decode(Object.self, from: bytes) }
        var object = strategy.served(try KubeJSON.decode(S.Stored.self, from: bytes))
        object.setTypeMeta()
        return object
    }

    /// The wire form of stored bytes at `revision`: the bytes themselves with the resourceVersion spliced in, or for
    /// a view the converted object.
    func wireBytes(_ stored: Data, revision: Int64) throws -> Data {
        guard isView else { return StoredObject.withResourceVersion(stored, revision) }
        return try encodeForResponse(decodeObject(stored), revision: revision)
    }

    /// The bytes to store for `object` (whose managedFields a write has updated; `recorded` is its JSON value
    /// then, printed directly instead of encoding the object again).
    func storedBytes(_ object: Object, recorded: JSONValue?) throws -> Data {
        guard isView else { return try recorded.map(StoredObject.encode(value:)) ?? StoredObject.encode(object) }
        return try StoredObject.encode(strategy.stored(object))
    }

    /// The response to a write that stored `stored` for `object` at `revision`.
    func written(_ object: Object, stored: Data, revision: Int64) throws -> Data {
        isView ? try encodeForResponse(object, revision: revision) : StoredObject.withResourceVersion(stored, revision)
    }

    /// The wire form of an object stored at `revision`.
    func encodeForResponse(_ object: Object, revision: Int64) throws -> Data {
        var copy = object
        copy.metadata.resourceVersion = String(revision)
        copy.setTypeMeta()
        return try KubeJSON.encode(copy)
    }

    /// Decodes a request body into the kind, enforcing `fieldValidation` for unknown fields; returns warnings.
    func decodeBody(_ request: APIRequest) throws -> (object: Object, warnings: [String]) {
        let value = try core.parseBody(request)
        return try decode(value, fieldValidation: request.fieldValidation)
    }

    /// Decodes a JSON value into the kind (after a patch, or from a body).
    func decode(_ value: JSONValue, fieldValidation: String) throws -> (object: Object, warnings: [String]) {
        let gv = info.groupVersion
        guard value.objectValue != nil else {
            throw Status.badRequest("\(info.kind) in version \"\(info.version)\" cannot be handled as a \(info.kind): json: cannot unmarshal \(value.typeName) into Go value of type struct")
        }
        if let kind = value["kind"]?.stringValue, kind != info.kind {
            throw Status.badRequest("the API version in the data (\(value["apiVersion"]?.stringValue ?? "")) does not match the expected API version (\(gv))"
                + (kind.isEmpty ? "" : "; kind \(kind) is not \(info.kind)"))
        }
        if let apiVersion = value["apiVersion"]?.stringValue, !apiVersion.isEmpty, apiVersion != gv {
            throw Status.badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(gv))")
        }
        let object: Object
        do {
            object = try KubeJSON.decode(Object.self, from: value)
        } catch let error as DecodingError {
            throw Status.badRequest("\(info.kind) in version \"\(info.version)\" cannot be handled as a \(info.kind): \(DecodeErrorText(kind: Object.self, input: value).describe(error))")
        }
        var warnings: [String] = []
        if fieldValidation != "Ignore" {
            let known = try? KubeJSON.value(of: object)
            let unknown = StoredObject.unknownFields(input: value, known: known)
            if !unknown.isEmpty {
                let messages = unknown.map { "unknown field \"\($0)\"" }
                if fieldValidation == "Strict" {
                    let text = messages.count == 1 ? messages[0] : messages.joined(separator: ", ")
                    throw Status.badRequest("\(info.kind) in version \"\(info.version)\" cannot be handled as a \(info.kind): strict decoding error: \(text)")
                }
                warnings = messages
            }
        }
        return (object, warnings)
    }

    /// Rejects an object whose namespace disagrees with the URL, and fills it from the URL.
    func reconcileNamespace(_ object: inout Object, path: ResourcePath) throws {
        guard info.namespaced else {
            object.metadata.namespace = nil
            return
        }
        let namespace = path.namespace ?? "default"
        if let given = object.metadata.namespace, !given.isEmpty, given != namespace {
            throw Status.badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        object.metadata.namespace = namespace
    }

    /// 422 when validation found problems.
    func throwIfInvalid(_ causes: [StatusCause], name: String) throws {
        guard !causes.isEmpty else { return }
        throw Status.invalid(kind: info.kind, group: info.group, name: name, causes: causes)
    }
}

/// The type-erased face of a `ResourceHandler`, as the router holds it.
protocol ResourceHandling: Sendable {
    var info: ResourceInfo { get }
    var subresources: [String] { get }
    /// The verbs discovery lists for the resource.
    var verbs: [String] { get }
    func handle(_ request: APIRequest, path: ResourcePath) async -> APIResponse
    /// The kubelet WebSocket URL serving a pod's `exec` or `portforward` (a Status error for any other kind).
    func podStreamURL(pod name: String, namespace: String?, stream: PodStream) async throws -> String
    /// Where `nodes/{name}/proxy/{path}` goes and whether that is the kubelet's port (a Status error for any other kind).
    func nodeProxyTarget(name: String, path proxyPath: String?) async throws -> ProxyTarget
}

extension ResourceHandling {
    /// Every verb: a stored kind.
    var verbs: [String] { Discovery.verbs }
}

import Foundation
import KubeAPI
import Metrics

/// Routes a request to discovery, health, metrics, OpenAPI, or the resource handler it names.
struct APIRouter: Sendable {
    let registry: ResourceRegistry
    let discovery: Discovery
    let openAPI: OpenAPIDocuments
    let metrics: APIMetrics
    let version: VersionInfo
    let readiness: @Sendable () async -> Bool
    /// Authentication and authorization; nil on a plain-HTTP server (`--insecure-http`), where nothing is checked.
    var security: Security? = nil

    func route(_ request: APIRequest) async -> APIResponse {
        let start = ContinuousClock.now
        var request = request
        if let security {
            switch await authenticate(&request, security) {
            case .some(let refusal):
                let attributes = RequestAttributes(request)
                metrics.record(verb: verb(request, collection: attributes.name.isEmpty), resource: attributes.resource,
                               code: refusal.status, duration: ContinuousClock.now - start)
                return refusal
            case .none: break
            }
        }
        let (response, resource, isCollection) = await dispatch(request)
        metrics.record(verb: verb(request, collection: isCollection), resource: resource, code: response.status,
                       duration: ContinuousClock.now - start)
        return response
    }

    /// Authenticates (401 when that fails), applies impersonation (each impersonated attribute authorized for the
    /// requester), authorizes (403 in upstream's words) and applies NodeRestriction; sets `request.user` to whom the
    /// request acts as. nil when the request may go on.
    func authenticate(_ request: inout APIRequest, _ security: Security) async -> APIResponse? {
        guard case .authenticated(let requester) = await security.authenticator.authenticate(request) else {
            return .status(.unauthorized)
        }
        request.user = requester
        let impersonation = Impersonation(headers: request.impersonation)
        if impersonation.isRequested {
            do throws(Status) {
                if let impersonated = try await impersonation.resolve(requester, security: security) { request.user = impersonated }
            } catch {
                return .status(error)
            }
        }
        let attributes = RequestAttributes(request)
        let identity = request.user ?? requester
        if let denial = await security.authorize(identity, attributes) { return .status(denial) }
        if let denial = await security.nodeRestriction.admit(identity, attributes, body: { try registry.core.parseBody(request) }) { return .status(denial) }
        return nil
    }

    /// The response, the resource it concerned (for metrics) and whether it addressed a collection.
    private func dispatch(_ request: APIRequest) async -> (APIResponse, String, Bool) {
        switch request.path {
        case "/version", "/version/": return (.encoded(version), "", false)
        case "/healthz", "/livez": return (.text("ok"), "", false)
        case "/readyz":
            return await readiness() ? (.text("ok"), "", false) : (.text("[-]store failed: reason withheld\nreadyz check failed", status: 500), "", false)
        case "/metrics": return (.text(metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8"), "", false)
        default: break
        }
        if request.path.hasPrefix("/openapi/") { return (openAPI.response(for: request), "", false) }
        guard let path = APIPath(path: request.path) else { return (notFound(request.path), "", false) }
        switch path {
        case .legacyRoot: return (discovery.legacyRoot(request), "", false)
        case .groupsRoot: return (discovery.groupsRoot(request), "", false)
        case .group(let group): return (discovery.group(group) ?? notFound(request.path), "", false)
        case .groupVersion(let group, let version):
            return (discovery.resourceList(group: group, version: version) ?? notFound(request.path), "", false)
        case .resource(let resourcePath):
            if let response = await AuthEndpoints(core: registry.core, security: security).handle(request, path: resourcePath) {
                return (response, resourcePath.plural, false)
            }
            if resourcePath.group.isEmpty, resourcePath.plural == "bindings" { return (await createBinding(request, path: resourcePath), "bindings", false) }
            guard let handler = registry.handler(group: resourcePath.group, version: resourcePath.version, plural: resourcePath.plural) else {
                return (notFound(request.path), resourcePath.plural, resourcePath.name == nil)
            }
            return (await handler.handle(request, path: resourcePath), resourcePath.plural, resourcePath.name == nil)
        }
    }

    /// Where a `pods/exec`, `pods/attach` or `pods/portforward` stream is relayed to, or the Status refusing it, and
    /// the request counted as upstream counts it (verb CONNECT); `countingSuccess: false` for the look before an
    /// upgrade that the WebSocket route will count.
    func podStreamURL(namespace: String, name: String, stream: PodStream, countingSuccess: Bool = true) async throws -> String {
        let start = ContinuousClock.now
        do {
            guard let pods = registry.handler(group: "", version: "v1", plural: "pods") else {
                throw Status.pathNotFound()
            }
            let url = try await pods.podStreamURL(pod: name, namespace: namespace, stream: stream)
            if countingSuccess { metrics.record(verb: "CONNECT", resource: "pods", code: 101, duration: ContinuousClock.now - start) }
            return url
        } catch {
            metrics.record(verb: "CONNECT", resource: "pods", code: (error as? Status)?.code ?? 500, duration: ContinuousClock.now - start)
            throw error
        }
    }

    /// Where an upgrade on `nodes/{name}/proxy/{path}` goes (see `ResourceHandler.nodeProxyTarget`), counted as a
    /// CONNECT on nodes as upstream counts connecters.
    func nodeProxyURL(name: String, path: String) async throws -> ProxyTarget {
        let start = ContinuousClock.now
        do {
            guard let nodes = registry.handler(group: "", version: "v1", plural: "nodes") else {
                throw Status.pathNotFound()
            }
            let target = try await nodes.nodeProxyTarget(name: name, path: path)
            metrics.record(verb: "CONNECT", resource: "nodes", code: 101, duration: ContinuousClock.now - start)
            return target
        } catch {
            metrics.record(verb: "CONNECT", resource: "nodes", code: (error as? Status)?.code ?? 500, duration: ContinuousClock.now - start)
            throw error
        }
    }

    /// `POST /api/v1/namespaces/{ns}/bindings` (what `create_namespaced_binding` and older schedulers send): the
    /// Binding names its pod in `metadata.name` and is handled as that pod's `binding` subresource.
    private func createBinding(_ request: APIRequest, path: ResourcePath) async -> APIResponse {
        guard path.namespace != nil, path.name == nil, path.subresource == nil else { return notFound(request.path) }
        guard request.method == "POST" else {
            return .status(Status(message: "the server does not allow this method on the requested resource", reason: "MethodNotAllowed",
                                  details: StatusDetails(), code: 405))
        }
        guard let pods = registry.handler(group: "", version: "v1", plural: "pods") else { return notFound(request.path) }
        let name: String
        do {
            name = try registry.core.parseBody(request)[path: ["metadata", "name"]]?.stringValue ?? ""
        } catch let status as Status {
            return .status(status)
        } catch {
            return .status(.badRequest("Binding in version \"v1\" cannot be handled as a Binding: \(error)"))
        }
        guard !name.isEmpty else {
            return .status(.invalid(kind: "Binding", group: "", name: "", causes: [
                StatusCause(reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name"),
            ]))
        }
        var podPath = path
        podPath.plural = "pods"
        podPath.name = name
        podPath.subresource = "binding"
        return await pods.handle(request, path: podPath)
    }

    private func notFound(_ path: String) -> APIResponse {
        .status(.pathNotFound("404 page not found"))
    }

    /// The Kubernetes verb of a request as upstream's metrics name it (LIST for a collection GET, CONNECT for a
    /// `proxy` subresource whatever its method, as for the other connecters).
    private func verb(_ request: APIRequest, collection: Bool) -> String {
        if request.path.contains("/proxy"), case .resource(let path)? = APIPath(path: request.path), path.subresource == "proxy" {
            return "CONNECT"
        }
        return switch request.method {
        case "GET": request.isWatch ? "WATCH" : (collection ? "LIST" : "GET")
        default: request.method
        }
    }
}

/// `/version`.
struct VersionInfo: Codable, Sendable {
    var major = "1"
    var minor = "32"
    var gitVersion = "v1.32.0-swiftlet"
    var gitCommit = "swiftlet"
    var gitTreeState = "clean"
    var buildDate = "2026-01-01T00:00:00Z"
    var goVersion = "swift6"
    var compiler = "swiftc"
    var platform = "linux/amd64"
}

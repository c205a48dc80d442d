import KubeAPI

/// What the authorizer decides on, derived from a request as upstream's `RequestInfo` does: a Kubernetes verb
/// (`get`/`list`/`watch`/`create`/`update`/`patch`/`delete`/`deletecollection`) on a resource in a group and
/// namespace, or an HTTP verb on a non-resource path (`/healthz`, `/api`).
struct RequestAttributes: Sendable, Hashable {
    var verb: String
    var isResourceRequest: Bool
    var apiGroup = ""
    var apiVersion = ""
    var resource = ""
    var subresource = ""
    var namespace = ""
    var name = ""
    var path = ""

    init(verb: String, apiGroup: String, resource: String, subresource: String = "", namespace: String = "", name: String = "") {
        self.verb = verb
        isResourceRequest = true
        self.apiGroup = apiGroup
        self.resource = resource
        self.subresource = subresource
        self.namespace = namespace
        self.name = name
    }

    init(nonResourcePath path: String, verb: String) {
        self.verb = verb
        isResourceRequest = false
        self.path = path
    }

    init(_ request: APIRequest) {
        path = request.path
        guard case .resource(let p)? = APIPath(path: request.path) else {
            isResourceRequest = false
            verb = request.method.lowercased()
            return
        }
        isResourceRequest = true
        apiGroup = p.group
        apiVersion = p.version
        resource = p.plural
        subresource = p.subresource ?? ""
        name = p.name ?? ""
        namespace = p.namespace ?? ""
        // The namespace of a namespace is itself.
        if resource == "namespaces", namespace.isEmpty, !name.isEmpty { namespace = name }
        let collection = p.name == nil
        verb = switch request.method {
        case "GET", "HEAD": request.isWatch ? "watch" : (collection ? "list" : "get")
        case "POST": "create"
        case "PUT": "update"
        case "PATCH": "patch"
        case "DELETE": collection ? "deletecollection" : "delete"
        default: request.method.lowercased()
        }
        // A list or watch of one object by name (`fieldSelector=metadata.name=NAME`, the kubelet's per-object
        // reflectors) is authorized as that object, as upstream's RequestInfo names it.
        if collection, verb == "list" || verb == "watch", let name = Self.selectedName(request.query["fieldSelector"]) {
            self.name = name
        }
    }

    /// The name a field selector requires (`metadata.name=NAME` or `==`), when it is a valid path segment (not `.`
    /// or `..`, no `/` or `%`), as upstream's `RequiresExactMatch` and `IsValidPathSegmentName`.
    static func selectedName(_ selector: String?) -> String? {
        guard let selector, !selector.isEmpty, let parsed = try? FieldSelector(parsing: selector),
              let name = parsed.requiredValue(for: "metadata.name") else { return nil }
        guard name != ".", name != "..", !name.contains("/"), !name.contains("%") else { return nil }
        return name
    }
}

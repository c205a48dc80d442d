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
    }
}

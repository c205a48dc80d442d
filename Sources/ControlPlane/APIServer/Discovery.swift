import Foundation
import KubeAPI

/// API discovery: legacy (`/api`, `/apis`, per group-version resource lists) and aggregated v2
/// (`application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`).
struct Discovery: Sendable {
    let registry: ResourceRegistry

    static let aggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

    /// A resource that is a request answered at once, never stored (`AuthEndpoints` serves the reviews, `APIRouter`
    /// the legacy `bindings`): create only, as upstream lists them, so `kubectl create -f` of a TokenReview or
    /// SubjectAccessReview finds them.
    struct RequestResource: Sendable {
        var group: String
        var plural: String
        var kind: String
        var namespaced = false
        let version = "v1"
    }

    static let requestResources: [RequestResource] = [
        RequestResource(group: "", plural: "bindings", kind: "Binding", namespaced: true),
        RequestResource(group: "authentication.k8s.io", plural: "selfsubjectreviews", kind: "SelfSubjectReview"),
        RequestResource(group: "authentication.k8s.io", plural: "tokenreviews", kind: "TokenReview"),
        RequestResource(group: "authorization.k8s.io", plural: "localsubjectaccessreviews", kind: "LocalSubjectAccessReview", namespaced: true),
        RequestResource(group: "authorization.k8s.io", plural: "selfsubjectaccessreviews", kind: "SelfSubjectAccessReview"),
        RequestResource(group: "authorization.k8s.io", plural: "selfsubjectrulesreviews", kind: "SelfSubjectRulesReview"),
        RequestResource(group: "authorization.k8s.io", plural: "subjectaccessreviews", kind: "SubjectAccessReview"),
    ]

    /// The registry's groups followed by those of the request resources.
    private var groups: [(group: String, versions: [String])] {
        var groups = registry.groups
        for resource in Self.requestResources where !groups.contains(where: { $0.group == resource.group }) {
            groups.append((resource.group, [resource.version]))
        }
        return groups
    }

    private func requestResources(group: String, version: String) -> [RequestResource] {
        Self.requestResources.filter { $0.group == group && $0.version == version }
    }

    /// `serviceaccounts/token` (TokenRequest, `kubectl create token`), a request subresource of a stored kind.
    private static func requestSubresource(of plural: String, group: String) -> (name: String, group: String, kind: String)? {
        guard group.isEmpty, plural == "serviceaccounts" else { return nil }
        return ("token", "authentication.k8s.io", "TokenRequest")
    }

    func legacyRoot(_ request: APIRequest) -> APIResponse {
        if request.wantsAggregatedDiscovery { return aggregated(groups: [""]) }
        return .json(["kind": "APIVersions", "versions": ["v1"],
                      "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": ""]]])
    }

    func groupsRoot(_ request: APIRequest) -> APIResponse {
        let groups = groups.filter { !$0.group.isEmpty }
        if request.wantsAggregatedDiscovery { return aggregated(groups: groups.map(\.group)) }
        return .json(["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups.map { groupValue($0.group, $0.versions) })])
    }

    func group(_ name: String) -> APIResponse? {
        guard let entry = groups.first(where: { $0.group == name && !name.isEmpty }) else { return nil }
        var value = groupValue(entry.group, entry.versions)
        value["kind"] = "APIGroup"
        value["apiVersion"] = "v1"
        return .json(value)
    }

    func resourceList(group: String, version: String) -> APIResponse? {
        let handlers = registry.handlers(group: group, version: version)
        let requests = requestResources(group: group, version: version)
        guard !handlers.isEmpty || !requests.isEmpty else { return nil }
        var resources: [JSONValue] = []
        for handler in handlers {
            let info = handler.info
            var entry: JSONValue = ["name": .string(info.plural), "singularName": .string(info.singular),
                                    "namespaced": .bool(info.namespaced), "kind": .string(info.kind),
                                    "verbs": .array(handler.verbs.map { .string($0) })]
            if !info.shortNames.isEmpty { entry["shortNames"] = .array(info.shortNames.map { .string($0) }) }
            if !info.categories.isEmpty { entry["categories"] = .array(info.categories.map { .string($0) }) }
            resources.append(entry)
            for sub in handler.subresources {
                resources.append(subresourceValue(info, sub, group: group, version: version))
            }
            if let sub = Self.requestSubresource(of: info.plural, group: group) {
                resources.append(["name": .string("\(info.plural)/\(sub.name)"), "singularName": "", "namespaced": .bool(info.namespaced),
                                  "group": .string(sub.group), "version": "v1", "kind": .string(sub.kind), "verbs": ["create"]])
            }
        }
        for request in requests {
            resources.append(["name": .string(request.plural), "singularName": .string(request.kind.lowercased()),
                              "namespaced": .bool(request.namespaced), "kind": .string(request.kind), "verbs": ["create"]])
        }
        let gv = group.isEmpty ? version : "\(group)/\(version)"
        return .json(["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(gv), "resources": .array(resources)])
    }

    static let verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    /// The verbs of a subresource, as upstream lists them.
    static func subresourceVerbs(_ sub: String) -> [String] {
        switch sub {
        case "binding", "eviction": ["create"]
        case "finalize": ["update"]
        case "log": ["get"]
        case "attach", "exec", "portforward": ["create", "get"]
        case "proxy": ["create", "delete", "get", "patch", "update"]
        default: ["get", "patch", "update"]
        }
    }

    private func subresourceValue(_ info: ResourceInfo, _ sub: String, group: String, version: String) -> JSONValue {
        switch sub {
        case "scale":
            return ["name": .string("\(info.plural)/scale"), "singularName": "", "namespaced": .bool(info.namespaced),
                    "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"]]
        case "finalize":
            return ["name": .string("\(info.plural)/finalize"), "singularName": "", "namespaced": .bool(info.namespaced),
                    "kind": .string(info.kind), "verbs": .array(Self.subresourceVerbs(sub).map { .string($0) })]
        case "binding":
            return ["name": .string("\(info.plural)/binding"), "singularName": "", "namespaced": .bool(info.namespaced),
                    "kind": "Binding", "verbs": .array(Self.subresourceVerbs(sub).map { .string($0) })]
        case "eviction":
            // kubectl drain looks for group and version here before it evicts (policy/v1).
            return ["name": .string("\(info.plural)/eviction"), "singularName": "", "namespaced": .bool(info.namespaced),
                    "group": "policy", "version": "v1", "kind": "Eviction", "verbs": .array(Self.subresourceVerbs(sub).map { .string($0) })]
        case "log":
            return ["name": .string("\(info.plural)/log"), "singularName": "", "namespaced": .bool(info.namespaced),
                    "kind": "Pod", "verbs": .array(Self.subresourceVerbs(sub).map { .string($0) })]
        case "exec":
            return ["name": .string("\(info.plural)/exec"), "singularName": "", "namespaced": .bool(info.namespaced),
                    "kind": "PodExecOptions", "verbs": .array(Self.subresourceVerbs(sub).map { .string($0) })]
        case "attach":
            return ["name": .string("\(info.plural)/attach"), "singularName": "", "namespaced": .bool(info.namespaced),
                    "kind": "PodAttachOptions", "verbs": .array(Self.subresourceVerbs(sub).map { .string($0) })]
        case "portforward":
            return ["name": .string("\(info.plural)/portforward"), "singularName": "", "namespaced": .bool(info.namespaced),
                    "kind": "PodPortForwardOptions", "verbs": .array(Self.subresourceVerbs(sub).map { .string($0) })]
        case "proxy":
            return ["name": .string("\(info.plural)/proxy"), "singularName": "", "namespaced": .bool(info.namespaced),
                    "kind": .string(Self.proxyOptionsKind(info)), "verbs": .array(Self.subresourceVerbs(sub).map { .string($0) })]
        default:
            return ["name": .string("\(info.plural)/\(sub)"), "singularName": "", "namespaced": .bool(info.namespaced),
                    "kind": .string(info.kind), "verbs": .array(Self.subresourceVerbs(sub).map { .string($0) })]
        }
    }

    /// The options kind a `proxy` subresource names: `NodeProxyOptions`, `PodProxyOptions`, `ServiceProxyOptions`.
    static func proxyOptionsKind(_ info: ResourceInfo) -> String { info.kind + "ProxyOptions" }

    private func groupValue(_ group: String, _ versions: [String]) -> JSONValue {
        let entries: [JSONValue] = versions.map { ["groupVersion": .string("\(group)/\($0)"), "version": .string($0)] }
        return ["name": .string(group), "versions": .array(entries), "preferredVersion": entries[0]]
    }

    /// Aggregated discovery (apidiscovery.k8s.io/v2) for the given groups.
    private func aggregated(groups: [String]) -> APIResponse {
        var items: [JSONValue] = []
        for group in groups {
            guard let entry = self.groups.first(where: { $0.group == group }) else { continue }
            let versions: [JSONValue] = entry.versions.map { version in
                var resources: [JSONValue] = registry.handlers(group: group, version: version).map { handler in
                    let info = handler.info
                    var resource: JSONValue = [
                        "resource": .string(info.plural), "singularResource": .string(info.singular),
                        "scope": .string(info.namespaced ? "Namespaced" : "Cluster"),
                        "responseKind": ["group": .string(group), "version": .string(version), "kind": .string(info.kind)],
                        "verbs": .array(handler.verbs.map { .string($0) }),
                    ]
                    if !info.shortNames.isEmpty { resource["shortNames"] = .array(info.shortNames.map { .string($0) }) }
                    if !info.categories.isEmpty { resource["categories"] = .array(info.categories.map { .string($0) }) }
                    var subs: [JSONValue] = handler.subresources.map { sub in
                        let kind: JSONValue = switch sub {
                        case "scale": ["group": "autoscaling", "version": "v1", "kind": "Scale"]
                        case "binding": ["group": "", "version": "v1", "kind": "Binding"]
                        case "eviction": ["group": "policy", "version": "v1", "kind": "Eviction"]
                        case "proxy": ["group": .string(group), "version": .string(version), "kind": .string(Self.proxyOptionsKind(info))]
                        default: ["group": .string(group), "version": .string(version), "kind": .string(info.kind)]
                        }
                        return ["subresource": .string(sub), "responseKind": kind,
                                "verbs": .array(Self.subresourceVerbs(sub).map { .string($0) })]
                    }
                    if let sub = Self.requestSubresource(of: info.plural, group: group) {
                        subs.append(["subresource": .string(sub.name), "responseKind": ["group": .string(sub.group), "version": "v1", "kind": .string(sub.kind)],
                                     "verbs": ["create"]])
                    }
                    if !subs.isEmpty { resource["subresources"] = .array(subs) }
                    return resource
                }
                for request in requestResources(group: group, version: version) {
                    resources.append(["resource": .string(request.plural), "singularResource": .string(request.kind.lowercased()),
                                      "scope": .string(request.namespaced ? "Namespaced" : "Cluster"),
                                      "responseKind": ["group": .string(group), "version": .string(version), "kind": .string(request.kind)],
                                      "verbs": ["create"]])
                }
                return ["version": .string(version), "resources": .array(resources), "freshness": "Current"]
            }
            items.append(["metadata": ["name": .string(group), "creationTimestamp": .null], "versions": .array(versions)])
        }
        let body: JSONValue = ["kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
                               "metadata": [:], "items": .array(items)]
        return APIResponse(headers: [("Content-Type", Self.aggregatedContentType)], body: .data(body.serialized()))
    }
}

import Foundation
/// A request path under `/api` or `/apis`, split into what it names.
enum APIPath: Equatable {
    /// `/api` or `/apis` (discovery roots).
    case legacyRoot
    case groupsRoot
    /// `/apis/{group}`.
    case group(String)
    /// `/api/v1` or `/apis/{group}/{version}`.
    case groupVersion(group: String, version: String)
    /// A collection, object or subresource.
    case resource(ResourcePath)

    /// Parses a URL path; nil when it is not under `/api` or `/apis`.
    init?(path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map { $0.removingPercentEncoding ?? String($0) }
        guard let root = parts.first else { return nil }
        let group: String
        let version: String
        let rest: ArraySlice<String>
        switch root {
        case "api":
            if parts.count == 1 { self = .legacyRoot; return }
            group = ""
            version = parts[1]
            rest = parts[2...]
        case "apis":
            if parts.count == 1 { self = .groupsRoot; return }
            if parts.count == 2 { self = .group(parts[1]); return }
            group = parts[1]
            version = parts[2]
            rest = parts[3...]
        default:
            return nil
        }
        if rest.isEmpty { self = .groupVersion(group: group, version: version); return }
        var p = ResourcePath(group: group, version: version, namespace: nil, plural: "", name: nil, subresource: nil)
        var segments = Array(rest)
        if segments[0] == "namespaces", segments.count >= 3 {
            // `/namespaces/{ns}/{plural}/…` (two segments would be the namespace object's subresource).
            let isNamespaceSubresource = segments.count == 3 && ["status", "finalize"].contains(segments[2])
            if !isNamespaceSubresource {
                p.namespace = segments[1]
                segments.removeFirst(2)
            }
        }
        if segments.count >= 3, segments[2] == "proxy" {
            // `{plural}/{name}/proxy/{path…}`: the rest is the path on the proxied server, trailing slash kept.
            let rest = segments[3...].joined(separator: "/")
            p.proxyPath = "/" + rest + (!rest.isEmpty && path.hasSuffix("/") ? "/" : "")
        } else {
            guard segments.count <= 3 else { return nil }
        }
        p.plural = segments[0]
        p.name = segments.count > 1 ? segments[1] : nil
        p.subresource = segments.count > 2 ? segments[2] : nil
        self = .resource(p)
    }
}

/// A resource request's target: `pods` in namespace `default`, object `web`, subresource `status`.
struct ResourcePath: Equatable {
    var group: String
    var version: String
    var namespace: String?
    var plural: String
    var name: String?
    var subresource: String?
    /// The path a `proxy` subresource forwards to (`/metrics` of `nodes/n1/proxy/metrics`); nil otherwise.
    var proxyPath: String? = nil
}

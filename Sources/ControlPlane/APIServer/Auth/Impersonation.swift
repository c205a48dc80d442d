import Foundation
import KubeAPI

/// User impersonation (`kubectl --as`, `--as-group`, `--as-uid`): the `Impersonate-User`, `Impersonate-Group`
/// (repeatable), `Impersonate-Uid` and `Impersonate-Extra-<key>` headers, as upstream's impersonation filter reads
/// them. Each requested attribute is authorized separately as verb `impersonate` for the authenticated requester —
/// `users`, `groups` (core group), `serviceaccounts` in their namespace for a `system:serviceaccount:<ns>:<name>`
/// user, `uids` and `userextras/<key>` (`authentication.k8s.io`) — and the request then acts as the impersonated
/// identity, with `system:authenticated` added as upstream adds it.
struct Impersonation: Sendable {
    static let userHeader = "impersonate-user"
    static let groupHeader = "impersonate-group"
    static let uidHeader = "impersonate-uid"
    static let extraPrefix = "impersonate-extra-"

    /// One attribute asked for (upstream builds an `ObjectReference` per header value).
    struct Target: Sendable, Equatable {
        enum Kind: String, Sendable { case user = "User", serviceAccount = "ServiceAccount", group = "Group", extra = "UserExtra", uid = "UID" }
        var kind: Kind
        var namespace = ""
        var name: String
        /// The extra key for `UserExtra` (upstream keeps it in the reference's FieldPath).
        var fieldPath = ""
        var apiVersion = ""

        /// Go's `%v` of the `ObjectReference` (Kind Namespace Name UID APIVersion ResourceVersion FieldPath), as
        /// the "without impersonating a user" error prints the requests.
        var goDescription: String { "{\(kind.rawValue) \(namespace) \(name)  \(apiVersion)  \(fieldPath)}" }

        /// What is authorized for this attribute: verb `impersonate` on its resource.
        var attributes: RequestAttributes {
            switch kind {
            case .user: RequestAttributes(verb: "impersonate", apiGroup: "", resource: "users", name: name)
            case .serviceAccount: RequestAttributes(verb: "impersonate", apiGroup: "", resource: "serviceaccounts", namespace: namespace, name: name)
            case .group: RequestAttributes(verb: "impersonate", apiGroup: "", resource: "groups", name: name)
            case .extra: RequestAttributes(verb: "impersonate", apiGroup: "authentication.k8s.io", resource: "userextras", subresource: fieldPath, name: name)
            case .uid: RequestAttributes(verb: "impersonate", apiGroup: "authentication.k8s.io", resource: "uids", name: name)
            }
        }
    }

    /// The impersonation headers of a request, by lower-case name, every value of a repeated header in order.
    let headers: [String: [String]]

    /// Whether the request asks to impersonate anything.
    var isRequested: Bool { !headers.isEmpty }

    /// The attributes asked for, in upstream's order (user, groups, extras, uid), or the 500 upstream answers when
    /// groups, extras or a UID come without a user.
    func targets() throws(Status) -> [Target] {
        var targets: [Target] = []
        let user = headers[Self.userHeader]?.first ?? ""
        if !user.isEmpty {
            if let (namespace, name) = Self.serviceAccount(user) {
                targets.append(Target(kind: .serviceAccount, namespace: namespace, name: name))
            } else {
                targets.append(Target(kind: .user, name: user))
            }
        }
        let groups = headers[Self.groupHeader] ?? []
        for group in groups { targets.append(Target(kind: .group, name: group)) }
        var hasExtra = false
        for name in headers.keys.sorted() where name.hasPrefix(Self.extraPrefix) {
            hasExtra = true
            let encoded = String(name.dropFirst(Self.extraPrefix.count)).lowercased()
            let key = encoded.removingPercentEncoding ?? encoded
            for value in headers[name] ?? [] {
                targets.append(Target(kind: .extra, name: value, fieldPath: key, apiVersion: "authentication.k8s.io/v1"))
            }
        }
        let uid = headers[Self.uidHeader]?.first ?? ""
        if !uid.isEmpty { targets.append(Target(kind: .uid, name: uid, apiVersion: "authentication.k8s.io/v1")) }
        if (!groups.isEmpty || hasExtra || !uid.isEmpty), user.isEmpty {
            throw Status.internalError("requested [" + targets.map(\.goDescription).joined(separator: " ") + "] without impersonating a user")
        }
        return targets
    }

    /// The identity the request acts as, once every attribute is authorized for `requester`; the 403 naming the
    /// first attribute refused otherwise. nil when nothing is impersonated.
    func resolve(_ requester: Identity, security: Security) async throws(Status) -> Identity? {
        let targets = try targets()
        guard !targets.isEmpty else { return nil }
        let groupsSpecified = !(headers[Self.groupHeader] ?? []).isEmpty
        var identity = Identity(name: "")
        for target in targets {
            switch target.kind {
            case .serviceAccount:
                identity.name = "system:serviceaccount:\(target.namespace):\(target.name)"
                if !groupsSpecified { identity.groups = ["system:serviceaccounts", "system:serviceaccounts:\(target.namespace)"] }
            case .user: identity.name = target.name
            case .group: identity.groups.append(target.name)
            case .extra: identity.extra[target.fieldPath, default: []].append(target.name)
            case .uid: identity.uid = target.name
            }
            let attributes = target.attributes
            let (allowed, reason) = await security.decide(requester, attributes)
            if !allowed { throw Status.forbidden(attributes, user: requester.name, reason: reason) }
        }
        if identity.name != Identity.anonymous.name {
            if !identity.groups.contains(where: { $0 == "system:authenticated" || $0 == "system:unauthenticated" }) {
                identity.groups.append("system:authenticated")
            }
        } else if !identity.groups.contains("system:unauthenticated") {
            identity.groups.append("system:unauthenticated")
        }
        return identity
    }

    /// `(namespace, name)` of a `system:serviceaccount:<namespace>:<name>` user name, as upstream's SplitUsername.
    static func serviceAccount(_ user: String) -> (String, String)? {
        let prefix = "system:serviceaccount:"
        guard user.hasPrefix(prefix) else { return nil }
        let parts = user.dropFirst(prefix.count).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              NameValidation.validate(name: String(parts[0]), rule: .dns1123Label).isEmpty,
              NameValidation.validate(name: String(parts[1]), rule: .dns1123Subdomain).isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }
}

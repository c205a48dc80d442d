import Foundation
import KubeAPI

/// RBAC's escalation prevention, as upstream's policy-based role and binding storage applies it: a user may write a
/// Role or ClusterRole only with rules they already hold (or verb `escalate` on the role resource), and a
/// RoleBinding or ClusterRoleBinding only to a role whose rules they hold (or verb `bind` on that role).
/// `system:masters` is never checked.
struct RBACEscalation: Sendable {
    let security: Security

    private static let group = "rbac.authorization.k8s.io"
    /// What `aggregationRule` needs: everything (upstream's `fullAuthority`).
    private static let fullAuthority = [PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]), PolicyRule(verbs: ["*"], nonResourceURLs: ["*"])]

    /// A Role or ClusterRole write (`resource` `roles` or `clusterroles`) by `user`: the 403 when it grants what
    /// the user does not hold, nil otherwise.
    func checkRole(resource: String, name: String, namespace: String, rules: [PolicyRule], aggregates: Bool, isUpdate: Bool,
                   user: Identity) async -> Status? {
        if user.groups.contains("system:masters") { return nil }
        let escalate = RequestAttributes(verb: "escalate", apiGroup: Self.group, resource: resource, namespace: namespace, name: isUpdate ? name : "")
        if await security.decide(user, escalate).0 { return nil }
        if let problem = missing(rules, user: user, namespace: namespace) {
            return Self.forbidden(resource, name: name, problem)
        }
        if aggregates, missing(Self.fullAuthority, user: user, namespace: namespace) != nil {
            return Self.forbidden(resource, name: name, "must have cluster-admin privileges to use the aggregationRule")
        }
        return nil
    }

    /// A RoleBinding or ClusterRoleBinding write (`namespace` empty for the latter): allowed with verb `bind` on
    /// the referenced role or when the user holds all its rules; a missing role is upstream's 404.
    func checkBinding(resource: String, name: String, namespace: String, roleRef: RoleRef, user: Identity) async -> Status? {
        if user.groups.contains("system:masters") { return nil }
        let roleResource: String
        switch roleRef.kind {
        case "ClusterRole": roleResource = "clusterroles"
        case "Role": roleResource = "roles"
        default: return nil  // validation rejects it
        }
        let bind = RequestAttributes(verb: "bind", apiGroup: roleRef.apiGroup, resource: roleResource, namespace: namespace, name: roleRef.name)
        if await security.decide(user, bind).0 { return nil }
        guard let rules = security.rbac.roleReferenceRules(roleRef, namespace: namespace) else {
            return Status.notFound(roleRef.kind == "Role" ? Role.resource : ClusterRole.resource, name: roleRef.name)
        }
        if let problem = missing(rules, user: user, namespace: namespace) { return Self.forbidden(resource, name: name, problem) }
        return nil
    }

    /// Upstream's ConfirmNoEscalation: nil when the user's rules cover `rules`, else the message listing what is missing.
    func missing(_ rules: [PolicyRule], user: Identity, namespace: String) -> String? {
        let owned = security.rbac.rules(for: user, namespace: namespace)
        let uncovered = Self.uncovered(owned: owned, requested: rules)
        guard !uncovered.isEmpty else { return nil }
        let descriptions = Set(Self.compact(uncovered).map(Self.compactString)).sorted()
        return "user \(GoQuoted.string(user.name)) (groups=\(Self.goStrings(user.groups))) is attempting to grant RBAC permissions not currently held:\n"
            + descriptions.joined(separator: "\n")
    }

    static func forbidden(_ resource: String, name: String, _ message: String) -> Status {
        Status(message: "\(resource).\(group) \(GoQuoted.string(name)) is forbidden: \(message)", reason: "Forbidden",
               details: StatusDetails(name: name, group: group, kind: resource), code: 403)
    }

    // MARK: Rule comparison (upstream's policy_comparator.go and policy_compact.go)

    /// The requested rules broken down to one verb on one resource (or URL) each, that no owned rule covers.
    static func uncovered(owned: [PolicyRule], requested: [PolicyRule]) -> [PolicyRule] {
        requested.flatMap(breakdown).filter { sub in !owned.contains { covers($0, sub) } }
    }

    static func breakdown(_ rule: PolicyRule) -> [PolicyRule] {
        var rules: [PolicyRule] = []
        for group in rule.apiGroups ?? [] {
            for resource in rule.resources ?? [] {
                for verb in rule.verbs {
                    let names = rule.resourceNames ?? []
                    if names.isEmpty {
                        rules.append(PolicyRule(verbs: [verb], apiGroups: [group], resources: [resource]))
                    } else {
                        for name in names { rules.append(PolicyRule(verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name])) }
                    }
                }
            }
        }
        for url in rule.nonResourceURLs ?? [] {
            for verb in rule.verbs { rules.append(PolicyRule(verbs: [verb], nonResourceURLs: [url])) }
        }
        return rules
    }

    /// Whether `owner` covers `sub` (at most one verb, resource, name or URL).
    static func covers(_ owner: PolicyRule, _ sub: PolicyRule) -> Bool {
        func hasAll(_ set: [String], _ items: [String]) -> Bool { items.allSatisfy(set.contains) }
        let verbs = owner.verbs.contains("*") || hasAll(owner.verbs, sub.verbs)
        let ownerGroups = owner.apiGroups ?? []
        let groups = ownerGroups.contains("*") || hasAll(ownerGroups, sub.apiGroups ?? [])
        let ownerResources = owner.resources ?? []
        let resources = ownerResources.contains("*") || hasAll(ownerResources, sub.resources ?? []) || (sub.resources ?? []).allSatisfy { path in
            if ownerResources.contains(path) { return true }
            guard let slash = path.firstIndex(of: "/") else { return false }
            return ownerResources.contains("*" + path[slash...])
        }
        let urls = (sub.nonResourceURLs ?? []).allSatisfy { path in
            (owner.nonResourceURLs ?? []).contains { $0 == path || ($0.hasSuffix("*") && path.hasPrefix(String($0.trimmingSuffix("*")))) }
        }
        let ownerNames = owner.resourceNames ?? [], subNames = sub.resourceNames ?? []
        let names = subNames.isEmpty ? ownerNames.isEmpty : (ownerNames.isEmpty || hasAll(ownerNames, subNames))
        return verbs && groups && resources && names && urls
    }

    /// Merges rules that differ only by verb (one group, one resource, at most one name, nothing else), keeping the
    /// rest as they are.
    static func compact(_ rules: [PolicyRule]) -> [PolicyRule] {
        var compacted: [PolicyRule] = []
        var simple: [String: PolicyRule] = [:]
        var order: [String] = []
        for rule in rules {
            let names = rule.resourceNames ?? []
            guard names.count <= 1, (rule.nonResourceURLs ?? []).isEmpty, rule.apiGroups?.count == 1, rule.resources?.count == 1 else {
                compacted.append(rule)
                continue
            }
            let key = "\(rule.apiGroups![0])\u{0}\(rule.resources![0])\u{0}\(names.first.map { "1\($0)" } ?? "0")"
            if var existing = simple[key] {
                for verb in rule.verbs where !existing.verbs.contains(verb) { existing.verbs.append(verb) }
                simple[key] = existing
            } else {
                simple[key] = rule
                order.append(key)
            }
        }
        return compacted + order.compactMap { simple[$0] }
    }

    /// `{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}`, upstream's CompactString.
    static func compactString(_ rule: PolicyRule) -> String {
        var parts: [String] = []
        if let groups = rule.apiGroups, !groups.isEmpty { parts.append("APIGroups:\(goStrings(groups))") }
        if let resources = rule.resources, !resources.isEmpty { parts.append("Resources:\(goStrings(resources))") }
        if let urls = rule.nonResourceURLs, !urls.isEmpty { parts.append("NonResourceURLs:\(goStrings(urls))") }
        if let names = rule.resourceNames, !names.isEmpty { parts.append("ResourceNames:\(goStrings(names))") }
        if !rule.verbs.isEmpty { parts.append("Verbs:\(goStrings(rule.verbs))") }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    /// Go's `%q` of a `[]string`: `["a" "b"]`.
    static func goStrings(_ values: [String]) -> String {
        "[" + values.map(GoQuoted.string).joined(separator: " ") + "]"
    }

    /// Upstream's IsOnlyMutatingGCFields: whether an update changes nothing but owner references and finalizers
    /// (then it is not checked, so the garbage collector can always finish a deletion).
    static func onlyGCFields<T: KubeObject>(_ object: T, old: T) -> Bool {
        var copy = object
        copy.metadata.ownerReferences = old.metadata.ownerReferences
        copy.metadata.finalizers = old.metadata.finalizers
        copy.metadata.selfLink = old.metadata.selfLink
        copy.metadata.managedFields = old.metadata.managedFields
        copy.metadata.resourceVersion = old.metadata.resourceVersion
        return copy == old
    }
}

private extension String {
    func trimmingSuffix(_ character: Character) -> Substring {
        var s = Substring(self)
        while s.last == character { s = s.dropLast() }
        return s
    }
}

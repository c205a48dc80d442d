import Foundation
import KubeAPI
import Logging
import ServiceLifecycle
import Store
import Synchronization

/// RBAC: a request is allowed when a rule of a role bound to its user, one of its groups or its ServiceAccount
/// covers it — ClusterRoleBindings everywhere, RoleBindings in their namespace. The roles and bindings are kept in
/// memory from a watch on the store (a `StoreFollower`), so a check costs no I/O; ClusterRoles with an
/// `aggregationRule` get the rules of every ClusterRole their selectors match, written back into the role as
/// upstream's clusterrole-aggregation controller does.
final class RBACAuthorizer: Sendable {
    struct Snapshot: Sendable {
        var roles: [String: Role] = [:]
        var clusterRoles: [String: ClusterRole] = [:]
        var roleBindings: [String: RoleBinding] = [:]
        var clusterRoleBindings: [String: ClusterRoleBinding] = [:]
    }

    static let prefix = "/registry/rbac.authorization.k8s.io/"
    private let state = Mutex(Snapshot())
    let store: any Store
    let logger: Logger
    let follower: StoreFollower

    init(store: any Store, logger: Logger) {
        self.store = store
        self.logger = logger
        follower = StoreFollower(store: store, prefix: Self.prefix, logger: logger)
    }

    /// Lists every role and binding.
    func load() async throws {
        try await follower.load(handlers)
    }

    /// A listing replaces the snapshot; each event changes it, and a change of a ClusterRole (or a new watch, which
    /// may follow changes missed) re-runs aggregation.
    private var handlers: StoreFollower.Handlers {
        StoreFollower.Handlers(
            reset: { [weak self] items, _ in
                var snapshot = Snapshot()
                for kv in items { Self.apply(kv.key, kv.value, deleted: false, to: &snapshot) }
                self?.state.withLock { $0 = snapshot }
            },
            apply: { [weak self] event in
                guard let self else { return }
                state.withLock { Self.apply(event.current.key, event.current.value, deleted: event.kind == .delete, to: &$0) }
                if event.current.key.hasPrefix(Self.prefix + "clusterroles/") { try await aggregate() }
            },
            watching: { [weak self] in try await self?.aggregate() })
    }

    private static func apply(_ key: String, _ value: Data, deleted: Bool, to snapshot: inout Snapshot) {
        let rest = key.dropFirst(prefix.count)
        let parts = rest.split(separator: "/", maxSplits: 1)
        guard parts.count == 2 else { return }
        let id = String(parts[1])
        switch parts[0] {
        case "roles": snapshot.roles[id] = deleted ? nil : try? KubeJSON.decode(Role.self, from: value)
        case "clusterroles": snapshot.clusterRoles[id] = deleted ? nil : try? KubeJSON.decode(ClusterRole.self, from: value)
        case "rolebindings": snapshot.roleBindings[id] = deleted ? nil : try? KubeJSON.decode(RoleBinding.self, from: value)
        case "clusterrolebindings": snapshot.clusterRoleBindings[id] = deleted ? nil : try? KubeJSON.decode(ClusterRoleBinding.self, from: value)
        default: break
        }
    }

    /// Follows the store until cancelled, re-listing after a compaction or a broken watch.
    func follow() async {
        await follower.follow(handlers)
    }

    // MARK: Aggregation

    /// Writes the aggregated rules into each ClusterRole with an `aggregationRule` whose stored rules differ.
    func aggregate() async throws {
        let roles = state.withLock { $0.clusterRoles }
        for (name, role) in roles where role.aggregationRule != nil {
            let rules = Self.aggregatedRules(of: role, in: roles)
            guard rules != (role.rules ?? []) else { continue }
            let key = StoredObject.key(ClusterRole.resource, namespace: nil, name: name)
            guard let kv = try await store.get(key: key), var stored = try? KubeJSON.decode(ClusterRole.self, from: kv.value) else { continue }
            stored.rules = rules
            do {
                _ = try await store.update(key: key, value: try StoredObject.encode(stored), expectedRevision: kv.modRevision)
                logger.debug("aggregated cluster role", metadata: ["name": "\(name)", "rules": "\(rules.count)"])
            } catch StoreError.conflict {
                // Changed meanwhile: the watch brings the new version and another pass.
            }
        }
    }

    /// The rules of every ClusterRole the selectors match (by their stored rules, as upstream's controller reads
    /// them), de-duplicated in a stable order.
    static func aggregatedRules(of role: ClusterRole, in roles: [String: ClusterRole]) -> [PolicyRule] {
        var rules: [PolicyRule] = []
        let selectors = (role.aggregationRule?.clusterRoleSelectors ?? []).compactMap { try? LabelSelectorExpression($0) }
        for name in roles.keys.sorted() where name != role.metadata.name {
            let labels = roles[name]?.metadata.labels ?? [:]
            guard selectors.contains(where: { $0.matches(labels) }) else { continue }
            for rule in roles[name]?.rules ?? [] where !rules.contains(rule) { rules.append(rule) }
        }
        return rules
    }

    // MARK: Decisions

    /// Whether RBAC allows the request, and the binding that did as the reason.
    func authorize(_ identity: Identity, _ attributes: RequestAttributes) -> (allowed: Bool, reason: String) {
        let snapshot = state.withLock { $0 }
        for binding in snapshot.clusterRoleBindings.values where Self.covers(binding.subjects ?? [], identity, bindingNamespace: "") {
            guard binding.roleRef.kind == "ClusterRole", let role = snapshot.clusterRoles[binding.roleRef.name] else { continue }
            if (role.rules ?? []).contains(where: { Self.allows($0, attributes) }) {
                return (true, "RBAC: allowed by ClusterRoleBinding \"\(binding.metadata.name ?? "")\" of ClusterRole \"\(role.metadata.name ?? "")\" to \(identity.name)")
            }
        }
        guard attributes.isResourceRequest, !attributes.namespace.isEmpty else { return (false, "") }
        for binding in snapshot.roleBindings.values where binding.metadata.namespace == attributes.namespace {
            guard Self.covers(binding.subjects ?? [], identity, bindingNamespace: attributes.namespace) else { continue }
            let rules: [PolicyRule]
            switch binding.roleRef.kind {
            case "Role": rules = snapshot.roles["\(attributes.namespace)/\(binding.roleRef.name)"]?.rules ?? []
            case "ClusterRole": rules = snapshot.clusterRoles[binding.roleRef.name]?.rules ?? []
            default: rules = []
            }
            if rules.contains(where: { Self.allows($0, attributes) }) {
                return (true, "RBAC: allowed by RoleBinding \"\(binding.metadata.name ?? "")/\(attributes.namespace)\" of \(binding.roleRef.kind) \"\(binding.roleRef.name)\" to \(identity.name)")
            }
        }
        return (false, "")
    }

    /// Every rule RBAC grants the user in `namespace` (cluster-wide rules only when it is empty), as upstream's
    /// rule resolver answers for escalation checks.
    func rules(for identity: Identity, namespace: String) -> [PolicyRule] {
        let snapshot = state.withLock { $0 }
        var rules: [PolicyRule] = []
        for binding in snapshot.clusterRoleBindings.values where Self.covers(binding.subjects ?? [], identity, bindingNamespace: "") {
            guard binding.roleRef.kind == "ClusterRole" else { continue }
            rules += snapshot.clusterRoles[binding.roleRef.name]?.rules ?? []
        }
        guard !namespace.isEmpty else { return rules }
        for binding in snapshot.roleBindings.values where binding.metadata.namespace == namespace {
            guard Self.covers(binding.subjects ?? [], identity, bindingNamespace: namespace) else { continue }
            rules += Self.referenced(binding.roleRef, namespace: namespace, in: snapshot) ?? []
        }
        return rules
    }

    /// The rules of the role a binding in `namespace` refers to; nil when it does not exist.
    func roleReferenceRules(_ ref: RoleRef, namespace: String) -> [PolicyRule]? {
        Self.referenced(ref, namespace: namespace, in: state.withLock { $0 })
    }

    private static func referenced(_ ref: RoleRef, namespace: String, in snapshot: Snapshot) -> [PolicyRule]? {
        switch ref.kind {
        case "Role": snapshot.roles["\(namespace)/\(ref.name)"].map { $0.rules ?? [] }
        case "ClusterRole": snapshot.clusterRoles[ref.name].map { $0.rules ?? [] }
        default: nil
        }
    }

    static func covers(_ subjects: [Subject], _ identity: Identity, bindingNamespace: String) -> Bool {
        subjects.contains { subject in
            switch subject.kind {
            case "User": subject.name == identity.name
            case "Group": identity.groups.contains(subject.name)
            case "ServiceAccount":
                identity.name == "system:serviceaccount:\(subject.namespace ?? bindingNamespace):\(subject.name)"
            default: false
            }
        }
    }

    static func allows(_ rule: PolicyRule, _ a: RequestAttributes) -> Bool {
        guard rule.verbs.contains("*") || rule.verbs.contains(a.verb) else { return false }
        guard a.isResourceRequest else {
            return (rule.nonResourceURLs ?? []).contains { url in
                url == "*" || url == a.path || (url.hasSuffix("*") && a.path.hasPrefix(String(url.dropLast())))
            }
        }
        let groups = rule.apiGroups ?? []
        guard groups.contains("*") || groups.contains(a.apiGroup) else { return false }
        let resources = rule.resources ?? []
        let combined = a.subresource.isEmpty ? a.resource : "\(a.resource)/\(a.subresource)"
        guard resources.contains(where: { $0 == "*" || $0 == combined || (!a.subresource.isEmpty && $0 == "*/\(a.subresource)") }) else {
            return false
        }
        let names = rule.resourceNames ?? []
        return names.isEmpty || names.contains(a.name)
    }
}

/// Keeps the RBAC cache following the store while the server runs.
struct RBACFollower: ServiceLifecycle.Service {
    let authorizer: RBACAuthorizer

    func run() async throws {
        await cancelWhenGracefulShutdown { await authorizer.follow() }
    }
}

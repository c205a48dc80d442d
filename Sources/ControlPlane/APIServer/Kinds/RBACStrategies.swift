import Foundation
import KubeAPI

/// Roles and ClusterRoles print NAME and CREATED AT (upstream's default); bindings print their role and, wide,
/// their subjects. A binding's `roleRef` must name a Role or ClusterRole and never changes (upstream: delete and
/// recreate the binding instead).
/// Writes of roles and bindings are checked for escalation (`RBACEscalation`) before validation, as upstream's
/// policy-based storage does; an update touching only owner references and finalizers is not.
struct RoleStrategy: ResourceStrategy {
    typealias Object = Role
    func validate(_ role: Role, old: Role?) -> [StatusCause] { RBACValidation.rules(role.rules ?? []) }
    func authorizeWrite(_ role: Role, old: Role?, namespace: String, user: Identity, security: Security) async throws {
        if let old, RBACEscalation.onlyGCFields(role, old: old) { return }
        if let refusal = await RBACEscalation(security: security).checkRole(
            resource: "roles", name: role.metadata.name ?? "", namespace: namespace, rules: role.rules ?? [], aggregates: false,
            isUpdate: old != nil, user: user) { throw refusal }
    }
}

struct ClusterRoleStrategy: ResourceStrategy {
    typealias Object = ClusterRole
    func validate(_ role: ClusterRole, old: ClusterRole?) -> [StatusCause] { RBACValidation.rules(role.rules ?? [], clusterScoped: true) }
    func authorizeWrite(_ role: ClusterRole, old: ClusterRole?, namespace: String, user: Identity, security: Security) async throws {
        if let old, RBACEscalation.onlyGCFields(role, old: old) { return }
        if let refusal = await RBACEscalation(security: security).checkRole(
            resource: "clusterroles", name: role.metadata.name ?? "", namespace: "", rules: role.rules ?? [],
            aggregates: role.aggregationRule != nil, isUpdate: old != nil, user: user) { throw refusal }
    }
}

struct RoleBindingStrategy: ResourceStrategy {
    typealias Object = RoleBinding
    func validate(_ binding: RoleBinding, old: RoleBinding?) -> [StatusCause] {
        RBACValidation.binding(roleRef: binding.roleRef, oldRoleRef: old?.roleRef, subjects: binding.subjects ?? [], kinds: ["Role", "ClusterRole"])
    }
    func authorizeWrite(_ binding: RoleBinding, old: RoleBinding?, namespace: String, user: Identity, security: Security) async throws {
        if let old, RBACEscalation.onlyGCFields(binding, old: old) { return }
        if let refusal = await RBACEscalation(security: security).checkBinding(
            resource: "rolebindings", name: binding.metadata.name ?? "", namespace: namespace, roleRef: binding.roleRef, user: user) { throw refusal }
    }
    var table: TableConverter<RoleBinding> { Printers.binding { ($0.roleRef, $0.subjects ?? []) } }
}

struct ClusterRoleBindingStrategy: ResourceStrategy {
    typealias Object = ClusterRoleBinding
    func validate(_ binding: ClusterRoleBinding, old: ClusterRoleBinding?) -> [StatusCause] {
        RBACValidation.binding(roleRef: binding.roleRef, oldRoleRef: old?.roleRef, subjects: binding.subjects ?? [], kinds: ["ClusterRole"])
    }
    func authorizeWrite(_ binding: ClusterRoleBinding, old: ClusterRoleBinding?, namespace: String, user: Identity, security: Security) async throws {
        if let old, RBACEscalation.onlyGCFields(binding, old: old) { return }
        if let refusal = await RBACEscalation(security: security).checkBinding(
            resource: "clusterrolebindings", name: binding.metadata.name ?? "", namespace: "", roleRef: binding.roleRef, user: user) { throw refusal }
    }
    var table: TableConverter<ClusterRoleBinding> { Printers.binding { ($0.roleRef, $0.subjects ?? []) } }
}

/// Upstream's RBAC validation messages.
enum RBACValidation {
    static func rules(_ rules: [PolicyRule], clusterScoped: Bool = false) -> [StatusCause] {
        var causes: [StatusCause] = []
        for (i, rule) in rules.enumerated() {
            if rule.verbs.isEmpty {
                causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: verbs must contain at least one value",
                                          field: "rules[\(i)].verbs"))
            }
            let nonResource = !(rule.nonResourceURLs ?? []).isEmpty
            if nonResource, !clusterScoped {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: namespaced rules cannot apply to non-resource URLs",
                                          field: "rules[\(i)].nonResourceURLs"))
            }
            if !nonResource, (rule.apiGroups ?? []).isEmpty {
                causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: resource rules must supply at least one api group",
                                          field: "rules[\(i)].apiGroups"))
            }
        }
        return causes
    }

    static func binding(roleRef: RoleRef, oldRoleRef: RoleRef?, subjects: [Subject], kinds: [String]) -> [StatusCause] {
        var causes: [StatusCause] = []
        if let oldRoleRef, oldRoleRef != roleRef {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(GoQuoted.struct(roleRef)): cannot change roleRef", field: "roleRef"))
        }
        if roleRef.name.isEmpty { causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "roleRef.name")) }
        if !kinds.contains(roleRef.kind) {
            causes.append(StatusCause(reason: "FieldValueNotSupported",
                                      message: "Unsupported value: \"\(roleRef.kind)\": supported values: " + kinds.map { "\"\($0)\"" }.joined(separator: ", "),
                                      field: "roleRef.kind"))
        }
        for (i, subject) in subjects.enumerated() where !["User", "Group", "ServiceAccount"].contains(subject.kind) {
            causes.append(StatusCause(reason: "FieldValueNotSupported",
                                      message: "Unsupported value: \"\(subject.kind)\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
                                      field: "subjects[\(i)].kind"))
        }
        for (i, subject) in subjects.enumerated() where subject.name.isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "subjects[\(i)].name"))
        }
        return causes
    }
}

extension GoQuoted {
    /// Go's `%#v`-ish rendering of a RoleRef, as upstream's "cannot change roleRef" message prints it.
    static func `struct`(_ ref: RoleRef) -> String {
        "rbac.RoleRef{APIGroup:\"\(ref.apiGroup)\", Kind:\"\(ref.kind)\", Name:\"\(ref.name)\"}"
    }
}

extension Printers {
    /// RoleBinding / ClusterRoleBinding: NAME, ROLE (`ClusterRole/view`), AGE; wide: USERS, GROUPS, SERVICEACCOUNTS.
    static func binding<B: KubeObject>(_ parts: @escaping @Sendable (B) -> (RoleRef, [Subject])) -> TableConverter<B> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Role", type: "string", description: "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace."),
            .init(name: "Age", type: "string", description: ageDescription),
            .init(name: "Users", type: "string", description: "Users in the binding", priority: 1),
            .init(name: "Groups", type: "string", description: "Groups in the binding", priority: 1),
            .init(name: "ServiceAccounts", type: "string", description: "ServiceAccounts in the binding", priority: 1),
        ]) { binding, now in
            let (roleRef, subjects) = parts(binding)
            let names = { (kind: String) in
                subjects.filter { $0.kind == kind }.map { kind == "ServiceAccount" ? "\($0.namespace ?? "")/\($0.name)" : $0.name }.joined(separator: ", ")
            }
            return [.string(binding.metadata.name ?? ""), .string("\(roleRef.kind)/\(roleRef.name)"),
                    ageCell(binding.metadata.creationTimestamp, now: now),
                    .string(names("User")), .string(names("Group")), .string(names("ServiceAccount"))]
        }
    }
}

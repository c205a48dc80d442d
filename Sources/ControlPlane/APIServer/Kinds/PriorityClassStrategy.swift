import Foundation
import KubeAPI
import Store

/// scheduling.k8s.io/v1 PriorityClasses, as upstream's registry and Priority admission plugin treat them:
/// `preemptionPolicy` defaults to `PreemptLowerPriority`; `value` and `preemptionPolicy` are immutable; names
/// starting `system-` are reserved for the built-in classes (which keep their values and cannot be deleted);
/// user classes go up to 1,000,000,000; and only one class may be the `globalDefault`.
struct PriorityClassStrategy: ResourceStrategy {
    typealias Object = PriorityClass
    static let systemPrefix = "system-"
    static let policies = ["Never", "PreemptLowerPriority"]

    func prepareForCreate(_ priorityClass: inout PriorityClass, context: AdmissionContext) async throws {
        if priorityClass.preemptionPolicy == nil { priorityClass.preemptionPolicy = "PreemptLowerPriority" }
        try await rejectSecondDefault(priorityClass, context: context)
    }

    func prepareForUpdate(_ priorityClass: inout PriorityClass, old: PriorityClass, context: AdmissionContext) async throws {
        if priorityClass.preemptionPolicy == nil { priorityClass.preemptionPolicy = old.preemptionPolicy ?? "PreemptLowerPriority" }
        try await rejectSecondDefault(priorityClass, context: context)
    }

    /// The Priority admission plugin's check: `PriorityClass <other> is marked as default. Only one default can exist`.
    private func rejectSecondDefault(_ priorityClass: PriorityClass, context: AdmissionContext) async throws {
        guard priorityClass.globalDefault == true, let priorities = context.priorities else { return }
        let name = priorityClass.metadata.name ?? ""
        if let other = try await priorities.all().first(where: { $0.globalDefault == true && $0.metadata.name != name }) {
            throw Status.forbidden(PriorityClass.resource, name: name,
                                   "PriorityClass \(other.metadata.name ?? "") is marked as default. Only one default can exist")
        }
    }

    func validate(_ priorityClass: PriorityClass, old: PriorityClass?) -> [StatusCause] {
        var causes: [StatusCause] = []
        let name = priorityClass.metadata.name ?? ""
        if name.hasPrefix(Self.systemPrefix) {
            if let error = Self.systemClassError(priorityClass) {
                causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: priority class names with '\(Self.systemPrefix)' prefix are reserved for system use only. error: \(error)", field: "metadata.name"))
            }
        } else if priorityClass.value > PriorityClass.highestUserDefinablePriority {
            causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: maximum allowed value of a user defined priority is \(PriorityClass.highestUserDefinablePriority)", field: "value"))
        }
        if let policy = priorityClass.preemptionPolicy, !Self.policies.contains(policy) {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(policy)\": supported values: \"Never\", \"PreemptLowerPriority\"", field: "preemptionPolicy"))
        }
        if let old {
            if old.value != priorityClass.value {
                causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: may not be changed in an update.", field: "value"))
            }
            if old.preemptionPolicy != priorityClass.preemptionPolicy {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(priorityClass.preemptionPolicy ?? "")\": field is immutable", field: "preemptionPolicy"))
            }
        }
        return causes
    }

    /// Upstream's `IsKnownSystemPriorityClass`: nil when the class is one of the built-in ones, unchanged.
    static func systemClassError(_ priorityClass: PriorityClass) -> String? {
        let name = priorityClass.metadata.name ?? ""
        guard let system = PriorityClass.systemClasses.first(where: { $0.metadata.name == name }) else {
            return "\(name) is not a known system priority class"
        }
        if system.value != priorityClass.value { return "value of \(name) PriorityClass must be \(system.value)" }
        if (system.globalDefault ?? false) != (priorityClass.globalDefault ?? false) {
            return "globalDefault of \(name) PriorityClass must be \(system.globalDefault ?? false)"
        }
        return nil
    }

    func validateDelete(_ priorityClass: PriorityClass) throws {
        let name = priorityClass.metadata.name ?? ""
        if PriorityClass.systemClasses.contains(where: { $0.metadata.name == name }) {
            throw Status.forbidden(PriorityClass.resource, name: name, "this is a system priority class and cannot be deleted")
        }
    }

    var table: TableConverter<PriorityClass> { Printers.priorityClass }
}

extension Printers {
    /// NAME, VALUE, GLOBAL-DEFAULT, AGE, PREEMPTIONPOLICY.
    static var priorityClass: TableConverter<PriorityClass> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Value", type: "integer", description: "value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec."),
            .init(name: "Global-Default", type: "boolean", description: "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`."),
            .init(name: "Age", type: "string", description: ageDescription),
            .init(name: "PreemptionPolicy", type: "string", description: "preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset."),
        ]) { priorityClass, now in
            [.string(priorityClass.metadata.name ?? ""), .int(Int64(priorityClass.value)), .bool(priorityClass.globalDefault ?? false),
             ageCell(priorityClass.metadata.creationTimestamp, now: now), .string(priorityClass.preemptionPolicy ?? "")]
        }
    }
}

/// The Priority admission plugin for pods and its reads of the PriorityClasses (straight from the store: there are
/// a handful of them), decoded without their managedFields, which admission never reads: every pod create looks at them.
struct PriorityAdmission: Sendable {
    let store: any Store

    func get(_ name: String) async throws -> PriorityClass? {
        guard let kv = try await store.get(key: StoredObject.key(PriorityClass.resource, namespace: nil, name: name)) else { return nil }
        return try KubeJSON.decode(PriorityClass.self, from: kv.value, omittingManagedFields: true)
    }

    func all() async throws -> [PriorityClass] { try await StoredObject.all(PriorityClass.self, in: store) }

    /// Resolves a new pod's `priorityClassName` (or the global default; the lowest-valued one if several) to
    /// `spec.priority` and `spec.preemptionPolicy`, refusing a pod that names an unknown class or sets a priority
    /// or policy different from its class's.
    func admit(_ pod: inout Pod) async throws {
        var spec = pod.spec ?? PodSpec()
        let name = pod.metadata.name ?? ""
        let priority: Int32
        var policy: String?
        if let className = spec.priorityClassName, !className.isEmpty {
            guard let priorityClass = try await get(className) else {
                throw Status.forbidden(Pod.resource, name: name, "no PriorityClass with name \(className) was found")
            }
            priority = priorityClass.value
            policy = priorityClass.preemptionPolicy
        } else if let fallback = try await all().filter({ $0.globalDefault == true }).min(by: { $0.value < $1.value }) {
            spec.priorityClassName = fallback.metadata.name
            priority = fallback.value
            policy = fallback.preemptionPolicy
        } else {
            priority = 0
            policy = "PreemptLowerPriority"
        }
        if let given = spec.priority, given != priority {
            throw Status.forbidden(Pod.resource, name: name, "the integer value of priority (\(given)) must not be provided in pod spec; priority admission controller computed \(priority) from the given PriorityClass name")
        }
        spec.priority = priority
        if let policy {
            if let given = spec.preemptionPolicy, given != policy {
                throw Status.forbidden(Pod.resource, name: name, "the string value of PreemptionPolicy (\(given)) must not be provided in pod spec; priority admission controller computed \(policy) from the given PriorityClass name")
            }
            spec.preemptionPolicy = policy
        }
        pod.spec = spec
    }
}

extension Status {
    /// 403 as upstream's `NewForbidden`: `pods "x" is forbidden: <reason>`.
    static func forbidden(_ resource: ResourceInfo, name: String, _ reason: String) -> Status {
        let qualified = resource.group.isEmpty ? resource.plural : "\(resource.plural).\(resource.group)"
        return Status(message: "\(qualified) \"\(name)\" is forbidden: \(reason)", reason: "Forbidden",
                      details: StatusDetails(name: name, group: resource.group, kind: resource.plural), code: 403)
    }
}

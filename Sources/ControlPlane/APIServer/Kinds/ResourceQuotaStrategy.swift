import Foundation
import KubeAPI

extension ResourceQuota: StatusCarrying {}

/// core/v1 ResourceQuotas: a status subresource (reset on create) that the resource quota controller and the quota
/// admission plugin write, upstream's `ValidateResourceQuota`, and `kubectl get quota`'s REQUEST and LIMIT columns.
struct ResourceQuotaStrategy: ResourceStrategy {
    typealias Object = ResourceQuota

    func prepareForCreate(_ quota: inout ResourceQuota, context: AdmissionContext) async throws {
        quota.status = ResourceQuotaStatus()
    }

    /// Scopes upstream allows per quota resource (`IsResourceQuotaScopeValidForResource`).
    static let podQuotaResources: Set<String> = QuotaUsage.podComputeResources.union(["pods"])

    static func scope(_ scope: String, validFor resource: String) -> Bool {
        switch scope {
        case "Terminating", "NotTerminating", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity":
            return podQuotaResources.contains(resource)
        case "BestEffort":
            return resource == "pods"
        case "VolumeAttributesClass":
            return ["persistentvolumeclaims", "requests.storage"].contains(resource)
        default:
            return false
        }
    }

    /// Upstream's `ValidateResourceQuota` (spec and status alike).
    func validate(_ quota: ResourceQuota, old: ResourceQuota?) -> [StatusCause] {
        var causes: [StatusCause] = []
        func invalid(_ field: String, _ value: String, _ message: String) {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(value): \(message)", field: field))
        }
        let spec = quota.spec ?? ResourceQuotaSpec()
        let lists = [("spec.hard", spec.hard ?? [:]), ("status.hard", quota.status?.hard ?? [:]), ("status.used", quota.status?.used ?? [:])]
        for (path, list) in lists {
            for name in list.keys.sorted() {
                let field = "\(path)[\(name)]"
                for message in ResourceNames.quotaNameErrors(name) { invalid(field, "\"\(name)\"", message) }
                let amount = list[name]!
                if amount.sign < 0 { invalid(field, "\"\(amount)\"", "must be greater than or equal to 0") }
                if Self.isIntegerResource(name), amount.milliValue % 1000 != 0 { invalid(field, "\"\(amount)\"", "must be an integer") }
            }
        }
        let hard = Set((spec.hard ?? [:]).keys)
        let conflicting = [Set(["BestEffort", "NotBestEffort"]), Set(["Terminating", "NotTerminating"])]
        if let scopes = spec.scopes, !scopes.isEmpty {
            let shown = "[" + scopes.map { "\"\($0)\"" }.joined(separator: ",") + "]"
            for scope in scopes {
                if !QuotaUsage.scopes.contains(scope) { invalid("spec.scopes", shown, "unsupported scope") }
                for resource in hard.sorted() where ResourceNames.isStandardQuota(resource) && !Self.scope(scope, validFor: resource) {
                    invalid("spec.scopes", shown, "unsupported scope applied to resource")
                }
            }
            if conflicting.contains(where: { $0.isSubset(of: Set(scopes)) }) { invalid("spec.scopes", shown, "conflicting scopes") }
        }
        if let expressions = spec.scopeSelector?.matchExpressions {
            let path = "spec.scopeSelector.matchExpressions"
            let shown = "{\"matchExpressions\":[…]}"
            for requirement in expressions {
                if !QuotaUsage.scopes.contains(requirement.scopeName) { invalid("\(path).scopeName", "\"\(requirement.scopeName)\"", "unsupported scope") }
                for resource in hard.sorted() where ResourceNames.isStandardQuota(resource) && !Self.scope(requirement.scopeName, validFor: resource) {
                    invalid(path, shown, "unsupported scope applied to resource")
                }
                if ["BestEffort", "NotBestEffort", "Terminating", "NotTerminating", "CrossNamespacePodAffinity"].contains(requirement.scopeName),
                   requirement.operator != "Exists" {
                    invalid("\(path).operator", "\"\(requirement.operator)\"", "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity")
                }
                switch requirement.operator {
                case "In", "NotIn":
                    if (requirement.values ?? []).isEmpty {
                        causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector", field: "\(path).values"))
                    }
                case "Exists", "DoesNotExist":
                    if !(requirement.values ?? []).isEmpty {
                        invalid("\(path).values", "[" + (requirement.values ?? []).map { "\"\($0)\"" }.joined(separator: ",") + "]",
                                "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector")
                    }
                default:
                    invalid("\(path).operator", "\"\(requirement.operator)\"", "not a valid selector operator")
                }
            }
            if conflicting.contains(where: { $0.isSubset(of: Set(expressions.map(\.scopeName))) }) { invalid(path, shown, "conflicting scopes") }
        }
        return causes
    }

    /// Upstream's `IsIntegerResourceName`: object counts and extended resources are whole numbers.
    static func isIntegerResource(_ name: String) -> Bool {
        ResourceNames.integer.contains(name) || QuotaUsage.isExtendedResource(name)
    }

    var table: TableConverter<ResourceQuota> { Printers.resourceQuota }
}

extension Printers {
    /// Upstream's `printResourceQuota`: NAME, AGE, and `used/hard` of each resource by name, `limits.*` under LIMIT and
    /// the rest under REQUEST.
    static var resourceQuota: TableConverter<ResourceQuota> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Age", type: "string", description: ageDescription),
            .init(name: "Request", type: "string", description: "Request represents a minimum amount of cpu/memory that a container may consume."),
            .init(name: "Limit", type: "string", description: "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
        ]) { quota, now in
            let hard = quota.status?.hard ?? [:], used = quota.status?.used ?? [:]
            var request: [String] = [], limit: [String] = []
            for name in hard.keys.sorted() {
                let entry = "\(name): \(used[name] ?? .zero)/\(hard[name]!)"
                let pieces = name.split(separator: ".", omittingEmptySubsequences: false)
                if pieces.count > 1, pieces[0] == "limits" { limit.append(entry) } else { request.append(entry) }
            }
            return [.string(quota.metadata.name ?? ""), ageCell(quota.metadata.creationTimestamp, now: now),
                    .string(request.joined(separator: ", ")), .string(limit.joined(separator: ", "))]
        }
    }
}

import Foundation
import KubeAPI

extension PodDisruptionBudget: StatusCarrying {}

/// policy/v1 PodDisruptionBudgets: a status subresource written by the disruption controller (reset on create), and
/// upstream's validation of `minAvailable` / `maxUnavailable` (non-negative numbers or percentages up to 100%, not
/// both), the selector and `unhealthyPodEvictionPolicy`.
struct PodDisruptionBudgetStrategy: ResourceStrategy {
    typealias Object = PodDisruptionBudget
    var tracksGeneration: Bool { true }
    static let evictionPolicies = ["AlwaysAllow", "IfHealthyBudget"]

    func prepareForCreate(_ budget: inout PodDisruptionBudget, context: AdmissionContext) async throws {
        budget.status = PodDisruptionBudgetStatus()
    }

    func validate(_ budget: PodDisruptionBudget, old: PodDisruptionBudget?) -> [StatusCause] {
        var causes: [StatusCause] = []
        let spec = budget.spec ?? PodDisruptionBudgetSpec()
        if spec.minAvailable != nil, spec.maxUnavailable != nil {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"object\": minAvailable and maxUnavailable cannot be both set", field: "spec"))
        }
        for (field, value) in [("spec.minAvailable", spec.minAvailable), ("spec.maxUnavailable", spec.maxUnavailable)] {
            guard let value else { continue }
            causes += Self.validateIntOrPercent(value, field: field)
        }
        if let selector = spec.selector {
            do { _ = try LabelSelectorExpression(selector) } catch {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"object\": \(error)", field: "spec.selector"))
            }
        }
        if let policy = spec.unhealthyPodEvictionPolicy, !Self.evictionPolicies.contains(policy) {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(policy)\": supported values: \"AlwaysAllow\", \"IfHealthyBudget\"", field: "spec.unhealthyPodEvictionPolicy"))
        }
        return causes
    }

    /// Upstream's `ValidateNonnegativeIntOrPercent` and `IsNotMoreThan100Percent`.
    static func validateIntOrPercent(_ value: IntOrString, field: String) -> [StatusCause] {
        switch value {
        case .int(let number):
            if number < 0 {
                return [StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(number): must be greater than or equal to 0", field: field)]
            }
        case .string(let text):
            guard text.hasSuffix("%"), let percent = Int(text.dropLast()), !text.dropLast().isEmpty, text.dropLast().allSatisfy(\.isNumber) else {
                return [StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(text)\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')", field: field)]
            }
            if percent > 100 {
                return [StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(text)\": must not be greater than 100%", field: field)]
            }
        }
        return []
    }

    var table: TableConverter<PodDisruptionBudget> { Printers.podDisruptionBudget }
}

extension Printers {
    /// NAME, MIN AVAILABLE, MAX UNAVAILABLE, ALLOWED DISRUPTIONS, AGE.
    static var podDisruptionBudget: TableConverter<PodDisruptionBudget> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Min Available", type: "string", description: "The minimum number of pods that must be available simultaneously.  This can be either an integer or a string specifying a percentage, e.g. \"28%\"."),
            .init(name: "Max Unavailable", type: "string", description: "The maximum number of pods that may be unavailable simultaneously.  This can be either an integer or a string specifying a percentage, e.g. \"28%\"."),
            .init(name: "Allowed Disruptions", type: "integer", description: "Number of pod disruptions that are currently allowed."),
            .init(name: "Age", type: "string", description: ageDescription),
        ]) { budget, now in
            [.string(budget.metadata.name ?? ""), .string(budget.spec?.minAvailable?.description ?? "N/A"),
             .string(budget.spec?.maxUnavailable?.description ?? "N/A"), .int(Int64(budget.status?.disruptionsAllowed ?? 0)),
             ageCell(budget.metadata.creationTimestamp, now: now)]
        }
    }
}

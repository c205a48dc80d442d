import Foundation
import KubeAPI

/// core/v1 LimitRanges: upstream's defaulting of container items (`default` from `max`, `defaultRequest` from
/// `default` then `min`) and `ValidateLimitRange`. `kubectl get limits` prints upstream's NAME and CREATED AT.
struct LimitRangeStrategy: ResourceStrategy {
    typealias Object = LimitRange

    func prepareForCreate(_ limitRange: inout LimitRange, context: AdmissionContext) async throws { Self.applyDefaults(&limitRange) }
    func prepareForUpdate(_ limitRange: inout LimitRange, old: LimitRange, context: AdmissionContext) async throws { Self.applyDefaults(&limitRange) }

    /// Upstream's `SetDefaults_LimitRangeItem`: for a `Container` item, a resource with a `max` but no `default`
    /// defaults to the max, and one with a `default` (or else a `min`) but no `defaultRequest` requests that.
    static func applyDefaults(_ limitRange: inout LimitRange) {
        guard var spec = limitRange.spec else { return }
        spec.limits = spec.limits.map { item in
            guard item.type == LimitRange.containerType else { return item }
            var item = item
            var defaults = item.default ?? [:], requests = item.defaultRequest ?? [:]
            for (name, amount) in item.max ?? [:] where defaults[name] == nil { defaults[name] = amount }
            for (name, amount) in defaults where requests[name] == nil { requests[name] = amount }
            for (name, amount) in item.min ?? [:] where requests[name] == nil { requests[name] = amount }
            item.default = defaults.isEmpty ? nil : defaults
            item.defaultRequest = requests.isEmpty ? nil : requests
            return item
        }
        limitRange.spec = spec
    }

    /// Upstream's `ValidateLimitRange`.
    func validate(_ limitRange: LimitRange, old: LimitRange?) -> [StatusCause] {
        var causes: [StatusCause] = []
        func invalid(_ field: String, _ value: String, _ message: String) {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(value)\": \(message)", field: field))
        }
        var types = Set<String>()
        for (index, item) in (limitRange.spec?.limits ?? []).enumerated() {
            let path = "spec.limits[\(index)]"
            for message in LabelValidation.qualifiedNameErrors(item.type) { invalid("\(path).type", item.type, message) }
            if !item.type.contains("/"), ![LimitRange.containerType, LimitRange.podType, LimitRange.claimType].contains(item.type),
               LabelValidation.qualifiedNameErrors(item.type).isEmpty {
                invalid("\(path).type", item.type, "must be a standard limit type or fully qualified")
            }
            if !types.insert(item.type).inserted {
                causes.append(StatusCause(reason: "FieldValueDuplicate", message: "Duplicate value: \"\(item.type)\"", field: "\(path).type"))
            }
            var members: [(String, [String: Quantity])] = [("max", item.max ?? [:]), ("min", item.min ?? [:])]
            if item.type == LimitRange.podType {
                if !(item.default ?? [:]).isEmpty {
                    causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: may not be specified when `type` is 'Pod'", field: "\(path).default"))
                }
                if !(item.defaultRequest ?? [:]).isEmpty {
                    causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: may not be specified when `type` is 'Pod'", field: "\(path).defaultRequest"))
                }
            } else {
                members += [("default", item.default ?? [:]), ("defaultRequest", item.defaultRequest ?? [:])]
            }
            if item.type == LimitRange.claimType, item.min?["storage"] == nil, item.max?["storage"] == nil {
                causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: either minimum or maximum storage value is required, but neither was provided", field: "\(path).limits"))
            }
            members.append(("maxLimitRequestRatio", item.maxLimitRequestRatio ?? [:]))
            for (member, list) in members {
                for name in list.keys.sorted() {
                    for message in ResourceNames.limitRangeNameErrors(name, type: item.type) { invalid("\(path).\(member)[\(name)]", name, message) }
                }
            }
            let names = Set(members.flatMap { $0.1.keys })
            for name in names.sorted() {
                let min = item.min?[name], max = item.max?[name], limit = item.type == LimitRange.podType ? nil : item.default?[name]
                let request = item.type == LimitRange.podType ? nil : item.defaultRequest?[name], ratio = item.maxLimitRequestRatio?[name]
                if let min, let max, min > max {
                    invalid("\(path).min[\(name)]", "\(min)", "min value \(min) is greater than max value \(max)")
                }
                if let request, let min, min > request {
                    invalid("\(path).defaultRequest[\(name)]", "\(request)", "min value \(min) is greater than default request value \(request)")
                }
                if let request, let max, request > max {
                    invalid("\(path).defaultRequest[\(name)]", "\(request)", "default request value \(request) is greater than max value \(max)")
                }
                if let request, let limit, request > limit {
                    invalid("\(path).defaultRequest[\(name)]", "\(request)", "default request value \(request) is greater than default limit value \(limit)")
                }
                if let limit, let min, min > limit {
                    invalid("\(path).default[\(name)]", "\(min)", "min value \(min) is greater than default value \(limit)")
                }
                if let limit, let max, limit > max {
                    invalid("\(path).default[\(name)]", "\(max)", "default value \(limit) is greater than max value \(max)")
                }
                if let ratio, ratio < Quantity(1) {
                    invalid("\(path).maxLimitRequestRatio[\(name)]", "\(ratio)", "ratio \(ratio) is less than 1")
                }
                if let ratio, let min, let max {
                    let bound = Double(LimitRanger.comparable(max, min).0) / Double(LimitRanger.comparable(max, min).1)
                    if ratio.approximateDouble > bound {
                        invalid("\(path).maxLimitRequestRatio[\(name)]", "\(ratio)", "ratio \(ratio) is greater than max/min = \(String(format: "%f", bound))")
                    }
                }
                if !ResourceNames.overcommitAllowed(name), let limit, let request, limit != request {
                    invalid("\(path).defaultRequest[\(name)]", "\(request)", "default value \(limit) must equal to defaultRequest value \(request) in \(name)")
                }
            }
        }
        return causes
    }
}

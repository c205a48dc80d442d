import KubeAPI

/// Upstream's `ValidateContainerResourceRequirements` (pkg/apis/core/validation): a container's `resources` as the
/// API server checks them for pods and pod templates — container resource names, amounts not negative and whole for
/// extended resources, hugepages in whole pages and only beside cpu or memory, requests not above their limits, and
/// requests equal to the limits (which must be set) for resources that cannot be overcommitted (hugepages, extended
/// resources). Names are checked in sorted order; Go's map order is random.
enum ContainerResourceValidation {
    static func validate(_ resources: ResourceRequirements?, field: String) -> [StatusCause] {
        guard let resources else { return [] }
        let limits = resources.limits ?? [:], requests = resources.requests ?? [:]
        var causes: [StatusCause] = []
        for name in limits.keys.sorted() {
            let path = "\(field).limits[\(name)]"
            causes += amount(name, limits[name]!, field: path) + hugePages(name, limits[name]!, field: path)
        }
        for name in requests.keys.sorted() {
            let request = requests[name]!, path = "\(field).requests[\(name)]"
            causes += amount(name, request, field: path)
            if let limit = limits[name] {
                if request != limit, !ResourceNames.overcommitAllowed(name) {
                    causes.append(NetworkingValidation.invalid("\(field).requests", "\(request)", "must be equal to \(name) limit of \(limit)"))
                } else if request > limit {
                    causes.append(NetworkingValidation.invalid("\(field).requests", "\(request)", "must be less than or equal to \(name) limit of \(limit)"))
                }
            } else if !ResourceNames.overcommitAllowed(name) {
                causes.append(NetworkingValidation.required("\(field).limits", "Limit must be set for non overcommitable resources"))
            }
            causes += hugePages(name, request, field: path)
        }
        let names = Set(limits.keys).union(requests.keys)
        if names.contains(where: ResourceNames.isHugePages), names.isDisjoint(with: ["cpu", "memory"]) {
            causes.append(NetworkingValidation.forbidden(field, "HugePages require cpu or memory"))
        }
        return causes
    }

    /// One limit or request: its name (`validateContainerResourceName`) and its value (`ValidateResourceQuantityValue`).
    private static func amount(_ name: String, _ quantity: Quantity, field: String) -> [StatusCause] {
        var causes = ResourceNames.containerResourceNameErrors(name).map { NetworkingValidation.invalid(field, name, $0) }
        if quantity.sign < 0 { causes.append(NetworkingValidation.invalid(field, "\(quantity)", "must be greater than or equal to 0")) }
        if QuotaUsage.isExtendedResource(name), quantity.milliValue % 1000 != 0 {
            causes.append(NetworkingValidation.invalid(field, "\(quantity)", "must be an integer"))
        }
        return causes
    }

    /// Hugepages come in whole pages of the size the name gives (`validateResourceQuantityHugePageValue`).
    private static func hugePages(_ name: String, _ quantity: Quantity, field: String) -> [StatusCause] {
        guard ResourceNames.isHugePages(name) else { return [] }
        let page = try? Quantity(parsing: String(name.dropFirst("hugepages-".count)))
        if let page, page.sign > 0, page.milliValue % 1000 == 0, quantity.value % page.value == 0 { return [] }
        return [NetworkingValidation.invalid(field, "\(quantity)", "\(quantity) is not positive integer multiple of \(name)")]
    }
}

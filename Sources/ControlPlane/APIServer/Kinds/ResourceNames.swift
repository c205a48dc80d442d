import KubeAPI

/// Upstream's resource-name rules (pkg/apis/core/helper and validation) for limit ranges and quotas.
enum ResourceNames {
    /// Upstream's `standardResources`: names valid without a domain.
    static let standard: Set<String> = [
        "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage", "limits.cpu",
        "limits.memory", "limits.ephemeral-storage", "pods", "services", "replicationcontrollers", "resourcequotas", "secrets",
        "persistentvolumeclaims", "storage", "requests.storage", "services.nodeports", "services.loadbalancers", "configmaps",
    ]
    /// Upstream's `standardQuotaResources`.
    static let standardQuota: Set<String> = [
        "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.storage", "requests.ephemeral-storage",
        "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods", "services", "replicationcontrollers", "resourcequotas",
        "secrets", "persistentvolumeclaims", "configmaps", "services.nodeports", "services.loadbalancers",
    ]
    /// Upstream's `integerResources`: quota amounts that must be whole.
    static let integer: Set<String> = [
        "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims",
        "services.nodeports", "services.loadbalancers",
    ]

    static func isHugePages(_ name: String) -> Bool { name.hasPrefix("hugepages-") }

    static func isStandard(_ name: String) -> Bool { standard.contains(name) || isHugePages(name) || name.hasPrefix("requests.hugepages-") }

    static func isStandardQuota(_ name: String) -> Bool { standardQuota.contains(name) || name.hasPrefix("requests.hugepages-") }


    /// Whether requests may be lower than limits (`IsOvercommitAllowed`): not for hugepages or extended resources.
    static func overcommitAllowed(_ name: String) -> Bool {
        (!name.contains("/") || name.hasPrefix("kubernetes.io/")) && !isHugePages(name)
    }

    /// Upstream's `validateResourceName`: a qualified name; without a domain, a standard resource.
    static func resourceNameErrors(_ name: String) -> [String] {
        let errors = LabelValidation.qualifiedNameErrors(name)
        if !errors.isEmpty { return errors }
        if !name.contains("/"), !isStandard(name) { return ["must be a standard resource type or fully qualified"] }
        return []
    }

    /// Upstream's `validateContainerResourceName`: a resource name (``resourceNameErrors(_:)``) that is a standard
    /// container resource (`cpu`, `memory`, `ephemeral-storage`, `hugepages-*`) without a domain, and with one a native
    /// (`kubernetes.io/`) or extended resource.
    static func containerResourceNameErrors(_ name: String) -> [String] {
        var errors = resourceNameErrors(name)
        if !name.contains("/") {
            if !["cpu", "memory", "ephemeral-storage"].contains(name), !isHugePages(name) {
                errors.append("must be a standard resource for containers")
            }
        } else if !name.contains("kubernetes.io/"), !QuotaUsage.isExtendedResource(name) {
            errors.append("doesn't follow extended resource name standard")
        }
        return errors
    }

    /// Upstream's `validateLimitRangeResourceName`: container and pod items take container resources, other items
    /// any resource name.
    static func limitRangeNameErrors(_ name: String, type: String) -> [String] {
        type == LimitRange.containerType || type == LimitRange.podType ? containerResourceNameErrors(name) : resourceNameErrors(name)
    }

    /// Upstream's `ValidateResourceQuotaResourceName`.
    static func quotaNameErrors(_ name: String) -> [String] {
        let errors = resourceNameErrors(name)
        if !errors.isEmpty { return errors }
        if !name.contains("/"), !isStandardQuota(name) { return ["must be a standard resource for quota"] }
        return []
    }
}

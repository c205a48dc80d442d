import Foundation

/// Which controllers run, from a `--controllers` value as upstream's kube-controller-manager reads it:
/// `*` enables the default set, `name` enables one, `-name` disables one (`*,-garbage-collector-controller`).
///
/// Names are upstream's (`replicaset-controller`) or their short aliases (`replicaset`); names of upstream
/// controllers that Swiftlet does not have (`nodeipam`, `ttl`, …) are accepted and ignored, anything else is an
/// error, as upstream rejects unknown controllers.
public struct ControllerSelection: Sendable, Hashable, CustomStringConvertible {
    /// The controllers Swiftlet has, by upstream name.
    public static let available = [
        ReplicaSetController.controllerName, DeploymentController.controllerName,
        ReplicationManager.controllerName,
        EndpointSliceController.controllerName, EndpointSliceMirroringController.controllerName, EndpointsController.controllerName,
        GarbageCollector.controllerName, NamespaceController.controllerName, ServiceAccountController.controllerName,
        DaemonSetController.controllerName, JobController.controllerName, TTLAfterFinishedController.controllerName,
        NodeLifecycleController.controllerName, TaintEvictionController.controllerName, RootCACertPublisher.controllerName,
        DisruptionController.controllerName, StatefulSetController.controllerName, CronJobController.controllerName,
        CertificateApprover.controllerName, CertificateSigner.controllerName, CertificateCleaner.controllerName,
        PersistentVolumeController.controllerName, PVCProtectionController.controllerName, PVProtectionController.controllerName,
        ResourceQuotaController.controllerName, HorizontalPodAutoscalerController.controllerName, PodGCController.controllerName,
        ServiceLoadBalancerController.controllerName, EphemeralVolumeController.controllerName,
    ]

    /// Upstream controllers Swiftlet does not implement; naming them is not an error.
    static let upstreamOnly = [
        "nodeipam",
        "serviceaccount-token", "attachdetach",
        "bootstrapsigner", "tokencleaner", "clusterrole-aggregation",
        "ttl", "route",
        "cloud-node-lifecycle", "persistentvolume-expander", "storage-version-gc", "resourceclaim",
        "legacy-serviceaccount-token-cleaner", "validatingadmissionpolicy-status", "service-cidr",
        "storageversion-migrator",
    ]

    /// Every available controller (`*`).
    public static let all = ControllerSelection(enabled: Set(available))

    /// The enabled controllers, by upstream name.
    public let enabled: Set<String>

    private init(enabled: Set<String>) { self.enabled = enabled }

    /// Parses a comma-separated `--controllers` value.
    ///
    /// - Throws: `ControllerSelectionError` naming a controller that upstream does not know either.
    public init(parsing text: String) throws(ControllerSelectionError) {
        var enabled = Set<String>()
        var disabled = Set<String>()
        var star = false
        for raw in text.split(separator: ",") {
            let token = raw.trimmingCharacters(in: .whitespaces)
            if token == "*" { star = true; continue }
            let negated = token.hasPrefix("-")
            let name = negated ? String(token.dropFirst()) : token
            guard let canonical = try Self.canonical(name) else { continue }
            if negated { disabled.insert(canonical) } else { enabled.insert(canonical) }
        }
        if star { enabled.formUnion(Self.available) }
        self.enabled = enabled.subtracting(disabled)
    }

    /// Whether the controller with this upstream name runs.
    public func isEnabled(_ name: String) -> Bool { enabled.contains(name) }

    public var description: String { enabled.sorted().joined(separator: ",") }

    /// The upstream name for `name` or its alias; `nil` for an upstream controller Swiftlet lacks.
    private static func canonical(_ name: String) throws(ControllerSelectionError) -> String? {
        let short = name.hasSuffix("-controller") ? String(name.dropLast("-controller".count)) : name
        let aliases = ["garbagecollector": "garbage-collector", "endpoint": "endpoints", "nodelifecycle": "node-lifecycle",
                       "csrapproving": "certificatesigningrequest-approving", "csrsigning": "certificatesigningrequest-signing",
                       "csrcleaner": "certificatesigningrequest-cleaner",
                       "pvc-protection": "persistentvolumeclaim-protection", "pv-protection": "persistentvolume-protection",
                       "horizontalpodautoscaling": "horizontal-pod-autoscaler", "podgc": "pod-garbage-collector", "service": "service-lb",
                       "endpointslicemirroring": "endpointslice-mirroring"]
        let base = aliases[short] ?? short
        if available.contains(base + "-controller") { return base + "-controller" }
        if upstreamOnly.contains(base) { return nil }
        throw ControllerSelectionError(name: name)
    }
}

/// A `--controllers` entry that names no known controller.
public struct ControllerSelectionError: Error, Sendable, CustomStringConvertible {
    public let name: String
    public var description: String { "\"\(name)\" is not in the list of known controllers" }
}

import KubeAPI

/// Which upstream Go package each KubeAPI type corresponds to, so component names match upstream's
/// (`io.k8s.api.apps.v1.DeploymentSpec`, `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`).
///
/// KubeAPI is one Swift module, so the package cannot come from the module: a kind's comes from its
/// `ResourceInfo` group, the other types are listed here, and anything unlisted is core/v1 (most types are).
/// A new type of a non-core group must be added here.
enum SchemaNames {
    static let corePackage = "io.k8s.api.core.v1"

    /// The package of a kind in `group`/`version`: `io.k8s.api.<first label of the group>.<version>`.
    static func package(group: String, version: String) -> String {
        let short = group.isEmpty ? "core" : String(group.prefix { $0 != "." })
        return "io.k8s.api.\(short).\(version)"
    }

    /// Upstream's package of each non-core type that is not itself a kind.
    static let packages: [String: String] = {
        let table: [String: [String]] = [
            "io.k8s.apimachinery.pkg.apis.meta.v1": [
                "ObjectMeta", "ListMeta", "OwnerReference", "ManagedFieldsEntry", "Condition", "LabelSelector",
                "LabelSelectorRequirement", "Time", "MicroTime", "Status", "StatusDetails", "StatusCause",
            ],
            "io.k8s.apimachinery.pkg.api.resource": ["Quantity"],
            "io.k8s.apimachinery.pkg.util.intstr": ["IntOrString"],
            "io.k8s.api.apps.v1": [
                "DeploymentSpec", "DeploymentStrategy", "RollingUpdateDeployment", "DeploymentStatus",
                "DeploymentCondition", "ReplicaSetSpec", "ReplicaSetStatus", "ReplicaSetCondition", "DaemonSetSpec",
                "DaemonSetUpdateStrategy", "RollingUpdateDaemonSet", "DaemonSetStatus", "DaemonSetCondition",
                "StatefulSetSpec", "StatefulSetUpdateStrategy", "RollingUpdateStatefulSetStrategy",
                "StatefulSetPersistentVolumeClaimRetentionPolicy", "StatefulSetOrdinals", "StatefulSetStatus",
                "StatefulSetCondition",
            ],
            "io.k8s.api.batch.v1": [
                "JobSpec", "JobStatus", "JobCondition", "PodFailurePolicy", "PodFailurePolicyRule",
                "PodFailurePolicyOnExitCodesRequirement", "PodFailurePolicyOnPodConditionsPattern", "SuccessPolicy",
                "SuccessPolicyRule", "UncountedTerminatedPods", "CronJobSpec", "JobTemplateSpec", "CronJobStatus",
            ],
            "io.k8s.api.discovery.v1": ["Endpoint", "EndpointConditions", "EndpointHints", "ForZone", "ForNode", "EndpointSlicePort"],
            "io.k8s.api.coordination.v1": ["LeaseSpec"],
            "io.k8s.api.autoscaling.v1": ["ScaleSpec", "ScaleStatus", "HorizontalPodAutoscalerV1Spec", "HorizontalPodAutoscalerV1Status"],
            "io.k8s.api.autoscaling.v2": [
                "HorizontalPodAutoscalerSpec", "CrossVersionObjectReference", "MetricSpec", "ObjectMetricSource", "PodsMetricSource",
                "ResourceMetricSource", "ContainerResourceMetricSource", "ExternalMetricSource", "MetricIdentifier", "MetricTarget",
                "HorizontalPodAutoscalerBehavior", "HPAScalingRules", "HPAScalingPolicy", "HorizontalPodAutoscalerStatus", "MetricStatus",
                "ObjectMetricStatus", "PodsMetricStatus", "ResourceMetricStatus", "ContainerResourceMetricStatus", "ExternalMetricStatus",
                "MetricValueStatus", "HorizontalPodAutoscalerCondition",
            ],
            "io.k8s.api.policy.v1": ["PodDisruptionBudgetSpec", "PodDisruptionBudgetStatus"],
            "io.k8s.api.networking.v1": [
                "IngressSpec", "IngressBackend", "IngressServiceBackend", "ServiceBackendPort", "IngressTLS", "IngressRule",
                "HTTPIngressRuleValue", "HTTPIngressPath", "IngressStatus", "IngressLoadBalancerStatus", "IngressLoadBalancerIngress",
                "IngressPortStatus", "IngressClassSpec", "IngressClassParametersReference", "NetworkPolicySpec",
                "NetworkPolicyIngressRule", "NetworkPolicyEgressRule", "NetworkPolicyPort", "NetworkPolicyPeer", "IPBlock",
            ],
            "io.k8s.api.storage.v1": ["VolumeAttachmentSpec", "VolumeAttachmentSource", "VolumeAttachmentStatus", "VolumeError"],
            "io.k8s.api.certificates.v1": ["CertificateSigningRequestSpec", "CertificateSigningRequestStatus", "CertificateSigningRequestCondition"],
            "io.k8s.api.events.v1": ["EventsV1EventSeries"],
            "io.k8s.api.node.v1": ["RuntimeClassOverhead", "RuntimeClassScheduling"],
        ]
        return Dictionary(uniqueKeysWithValues: table.flatMap { package, names in names.map { ($0, package) } })
    }()

    /// Swift names that differ from upstream's Go names.
    static let upstreamNames: [String: String] = [
        "EndpointSlicePort": "EndpointPort", "EventsV1Event": "Event", "EventsV1EventSeries": "EventSeries",
        "HorizontalPodAutoscalerV1": "HorizontalPodAutoscaler", "HorizontalPodAutoscalerV1Spec": "HorizontalPodAutoscalerSpec",
        "HorizontalPodAutoscalerV1Status": "HorizontalPodAutoscalerStatus",
        "RuntimeClassOverhead": "Overhead", "RuntimeClassScheduling": "Scheduling",
    ]

    /// Types upstream declares in every version of their group while KubeAPI has one Swift type for all of them
    /// (autoscaling/v1 and v2 each have a `CrossVersionObjectReference`), by the group: a document of one version
    /// of that group names the type in that version's package; elsewhere it keeps the package listed above.
    static let declaredPerVersion: [String: String] = ["CrossVersionObjectReference": "autoscaling"]

    /// The packages `declaredPerVersion` types take in a document of `kinds`: the version of their group, when the
    /// kinds are of one version of it.
    static func packageOverrides(for kinds: [any KubeObject.Type]) -> [String: String] {
        var overrides: [String: String] = [:]
        for (type, group) in declaredPerVersion {
            var versions = Set<String>()
            for kind in kinds where kind.resource.group == group { versions.insert(kind.resource.version) }
            if versions.count == 1, let version = versions.first { overrides[type] = package(group: group, version: version) }
        }
        return overrides
    }
}

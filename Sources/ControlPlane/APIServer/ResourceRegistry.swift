import Foundation
import KubeAPI
import ResourceMetrics

/// The kinds this server serves, by group/version/plural, each with its handler.
struct ResourceRegistry: Sendable {
    let handlers: [any ResourceHandling]
    let core: ServerCore
    private let byPath: [String: any ResourceHandling]

    /// `eventTTL`: how long an Event lives after its last write (kube-apiserver's `--event-ttl`); nil keeps Events.
    /// `resourceMetrics`: the scraper's storage, served as metrics.k8s.io (nil: that group is not served).
    init(core: ServerCore, eventTTL: Duration?, resourceMetrics: MetricsStorage? = nil) {
        self.core = core
        let handlers: [any ResourceHandling] = [
            ResourceHandler(NamespaceStrategy(), core: core),
            ResourceHandler(PodStrategy(), core: core),
            ResourceHandler(ServiceStrategy(), core: core),
            ResourceHandler(NodeStrategy(), core: core),
            ResourceHandler(TableOnlyStrategy<Endpoints>(table: Printers.endpoints), core: core),
            ResourceHandler(ConfigMapStrategy(), core: core),
            ResourceHandler(SecretStrategy(), core: core),
            ResourceHandler(TableOnlyStrategy<ServiceAccount>(table: Printers.serviceAccount), core: core),
            ResourceHandler(EventStrategy(ttl: eventTTL), core: core),
            ResourceHandler(PersistentVolumeClaimStrategy(), core: core),
            ResourceHandler(PersistentVolumeStrategy(), core: core),
            ResourceHandler(ReplicationControllerStrategy(), core: core),
            ResourceHandler(ResourceQuotaStrategy(), core: core),
            ResourceHandler(LimitRangeStrategy(), core: core),
            ResourceHandler(StorageClassStrategy(), core: core),
            ResourceHandler(VolumeAttachmentStrategy(), core: core),
            ResourceHandler(DeploymentStrategy(), core: core),
            ResourceHandler(ReplicaSetStrategy(), core: core),
            ResourceHandler(DaemonSetStrategy(), core: core),
            ResourceHandler(StatefulSetStrategy(), core: core),
            ResourceHandler(ControllerRevisionStrategy(), core: core),
            // A second view of the core Events above, in their store (upstream lists events.k8s.io after apps).
            ResourceHandler(EventsV1EventStrategy(ttl: eventTTL), core: core),
            // autoscaling/v2 first: the stored and preferred version; v1 is a view of the same objects.
            ResourceHandler(HorizontalPodAutoscalerStrategy(), core: core),
            ResourceHandler(HorizontalPodAutoscalerV1Strategy(), core: core),
            ResourceHandler(JobStrategy(), core: core),
            ResourceHandler(CronJobStrategy(), core: core),
            ResourceHandler(TableOnlyStrategy<EndpointSlice>(table: Printers.endpointSlice, tracksGeneration: true), core: core),
            ResourceHandler(TableOnlyStrategy<Lease>(table: Printers.lease), core: core),
            ResourceHandler(RoleStrategy(), core: core),
            ResourceHandler(ClusterRoleStrategy(), core: core),
            ResourceHandler(RoleBindingStrategy(), core: core),
            ResourceHandler(ClusterRoleBindingStrategy(), core: core),
            ResourceHandler(PriorityClassStrategy(), core: core),
            ResourceHandler(RuntimeClassStrategy(), core: core),
            ResourceHandler(PodDisruptionBudgetStrategy(), core: core),
            ResourceHandler(IngressStrategy(), core: core),
            ResourceHandler(IngressClassStrategy(), core: core),
            ResourceHandler(NetworkPolicyStrategy(), core: core),
            ResourceHandler(CertificateSigningRequestStrategy(), core: core),
        ]
        let metricsHandlers = resourceMetrics.map { ResourceMetricsHandler.handlers(storage: $0, core: core) } ?? []
        self.handlers = handlers + metricsHandlers
        var byPath: [String: any ResourceHandling] = [:]
        for handler in self.handlers {
            byPath["\(handler.info.group)/\(handler.info.version)/\(handler.info.plural)"] = handler
        }
        self.byPath = byPath
    }

    func handler(group: String, version: String, plural: String) -> (any ResourceHandling)? {
        byPath["\(group)/\(version)/\(plural)"]
    }

    /// Group → versions served, core group first, in a stable order.
    var groups: [(group: String, versions: [String])] {
        var order: [String] = []
        var versions: [String: [String]] = [:]
        for handler in handlers {
            let g = handler.info.group
            if versions[g] == nil { order.append(g) }
            if !(versions[g] ?? []).contains(handler.info.version) { versions[g, default: []].append(handler.info.version) }
        }
        return order.map { ($0, versions[$0]!) }
    }

    func handlers(group: String, version: String) -> [any ResourceHandling] {
        handlers.filter { $0.info.group == group && $0.info.version == version }
    }
}

/// ConfigMaps print their number of keys (DATA).
struct ConfigMapStrategy: ResourceStrategy {
    typealias Object = ConfigMap
    var table: TableConverter<ConfigMap> {
        Printers.counted("Data", "Number of data items in the ConfigMap") { ($0.data?.count ?? 0) + ($0.binaryData?.count ?? 0) }
    }
}

/// Secrets print their number of keys (DATA); `stringData` is folded into `data` as upstream does.
struct SecretStrategy: ResourceStrategy {
    typealias Object = Secret

    func prepareForCreate(_ secret: inout Secret, context: AdmissionContext) async throws { Self.foldStringData(&secret) }
    func prepareForUpdate(_ secret: inout Secret, old: Secret, context: AdmissionContext) async throws { Self.foldStringData(&secret) }

    static func foldStringData(_ secret: inout Secret) {
        if secret.type == nil { secret.type = "Opaque" }
        guard let stringData = secret.stringData else { return }
        var data = secret.data ?? [:]
        for (key, value) in stringData { data[key] = Data(value.utf8).base64EncodedString() }
        secret.data = data
        secret.stringData = nil
    }
    var table: TableConverter<Secret> { Printers.secret }
}

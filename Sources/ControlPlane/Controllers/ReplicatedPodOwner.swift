import KubeAPI

/// A kind that keeps `spec.replicas` copies of a pod template running, as `PodReplicaController` drives it: apps/v1
/// ReplicaSet and core/v1 ReplicationController. Upstream's ReplicationManager converts ReplicationControllers to
/// ReplicaSets and runs the ReplicaSet controller over them; this protocol is that conversion, field by field.
public protocol ReplicatedPodOwner: KubeObject {
    /// Upstream's controller name, for `--controllers`.
    static var controllerName: String { get }
    /// The name of the controller's work queue (upstream's).
    static var queueName: String { get }
    /// The component its Events come from (upstream's event source).
    static var eventComponent: String { get }
    /// `spec.replicas`, 1 when unset.
    var desiredReplicas: Int32 { get }
    /// `spec.minReadySeconds`, 0 when unset.
    var minReadySeconds: Int32 { get }
    /// `spec.template`.
    var podTemplate: PodTemplateSpec? { get }
    /// The selector of the pods, as upstream converts it (a ReplicationController's label map selects by equality).
    func replicaSelector() throws -> LabelSelectorExpression
    /// The status in ReplicaSet form, which the controller computes and writes.
    var replicaSetStatus: ReplicaSetStatus { get set }
}

extension ReplicaSet: ReplicatedPodOwner {
    public static var controllerName: String { "replicaset-controller" }
    public static var queueName: String { "replicaset" }
    public static var eventComponent: String { "replicaset-controller" }
    public var desiredReplicas: Int32 { spec?.replicas ?? 1 }
    public var minReadySeconds: Int32 { spec?.minReadySeconds ?? 0 }
    public var podTemplate: PodTemplateSpec? { spec?.template }
    public func replicaSelector() throws -> LabelSelectorExpression { try LabelSelectorExpression(spec?.selector) }
    public var replicaSetStatus: ReplicaSetStatus {
        get { status ?? ReplicaSetStatus() }
        set { status = newValue }
    }
}

extension ReplicationController: ReplicatedPodOwner {
    public static var controllerName: String { "replicationcontroller-controller" }
    public static var queueName: String { "replicationmanager" }
    public static var eventComponent: String { "replication-controller" }
    public var desiredReplicas: Int32 { spec?.replicas ?? 1 }
    public var minReadySeconds: Int32 { spec?.minReadySeconds ?? 0 }
    public var podTemplate: PodTemplateSpec? { spec?.template }
    public func replicaSelector() throws -> LabelSelectorExpression { LabelSelectorExpression(matchLabels: spec?.selector ?? [:]) }

    /// The status as a ReplicaSet's (upstream's `Convert_v1_ReplicationControllerStatus_To_apps_ReplicaSetStatus`)
    /// and back; a ReplicationController has no `terminatingReplicas`.
    public var replicaSetStatus: ReplicaSetStatus {
        get {
            let s = status ?? ReplicationControllerStatus()
            return ReplicaSetStatus(replicas: s.replicas, fullyLabeledReplicas: s.fullyLabeledReplicas, readyReplicas: s.readyReplicas,
                                    availableReplicas: s.availableReplicas, observedGeneration: s.observedGeneration,
                                    conditions: s.conditions?.map {
                                        ReplicaSetCondition(type: $0.type, status: $0.status, lastTransitionTime: $0.lastTransitionTime, reason: $0.reason, message: $0.message)
                                    })
        }
        set {
            status = ReplicationControllerStatus(
                replicas: newValue.replicas, fullyLabeledReplicas: newValue.fullyLabeledReplicas, readyReplicas: newValue.readyReplicas,
                availableReplicas: newValue.availableReplicas, observedGeneration: newValue.observedGeneration,
                conditions: newValue.conditions?.map {
                    ReplicationControllerCondition(type: $0.type, status: $0.status, lastTransitionTime: $0.lastTransitionTime, reason: $0.reason, message: $0.message)
                })
        }
    }
}

import Foundation
import KubeAPI

/// Defaults and validation shared by the kinds that carry a pod template.
enum PodTemplateRules {
    static func defaulted(_ template: PodTemplateSpec) -> PodTemplateSpec {
        var t = template
        var spec = t.spec ?? PodSpec()
        PodDefaults.apply(to: &spec)
        t.spec = spec
        return t
    }

    /// `spec.selector` is required and must select the template's labels, as upstream checks.
    static func validate(selector: LabelSelector?, template: PodTemplateSpec?) -> [StatusCause] {
        guard let selector, !(selector.matchLabels ?? [:]).isEmpty || !(selector.matchExpressions ?? []).isEmpty else {
            return [StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.selector")]
        }
        let labels = template?.metadata?.labels ?? [:]
        guard let expression = try? LabelSelectorExpression(selector), expression.matches(labels) else {
            let printed = "map[string]string{" + labels.keys.sorted().map { "\"\($0)\":\"\(labels[$0]!)\"" }.joined(separator: ", ") + "}"
            return [StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(printed): `selector` does not match template `labels`", field: "spec.template.metadata.labels")]
        }
        var causes: [StatusCause] = []
        for (i, container) in (template?.spec?.containers ?? []).enumerated() where (container.image ?? "").isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.template.spec.containers[\(i)].image"))
        }
        if (template?.spec?.containers ?? []).isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.template.spec.containers"))
        }
        return causes
    }
}

/// apps/v1 Deployments: upstream's defaults (1 replica, RollingUpdate 25%/25%, history 10, deadline 600 s).
struct DeploymentStrategy: ResourceStrategy {
    typealias Object = Deployment
    var scalable: Bool { true }

    func prepareForCreate(_ d: inout Deployment, context: AdmissionContext) async throws {
        d.status = DeploymentStatus()
        Self.applyDefaults(&d)
    }

    func prepareForUpdate(_ d: inout Deployment, old: Deployment, context: AdmissionContext) async throws {
        Self.applyDefaults(&d)
    }

    static func applyDefaults(_ d: inout Deployment) {
        guard var spec = d.spec else { return }
        if spec.replicas == nil { spec.replicas = 1 }
        var strategy = spec.strategy ?? KubeAPI.DeploymentStrategy()
        if (strategy.type ?? "").isEmpty { strategy.type = "RollingUpdate" }
        if strategy.type == "RollingUpdate" {
            var rolling = strategy.rollingUpdate ?? RollingUpdateDeployment()
            if rolling.maxUnavailable == nil { rolling.maxUnavailable = .string("25%") }
            if rolling.maxSurge == nil { rolling.maxSurge = .string("25%") }
            strategy.rollingUpdate = rolling
        }
        spec.strategy = strategy
        if spec.revisionHistoryLimit == nil { spec.revisionHistoryLimit = 10 }
        if spec.progressDeadlineSeconds == nil { spec.progressDeadlineSeconds = 600 }
        spec.template = PodTemplateRules.defaulted(spec.template)
        d.spec = spec
    }


    func validate(_ d: Deployment, old: Deployment?) -> [StatusCause] {
        guard let spec = d.spec else { return [StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec")] }
        var causes = PodTemplateRules.validate(selector: spec.selector, template: spec.template)
        if let replicas = spec.replicas, replicas < 0 {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(replicas): must be greater than or equal to 0", field: "spec.replicas"))
        }
        if let old, let oldSelector = old.spec?.selector, oldSelector != spec.selector {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(spec.selector.map { "\($0)" } ?? "nil"): field is immutable", field: "spec.selector"))
        }
        return causes
    }

    var table: TableConverter<Deployment> { Printers.deployment }
}

/// apps/v1 ReplicaSets.
struct ReplicaSetStrategy: ResourceStrategy {
    typealias Object = ReplicaSet
    var scalable: Bool { true }

    func prepareForCreate(_ rs: inout ReplicaSet, context: AdmissionContext) async throws {
        rs.status = ReplicaSetStatus(replicas: 0)
        Self.applyDefaults(&rs)
    }

    func prepareForUpdate(_ rs: inout ReplicaSet, old: ReplicaSet, context: AdmissionContext) async throws {
        Self.applyDefaults(&rs)
    }

    static func applyDefaults(_ rs: inout ReplicaSet) {
        guard var spec = rs.spec else { return }
        if spec.replicas == nil { spec.replicas = 1 }
        spec.template = spec.template.map(PodTemplateRules.defaulted)
        rs.spec = spec
    }


    func validate(_ rs: ReplicaSet, old: ReplicaSet?) -> [StatusCause] {
        guard let spec = rs.spec else { return [StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec")] }
        return PodTemplateRules.validate(selector: spec.selector, template: spec.template)
    }

    var table: TableConverter<ReplicaSet> { Printers.replicaSet }
}

/// apps/v1 DaemonSets: RollingUpdate with maxUnavailable 1 by default.
struct DaemonSetStrategy: ResourceStrategy {
    typealias Object = DaemonSet

    func prepareForCreate(_ ds: inout DaemonSet, context: AdmissionContext) async throws {
        ds.status = DaemonSetStatus(currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0)
        Self.applyDefaults(&ds)
    }

    func prepareForUpdate(_ ds: inout DaemonSet, old: DaemonSet, context: AdmissionContext) async throws {
        Self.applyDefaults(&ds)
    }

    static func applyDefaults(_ ds: inout DaemonSet) {
        guard var spec = ds.spec else { return }
        var strategy = spec.updateStrategy ?? DaemonSetUpdateStrategy()
        if (strategy.type ?? "").isEmpty { strategy.type = "RollingUpdate" }
        if strategy.type == "RollingUpdate" {
            var rolling = strategy.rollingUpdate ?? RollingUpdateDaemonSet()
            if rolling.maxUnavailable == nil { rolling.maxUnavailable = .int(1) }
            if rolling.maxSurge == nil { rolling.maxSurge = .int(0) }
            strategy.rollingUpdate = rolling
        }
        spec.updateStrategy = strategy
        if spec.revisionHistoryLimit == nil { spec.revisionHistoryLimit = 10 }
        spec.template = PodTemplateRules.defaulted(spec.template)
        ds.spec = spec
    }


    func validate(_ ds: DaemonSet, old: DaemonSet?) -> [StatusCause] {
        guard let spec = ds.spec else { return [StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec")] }
        return PodTemplateRules.validate(selector: spec.selector, template: spec.template)
    }

    var table: TableConverter<DaemonSet> { Printers.daemonSet }
}

/// batch/v1 Jobs: selector and labels generated from the Job's uid unless `manualSelector`, upstream's defaults.
struct JobStrategy: ResourceStrategy {
    typealias Object = Job

    func prepareForCreate(_ job: inout Job, context: AdmissionContext) async throws {
        job.status = JobStatus()
        guard var spec = job.spec else { return }
        if spec.manualSelector != true, let uid = job.metadata.uid {
            let labels = ["batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": job.metadata.name ?? "",
                          "controller-uid": uid, "job-name": job.metadata.name ?? ""]
            var template = spec.template
            var metadata = template.metadata ?? ObjectMeta()
            metadata.labels = (metadata.labels ?? [:]).merging(labels) { current, _ in current }
            template.metadata = metadata
            spec.template = template
            spec.selector = LabelSelector(matchLabels: ["batch.kubernetes.io/controller-uid": uid])
        }
        job.spec = spec
        Self.applyDefaults(&job)
    }

    func prepareForUpdate(_ job: inout Job, old: Job, context: AdmissionContext) async throws {
        Self.applyDefaults(&job)
    }

    static func applyDefaults(_ job: inout Job) {
        guard var spec = job.spec else { return }
        if spec.parallelism == nil { spec.parallelism = 1 }
        if spec.completions == nil, spec.parallelism == 1 { spec.completions = 1 }
        if spec.backoffLimit == nil { spec.backoffLimit = 6 }
        if spec.completionMode == nil { spec.completionMode = "NonIndexed" }
        if spec.suspend == nil { spec.suspend = false }
        if spec.podReplacementPolicy == nil { spec.podReplacementPolicy = "TerminatingOrFailed" }
        spec.template = PodTemplateRules.defaulted(spec.template)
        job.spec = spec
    }


    func validate(_ job: Job, old: Job?) -> [StatusCause] {
        guard let spec = job.spec else { return [StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec")] }
        var causes = PodTemplateRules.validate(selector: spec.selector, template: spec.template)
        if let policy = spec.template.spec?.restartPolicy, !["OnFailure", "Never"].contains(policy) {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(policy)\": supported values: \"OnFailure\", \"Never\"", field: "spec.template.spec.restartPolicy"))
        }
        return causes
    }

    /// batch/v1 Jobs orphan their pods unless told otherwise (a legacy default upstream keeps).
    var defaultPropagationPolicy: String { "Orphan" }

    var table: TableConverter<Job> { Printers.job }
}

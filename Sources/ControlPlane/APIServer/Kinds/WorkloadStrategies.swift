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
            return [selectorMismatch(labels)]
        }
        return validateContainers(template)
    }

    /// Upstream's "`selector` does not match template `labels`", printing the labels as Go's `%#v` does.
    static func selectorMismatch(_ labels: [String: String]) -> StatusCause {
        let printed = "map[string]string{" + labels.keys.sorted().map { "\"\($0)\":\"\(labels[$0]!)\"" }.joined(separator: ", ") + "}"
        return StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(printed): `selector` does not match template `labels`", field: "spec.template.metadata.labels")
    }

    /// Every container of the template needs an image, and there must be one; containers' resources as a pod's.
    static func validateContainers(_ template: PodTemplateSpec?) -> [StatusCause] {
        var causes: [StatusCause] = []
        for (group, containers) in [("initContainers", template?.spec?.initContainers ?? []), ("containers", template?.spec?.containers ?? [])] {
            for (i, container) in containers.enumerated() {
                let field = "spec.template.spec.\(group)[\(i)]"
                if group == "containers", (container.image ?? "").isEmpty {
                    causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "\(field).image"))
                }
                causes += ContainerResourceValidation.validate(container.resources, field: "\(field).resources")
            }
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
    var tracksGeneration: Bool { true }
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
    var tracksGeneration: Bool { true }
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

/// apps/v1 DaemonSets: RollingUpdate with maxUnavailable 1 by default, and the template generation upstream
/// counts in the `deprecated.daemonset.template.generation` annotation (1 on create, +1 whenever the template
/// changes; clients cannot set it), which the DaemonSet controller copies into its pods' `pod-template-generation`.
struct DaemonSetStrategy: ResourceStrategy {
    typealias Object = DaemonSet
    var tracksGeneration: Bool { true }
    static let templateGenerationAnnotation = "deprecated.daemonset.template.generation"

    func prepareForCreate(_ ds: inout DaemonSet, context: AdmissionContext) async throws {
        ds.status = DaemonSetStatus(currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0)
        Self.applyDefaults(&ds)
        Self.setTemplateGeneration(&ds, 1)
    }

    func prepareForUpdate(_ ds: inout DaemonSet, old: DaemonSet, context: AdmissionContext) async throws {
        Self.applyDefaults(&ds)
        let generation = old.metadata.annotations?[Self.templateGenerationAnnotation].flatMap { Int64($0) } ?? 1
        Self.setTemplateGeneration(&ds, ds.spec?.template != old.spec?.template ? generation + 1 : generation)
    }

    static func setTemplateGeneration(_ ds: inout DaemonSet, _ generation: Int64) {
        var annotations = ds.metadata.annotations ?? [:]
        annotations[templateGenerationAnnotation] = String(generation)
        ds.metadata.annotations = annotations
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
        var causes = PodTemplateRules.validate(selector: spec.selector, template: spec.template)
        if let policy = spec.template.spec?.restartPolicy, policy != "Always" {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(policy)\": supported values: \"Always\"", field: "spec.template.spec.restartPolicy"))
        }
        let strategy = spec.updateStrategy?.type ?? "RollingUpdate"
        if !["RollingUpdate", "OnDelete"].contains(strategy) {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(strategy)\": supported values: \"OnDelete\", \"RollingUpdate\"", field: "spec.updateStrategy.type"))
        }
        if strategy == "RollingUpdate", let rolling = spec.updateStrategy?.rollingUpdate {
            let unavailable = rolling.maxUnavailable?.scaledValue(total: 100, roundUp: true)
            let surge = rolling.maxSurge?.scaledValue(total: 100, roundUp: true)
            if unavailable == nil || surge == nil {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: must be an integer or percentage (e.g '5%')", field: "spec.updateStrategy.rollingUpdate"))
            } else if unavailable == 0, surge == 0 {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: 0: may not be 0 when `maxSurge` is 0", field: "spec.updateStrategy.rollingUpdate.maxUnavailable"))
            }
        }
        if let old, let oldSelector = old.spec?.selector, oldSelector != spec.selector {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(spec.selector.map { "\($0)" } ?? "nil"): field is immutable", field: "spec.selector"))
        }
        return causes
    }

    var table: TableConverter<DaemonSet> { Printers.daemonSet }
}

/// batch/v1 Jobs: upstream's defaults, and unless `manualSelector` a selector on the Job's uid with the matching
/// template labels (`batch.kubernetes.io/controller-uid`, `batch.kubernetes.io/job-name` and their legacy
/// unprefixed forms), which pods created from the template carry.
struct JobStrategy: ResourceStrategy {
    typealias Object = Job
    var tracksGeneration: Bool { true }
    static let controllerUIDLabel = "batch.kubernetes.io/controller-uid"
    static let jobNameLabel = "batch.kubernetes.io/job-name"
    static let legacyControllerUIDLabel = "controller-uid"
    static let legacyJobNameLabel = "job-name"

    func prepareForCreate(_ job: inout Job, context: AdmissionContext) async throws {
        job.status = JobStatus()
        let takesTemplateLabels = (job.metadata.labels ?? [:]).isEmpty && job.spec?.template.metadata?.labels != nil
        Self.applyDefaults(&job)
        if job.spec?.manualSelector != true { Self.generateSelector(&job) }
        if takesTemplateLabels { job.metadata.labels = job.spec?.template.metadata?.labels }
    }

    func prepareForUpdate(_ job: inout Job, old: Job, context: AdmissionContext) async throws {
        Self.applyDefaults(&job)
    }

    /// Upstream's `SetDefaults_Job`, including its aliasing quirk: a Job without labels takes its template's
    /// labels (upstream shares the map, so on create they include the generated ones).
    static func applyDefaults(_ job: inout Job) {
        guard var spec = job.spec else { return }
        if spec.completions == nil, spec.parallelism == nil {
            spec.completions = 1
            spec.parallelism = 1
        }
        if spec.parallelism == nil { spec.parallelism = 1 }
        if spec.backoffLimit == nil { spec.backoffLimit = spec.backoffLimitPerIndex != nil ? Int32.max : 6 }
        if spec.completionMode == nil { spec.completionMode = "NonIndexed" }
        if spec.suspend == nil { spec.suspend = false }
        if spec.podReplacementPolicy == nil { spec.podReplacementPolicy = spec.podFailurePolicy != nil ? "Failed" : "TerminatingOrFailed" }
        if spec.manualSelector == nil { spec.manualSelector = false }
        if (job.metadata.labels ?? [:]).isEmpty, let labels = spec.template.metadata?.labels, !labels.isEmpty { job.metadata.labels = labels }
        spec.template = PodTemplateRules.defaulted(spec.template)
        job.spec = spec
    }

    /// Upstream's `generateSelector`: template labels the user did not set are added, and the selector gains
    /// `batch.kubernetes.io/controller-uid` unless it names it already (a wrong value then fails validation).
    static func generateSelector(_ job: inout Job) {
        guard var spec = job.spec, let uid = job.metadata.uid else { return }
        let name = job.metadata.name ?? ""
        var meta = spec.template.metadata ?? ObjectMeta()
        var labels = meta.labels ?? [:]
        for (key, value) in [(legacyJobNameLabel, name), (jobNameLabel, name), (legacyControllerUIDLabel, uid), (controllerUIDLabel, uid)]
        where labels[key] == nil {
            labels[key] = value
        }
        meta.labels = labels
        spec.template.metadata = meta
        var selector = spec.selector ?? LabelSelector()
        var matchLabels = selector.matchLabels ?? [:]
        if matchLabels[controllerUIDLabel] == nil { matchLabels[controllerUIDLabel] = uid }
        selector.matchLabels = matchLabels
        spec.selector = selector
        job.spec = spec
    }

    func validate(_ job: Job, old: Job?) -> [StatusCause] {
        guard let spec = job.spec else { return [StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec")] }
        var causes = PodTemplateRules.validate(selector: spec.selector, template: spec.template)
        if let policy = spec.template.spec?.restartPolicy, !["OnFailure", "Never"].contains(policy) {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(policy)\": supported values: \"OnFailure\", \"Never\"", field: "spec.template.spec.restartPolicy"))
        }
        for (field, value) in [("parallelism", spec.parallelism.map(Int64.init)), ("completions", spec.completions.map(Int64.init)),
                               ("backoffLimit", spec.backoffLimit.map(Int64.init)), ("activeDeadlineSeconds", spec.activeDeadlineSeconds),
                               ("ttlSecondsAfterFinished", spec.ttlSecondsAfterFinished.map(Int64.init))] {
            guard let value else { continue }
            let positive = field == "activeDeadlineSeconds"
            if positive ? value <= 0 : value < 0 {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(value): must be \(positive ? "greater than 0" : "greater than or equal to 0")", field: "spec.\(field)"))
            }
        }
        // Upstream's validatePodFailurePolicy essentials: known actions, FailIndex only with backoffLimitPerIndex,
        // restartPolicy Never.
        if let policy = spec.podFailurePolicy {
            if let restart = spec.template.spec?.restartPolicy, restart != "Never" {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(restart)\": only \"Never\" is supported when podFailurePolicy is specified", field: "spec.template.spec.restartPolicy"))
            }
            for (i, rule) in policy.rules.enumerated() {
                let path = "spec.podFailurePolicy.rules[\(i)].action"
                if !["Count", "FailIndex", "FailJob", "Ignore"].contains(rule.action) {
                    causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(rule.action)\": supported values: \"Count\", \"FailIndex\", \"FailJob\", \"Ignore\"", field: path))
                } else if rule.action == "FailIndex", spec.backoffLimitPerIndex == nil {
                    causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"FailIndex\": requires the backoffLimitPerIndex to be set", field: path))
                }
            }
        }
        if let mode = spec.completionMode, !["NonIndexed", "Indexed"].contains(mode) {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(mode)\": supported values: \"NonIndexed\", \"Indexed\"", field: "spec.completionMode"))
        }
        if let perIndex = spec.backoffLimitPerIndex {
            if perIndex < 0 {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(perIndex): must be greater than or equal to 0", field: "spec.backoffLimitPerIndex"))
            } else if spec.completionMode != "Indexed" {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(perIndex): requires indexed completion mode", field: "spec.backoffLimitPerIndex"))
            }
        }
        if let maxFailed = spec.maxFailedIndexes {
            if spec.backoffLimitPerIndex == nil {
                causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: when maxFailedIndexes is specified", field: "spec.backoffLimitPerIndex"))
            }
            if maxFailed < 0 {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(maxFailed): must be greater than or equal to 0", field: "spec.maxFailedIndexes"))
            } else if let completions = spec.completions, maxFailed > completions {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(maxFailed): must be less than or equal to completions", field: "spec.maxFailedIndexes"))
            }
        }
        if spec.completionMode == "Indexed", spec.completions == nil {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: when completion mode is Indexed", field: "spec.completions"))
        }
        if spec.manualSelector != true, let uid = job.metadata.uid {
            // The generated selector must still be the uid's (upstream's ValidateGeneratedSelector).
            let labels = spec.template.metadata?.labels ?? [:]
            for key in [Self.controllerUIDLabel, Self.legacyControllerUIDLabel] where labels[key] != uid {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(labels[key] ?? "")\": must be '\(uid)'", field: "spec.template.metadata.labels[\(key)]"))
            }
            if spec.selector?.matchLabels?[Self.controllerUIDLabel] != uid {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(spec.selector?.matchLabels?[Self.controllerUIDLabel] ?? "")\": must be '\(uid)'", field: "spec.selector.matchLabels[\(Self.controllerUIDLabel)]"))
            }
        }
        if let old, let oldSpec = old.spec {
            // Upstream's ValidateJobUpdate: what identifies the pods and how many must succeed cannot change
            // (the template only while the Job is suspended and has never started).
            let mayChangeTemplate = oldSpec.suspend == true && old.status?.startTime == nil
            for (field, changed) in [("selector", spec.selector != oldSpec.selector),
                                     ("template", !mayChangeTemplate && spec.template != oldSpec.template),
                                     ("completions", spec.completionMode != "Indexed" && spec.completions != oldSpec.completions),
                                     ("completionMode", spec.completionMode != oldSpec.completionMode),
                                     ("podFailurePolicy", spec.podFailurePolicy != oldSpec.podFailurePolicy)] where changed {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: field is immutable", field: "spec.\(field)"))
            }
        }
        return causes
    }

    /// batch/v1 Jobs orphan their pods unless told otherwise (a legacy default upstream keeps).
    var defaultPropagationPolicy: String { "Orphan" }

    var table: TableConverter<Job> { Printers.job }
}

import Foundation

/// batch/v1 `Job`: pods that run to completion.
public struct Job: KubeObject {
    public static let resource = ResourceInfo(group: "batch", version: "v1", plural: "jobs", singular: "job", kind: "Job", namespaced: true, categories: ["all"])

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: JobSpec?
    public var status: JobStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: JobSpec? = nil, status: JobStatus? = nil) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try c.decodeIfPresent(JobSpec.self, forKey: .spec)
        status = try c.decodeIfPresent(JobStatus.self, forKey: .status)
    }
}

/// batch/v1 `JobSpec`.
public struct JobSpec: Codable, Sendable, Hashable {
    public var parallelism: Int32?
    public var completions: Int32?
    public var activeDeadlineSeconds: Int64?
    public var podFailurePolicy: PodFailurePolicy?
    public var successPolicy: SuccessPolicy?
    public var backoffLimit: Int32?
    public var backoffLimitPerIndex: Int32?
    public var maxFailedIndexes: Int32?
    public var selector: LabelSelector?
    public var manualSelector: Bool?
    /// Required upstream (`json:"template"`), so it is always encoded.
    public var template: PodTemplateSpec
    public var ttlSecondsAfterFinished: Int32?
    /// `NonIndexed` or `Indexed`.
    public var completionMode: String?
    public var suspend: Bool?
    /// `TerminatingOrFailed` or `Failed`.
    public var podReplacementPolicy: String?
    public var managedBy: String?

    public init(
        parallelism: Int32? = nil,
        completions: Int32? = nil,
        activeDeadlineSeconds: Int64? = nil,
        podFailurePolicy: PodFailurePolicy? = nil,
        successPolicy: SuccessPolicy? = nil,
        backoffLimit: Int32? = nil,
        backoffLimitPerIndex: Int32? = nil,
        maxFailedIndexes: Int32? = nil,
        selector: LabelSelector? = nil,
        manualSelector: Bool? = nil,
        template: PodTemplateSpec = PodTemplateSpec(),
        ttlSecondsAfterFinished: Int32? = nil,
        completionMode: String? = nil,
        suspend: Bool? = nil,
        podReplacementPolicy: String? = nil,
        managedBy: String? = nil
    ) {
        self.parallelism = parallelism
        self.completions = completions
        self.activeDeadlineSeconds = activeDeadlineSeconds
        self.podFailurePolicy = podFailurePolicy
        self.successPolicy = successPolicy
        self.backoffLimit = backoffLimit
        self.backoffLimitPerIndex = backoffLimitPerIndex
        self.maxFailedIndexes = maxFailedIndexes
        self.selector = selector
        self.manualSelector = manualSelector
        self.template = template
        self.ttlSecondsAfterFinished = ttlSecondsAfterFinished
        self.completionMode = completionMode
        self.suspend = suspend
        self.podReplacementPolicy = podReplacementPolicy
        self.managedBy = managedBy
    }

    enum CodingKeys: String, CodingKey { case parallelism, completions, activeDeadlineSeconds, podFailurePolicy, successPolicy, backoffLimit, backoffLimitPerIndex, maxFailedIndexes, selector, manualSelector, template, ttlSecondsAfterFinished, completionMode, suspend, podReplacementPolicy, managedBy }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        parallelism = try c.decodeIfPresent(Int32.self, forKey: .parallelism)
        completions = try c.decodeIfPresent(Int32.self, forKey: .completions)
        activeDeadlineSeconds = try c.decodeIfPresent(Int64.self, forKey: .activeDeadlineSeconds)
        podFailurePolicy = try c.decodeIfPresent(PodFailurePolicy.self, forKey: .podFailurePolicy)
        successPolicy = try c.decodeIfPresent(SuccessPolicy.self, forKey: .successPolicy)
        backoffLimit = try c.decodeIfPresent(Int32.self, forKey: .backoffLimit)
        backoffLimitPerIndex = try c.decodeIfPresent(Int32.self, forKey: .backoffLimitPerIndex)
        maxFailedIndexes = try c.decodeIfPresent(Int32.self, forKey: .maxFailedIndexes)
        selector = try c.decodeIfPresent(LabelSelector.self, forKey: .selector)
        manualSelector = try c.decodeIfPresent(Bool.self, forKey: .manualSelector)
        template = try c.decodeIfPresent(PodTemplateSpec.self, forKey: .template) ?? PodTemplateSpec()
        ttlSecondsAfterFinished = try c.decodeIfPresent(Int32.self, forKey: .ttlSecondsAfterFinished)
        completionMode = try c.decodeIfPresent(String.self, forKey: .completionMode)
        suspend = try c.decodeIfPresent(Bool.self, forKey: .suspend)
        podReplacementPolicy = try c.decodeIfPresent(String.self, forKey: .podReplacementPolicy)
        managedBy = try c.decodeIfPresent(String.self, forKey: .managedBy)
    }
}

/// batch/v1 `PodFailurePolicy`: rules evaluated in order on each failed pod.
public struct PodFailurePolicy: Codable, Sendable, Hashable {
    public var rules: [PodFailurePolicyRule]

    public init(rules: [PodFailurePolicyRule] = []) {
        self.rules = rules
    }

    enum CodingKeys: String, CodingKey { case rules }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rules = try c.decodeIfPresent([PodFailurePolicyRule].self, forKey: .rules) ?? []
    }
}

/// batch/v1 `PodFailurePolicyRule`: `FailJob`, `FailIndex`, `Ignore` or `Count`.
public struct PodFailurePolicyRule: Codable, Sendable, Hashable {
    public var action: String
    public var onExitCodes: PodFailurePolicyOnExitCodesRequirement?
    public var onPodConditions: [PodFailurePolicyOnPodConditionsPattern]?

    public init(action: String, onExitCodes: PodFailurePolicyOnExitCodesRequirement? = nil, onPodConditions: [PodFailurePolicyOnPodConditionsPattern]? = nil) {
        self.action = action
        self.onExitCodes = onExitCodes
        self.onPodConditions = onPodConditions
    }

    enum CodingKeys: String, CodingKey { case action, onExitCodes, onPodConditions }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        action = try c.decodeIfPresent(String.self, forKey: .action) ?? ""
        onExitCodes = try c.decodeIfPresent(PodFailurePolicyOnExitCodesRequirement.self, forKey: .onExitCodes)
        onPodConditions = try c.decodeIfPresent([PodFailurePolicyOnPodConditionsPattern].self, forKey: .onPodConditions)
    }
}

/// batch/v1 `PodFailurePolicyOnExitCodesRequirement`: `In` or `NotIn` a set of exit codes.
public struct PodFailurePolicyOnExitCodesRequirement: Codable, Sendable, Hashable {
    public var containerName: String?
    public var `operator`: String
    public var values: [Int32]

    public init(containerName: String? = nil, `operator`: String, values: [Int32] = []) {
        self.containerName = containerName
        self.`operator` = `operator`
        self.values = values
    }

    enum CodingKeys: String, CodingKey { case containerName, `operator`, values }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        containerName = try c.decodeIfPresent(String.self, forKey: .containerName)
        `operator` = try c.decodeIfPresent(String.self, forKey: .`operator`) ?? ""
        values = try c.decodeIfPresent([Int32].self, forKey: .values) ?? []
    }
}

/// batch/v1 `PodFailurePolicyOnPodConditionsPattern`.
public struct PodFailurePolicyOnPodConditionsPattern: Codable, Sendable, Hashable {
    public var type: String
    public var status: String?

    public init(type: String, status: String? = nil) {
        self.type = type
        self.status = status
    }

    enum CodingKeys: String, CodingKey { case type, status }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? ""
        status = try c.decodeIfPresent(String.self, forKey: .status)
    }
}

/// batch/v1 `SuccessPolicy`: when an indexed job counts as succeeded early.
public struct SuccessPolicy: Codable, Sendable, Hashable {
    public var rules: [SuccessPolicyRule]

    public init(rules: [SuccessPolicyRule] = []) {
        self.rules = rules
    }

    enum CodingKeys: String, CodingKey { case rules }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rules = try c.decodeIfPresent([SuccessPolicyRule].self, forKey: .rules) ?? []
    }
}

/// batch/v1 `SuccessPolicyRule`.
public struct SuccessPolicyRule: Codable, Sendable, Hashable {
    public var succeededIndexes: String?
    public var succeededCount: Int32?

    public init(succeededIndexes: String? = nil, succeededCount: Int32? = nil) {
        self.succeededIndexes = succeededIndexes
        self.succeededCount = succeededCount
    }
}

/// batch/v1 `JobStatus`.
public struct JobStatus: Codable, Sendable, Hashable {
    public var conditions: [JobCondition]?
    public var startTime: Time?
    public var completionTime: Time?
    public var active: Int32?
    public var succeeded: Int32?
    public var failed: Int32?
    public var terminating: Int32?
    public var completedIndexes: String?
    public var failedIndexes: String?
    public var uncountedTerminatedPods: UncountedTerminatedPods?
    public var ready: Int32?

    public init(
        conditions: [JobCondition]? = nil,
        startTime: Time? = nil,
        completionTime: Time? = nil,
        active: Int32? = nil,
        succeeded: Int32? = nil,
        failed: Int32? = nil,
        terminating: Int32? = nil,
        completedIndexes: String? = nil,
        failedIndexes: String? = nil,
        uncountedTerminatedPods: UncountedTerminatedPods? = nil,
        ready: Int32? = nil
    ) {
        self.conditions = conditions
        self.startTime = startTime
        self.completionTime = completionTime
        self.active = active
        self.succeeded = succeeded
        self.failed = failed
        self.terminating = terminating
        self.completedIndexes = completedIndexes
        self.failedIndexes = failedIndexes
        self.uncountedTerminatedPods = uncountedTerminatedPods
        self.ready = ready
    }
}

/// batch/v1 `JobCondition`: `Complete`, `Failed`, `Suspended`, `FailureTarget`, `SuccessCriteriaMet`.
public struct JobCondition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var lastProbeTime: Time?
    public var lastTransitionTime: Time?
    public var reason: String?
    public var message: String?

    public init(
        type: String,
        status: String,
        lastProbeTime: Time? = nil,
        lastTransitionTime: Time? = nil,
        reason: String? = nil,
        message: String? = nil
    ) {
        self.type = type
        self.status = status
        self.lastProbeTime = lastProbeTime
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }

    enum CodingKeys: String, CodingKey { case type, status, lastProbeTime, lastTransitionTime, reason, message }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? ""
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? ""
        lastProbeTime = try c.decodeIfPresent(Time.self, forKey: .lastProbeTime)
        lastTransitionTime = try c.decodeIfPresent(Time.self, forKey: .lastTransitionTime)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        message = try c.decodeIfPresent(String.self, forKey: .message)
    }
}

/// batch/v1 `UncountedTerminatedPods`: UIDs of finished pods not yet counted in the status.
public struct UncountedTerminatedPods: Codable, Sendable, Hashable {
    public var succeeded: [String]?
    public var failed: [String]?

    public init(succeeded: [String]? = nil, failed: [String]? = nil) {
        self.succeeded = succeeded
        self.failed = failed
    }
}

import Foundation

/// batch/v1 `CronJob`: a Job created on a cron schedule.
public struct CronJob: KubeObject {
    public static let resource = ResourceInfo(group: "batch", version: "v1", plural: "cronjobs", singular: "cronjob", kind: "CronJob", namespaced: true, shortNames: ["cj"], categories: ["all"])

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: CronJobSpec?
    public var status: CronJobStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: CronJobSpec? = nil, status: CronJobStatus? = nil) {
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
        spec = try c.decodeIfPresent(CronJobSpec.self, forKey: .spec)
        status = try c.decodeIfPresent(CronJobStatus.self, forKey: .status)
    }
}

/// batch/v1 `CronJobSpec`. `schedule` and `jobTemplate` are required upstream, so they are always encoded.
public struct CronJobSpec: Codable, Sendable, Hashable {
    /// Five cron fields (`*/5 * * * *`) or a macro (`@hourly`).
    public var schedule: String
    /// An IANA time zone name (`Europe/Berlin`); the controller's local zone when absent.
    public var timeZone: String?
    public var startingDeadlineSeconds: Int64?
    /// `Allow` (default), `Forbid` or `Replace`.
    public var concurrencyPolicy: String?
    public var suspend: Bool?
    public var jobTemplate: JobTemplateSpec
    public var successfulJobsHistoryLimit: Int32?
    public var failedJobsHistoryLimit: Int32?

    public init(schedule: String = "", timeZone: String? = nil, startingDeadlineSeconds: Int64? = nil,
                concurrencyPolicy: String? = nil, suspend: Bool? = nil, jobTemplate: JobTemplateSpec = JobTemplateSpec(),
                successfulJobsHistoryLimit: Int32? = nil, failedJobsHistoryLimit: Int32? = nil) {
        self.schedule = schedule
        self.timeZone = timeZone
        self.startingDeadlineSeconds = startingDeadlineSeconds
        self.concurrencyPolicy = concurrencyPolicy
        self.suspend = suspend
        self.jobTemplate = jobTemplate
        self.successfulJobsHistoryLimit = successfulJobsHistoryLimit
        self.failedJobsHistoryLimit = failedJobsHistoryLimit
    }

    enum CodingKeys: String, CodingKey {
        case schedule, timeZone, startingDeadlineSeconds, concurrencyPolicy, suspend, jobTemplate
        case successfulJobsHistoryLimit, failedJobsHistoryLimit
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schedule = try c.decodeIfPresent(String.self, forKey: .schedule) ?? ""
        timeZone = try c.decodeIfPresent(String.self, forKey: .timeZone)
        startingDeadlineSeconds = try c.decodeIfPresent(Int64.self, forKey: .startingDeadlineSeconds)
        concurrencyPolicy = try c.decodeIfPresent(String.self, forKey: .concurrencyPolicy)
        suspend = try c.decodeIfPresent(Bool.self, forKey: .suspend)
        jobTemplate = try c.decodeIfPresent(JobTemplateSpec.self, forKey: .jobTemplate) ?? JobTemplateSpec()
        successfulJobsHistoryLimit = try c.decodeIfPresent(Int32.self, forKey: .successfulJobsHistoryLimit)
        failedJobsHistoryLimit = try c.decodeIfPresent(Int32.self, forKey: .failedJobsHistoryLimit)
    }
}

/// batch/v1 `JobTemplateSpec`: the metadata and spec of the Jobs a CronJob creates.
public struct JobTemplateSpec: Codable, Sendable, Hashable {
    public var metadata: ObjectMeta?
    public var spec: JobSpec?

    public init(metadata: ObjectMeta? = nil, spec: JobSpec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// batch/v1 `CronJobStatus`.
public struct CronJobStatus: Codable, Sendable, Hashable {
    /// The Jobs still running.
    public var active: [ObjectReference]?
    public var lastScheduleTime: Time?
    public var lastSuccessfulTime: Time?

    public init(active: [ObjectReference]? = nil, lastScheduleTime: Time? = nil, lastSuccessfulTime: Time? = nil) {
        self.active = active
        self.lastScheduleTime = lastScheduleTime
        self.lastSuccessfulTime = lastSuccessfulTime
    }
}

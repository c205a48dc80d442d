import Foundation
import KubeAPI

/// batch/v1 CronJobs: upstream's defaults (concurrencyPolicy Allow, not suspended, 3 successful and 1 failed
/// Jobs kept) and validation: the schedule parses as the controller will parse it, `TZ=`/`CRON_TZ=` in the
/// schedule is refused in favour of `spec.timeZone`, which must name a zone of the system's tz database.
struct CronJobStrategy: ResourceStrategy {
    typealias Object = CronJob
    var tracksGeneration: Bool { true }

    func prepareForCreate(_ cronJob: inout CronJob, context: AdmissionContext) async throws {
        cronJob.status = CronJobStatus()
        Self.applyDefaults(&cronJob)
    }

    func prepareForUpdate(_ cronJob: inout CronJob, old: CronJob, context: AdmissionContext) async throws {
        Self.applyDefaults(&cronJob)
    }

    static func applyDefaults(_ cronJob: inout CronJob) {
        guard var spec = cronJob.spec else { return }
        if (spec.concurrencyPolicy ?? "").isEmpty { spec.concurrencyPolicy = "Allow" }
        if spec.suspend == nil { spec.suspend = false }
        if spec.successfulJobsHistoryLimit == nil { spec.successfulJobsHistoryLimit = 3 }
        if spec.failedJobsHistoryLimit == nil { spec.failedJobsHistoryLimit = 1 }
        // Upstream defaults only the pod template here; the Job's own defaults apply when a Job is created.
        if var job = spec.jobTemplate.spec {
            job.template = PodTemplateRules.defaulted(job.template)
            spec.jobTemplate.spec = job
        }
        cronJob.spec = spec
    }

    func validate(_ cronJob: CronJob, old: CronJob?) -> [StatusCause] {
        var causes: [StatusCause] = []
        func invalid(_ field: String, _ value: String, _ detail: String) {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(value)\": \(detail)", field: field))
        }
        // The controller names Jobs `<name>-<minutes>` (11 more characters), and Job names feed a 63-character label.
        if let name = cronJob.metadata.name, name.count > 52 { invalid("metadata.name", name, "must be no more than 52 characters") }
        guard let spec = cronJob.spec else { return causes + [StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec")] }
        if spec.schedule.isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.schedule"))
        } else if spec.schedule.contains("TZ") {
            // Upstream lets an object that already had one keep it, but refuses new ones.
            if old?.spec?.schedule.contains("TZ") != true {
                invalid("spec.schedule", spec.schedule, spec.timeZone != nil
                    ? "cannot use both timeZone field and TZ or CRON_TZ in schedule"
                    : "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
            }
        } else {
            do {
                _ = try CronSchedule(parsing: spec.schedule)
            } catch {
                invalid("spec.schedule", spec.schedule, error.message)
            }
        }
        if let zone = spec.timeZone {
            if zone.isEmpty {
                invalid("spec.timeZone", zone, "timeZone must be nil or non-empty string")
            } else if zone.caseInsensitiveCompare("Local") == .orderedSame {
                invalid("spec.timeZone", zone, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")
            } else if !Self.isKnownTimeZone(zone) {
                invalid("spec.timeZone", zone, "unknown time zone \(zone)")
            }
        }
        switch spec.concurrencyPolicy ?? "" {
        case "": causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.concurrencyPolicy"))
        case "Allow", "Forbid", "Replace": break
        case let policy:
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(policy)\": supported values: \"Allow\", \"Forbid\", \"Replace\"", field: "spec.concurrencyPolicy"))
        }
        for (field, value) in [("startingDeadlineSeconds", spec.startingDeadlineSeconds), ("successfulJobsHistoryLimit", spec.successfulJobsHistoryLimit.map(Int64.init)),
                               ("failedJobsHistoryLimit", spec.failedJobsHistoryLimit.map(Int64.init))] {
            if let value, value < 0 {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(value): must be greater than or equal to 0", field: "spec.\(field)"))
            }
        }
        causes += Self.validateJobTemplate(spec.jobTemplate)
        return causes
    }

    /// The Job template's spec, checked as a Job's would be where it does not depend on a generated selector.
    static func validateJobTemplate(_ template: JobTemplateSpec) -> [StatusCause] {
        let path = "spec.jobTemplate.spec"
        guard let spec = template.spec else {
            return [StatusCause(reason: "FieldValueRequired", message: "Required value", field: path)]
        }
        var causes: [StatusCause] = []
        let containers = spec.template.spec?.containers ?? []
        if containers.isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "\(path).template.spec.containers"))
        }
        for (i, container) in containers.enumerated() where (container.image ?? "").isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "\(path).template.spec.containers[\(i)].image"))
        }
        if let policy = spec.template.spec?.restartPolicy, !["OnFailure", "Never"].contains(policy) {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(policy)\": supported values: \"OnFailure\", \"Never\"", field: "\(path).template.spec.restartPolicy"))
        }
        for (field, value) in [("parallelism", spec.parallelism.map(Int64.init)), ("completions", spec.completions.map(Int64.init)),
                               ("backoffLimit", spec.backoffLimit.map(Int64.init)), ("ttlSecondsAfterFinished", spec.ttlSecondsAfterFinished.map(Int64.init))] {
            if let value, value < 0 {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(value): must be greater than or equal to 0", field: "\(path).\(field)"))
            }
        }
        if let deadline = spec.activeDeadlineSeconds, deadline <= 0 {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(deadline): must be greater than 0", field: "\(path).activeDeadlineSeconds"))
        }
        if let selector = spec.selector, spec.manualSelector == true {
            causes += PodTemplateRules.validate(selector: selector, template: spec.template).map {
                var cause = $0
                cause.field = cause.field.map { path + "." + $0.dropFirst("spec.".count) }
                return cause
            }
        }
        return causes
    }

    /// Whether `zone` names a zone in the system's tz database (what Go's `time.LoadLocation` reads).
    static func isKnownTimeZone(_ zone: String) -> Bool {
        guard !zone.hasPrefix("/"), !zone.contains(".."), TimeZone(identifier: zone) != nil else { return false }
        return FileManager.default.fileExists(atPath: "/usr/share/zoneinfo/" + zone) || zone == "UTC"
    }

    /// batch/v1 CronJobs orphan their Jobs unless told otherwise, as Jobs orphan their pods.
    var defaultPropagationPolicy: String { "Orphan" }

    var table: TableConverter<CronJob> { Printers.cronJob }
}

extension Printers {
    /// Upstream's `printCronJob`: NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE (CONTAINERS IMAGES
    /// SELECTOR wide).
    static var cronJob: TableConverter<CronJob> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Schedule", type: "string", description: "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
            .init(name: "Timezone", type: "string", description: "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones"),
            .init(name: "Suspend", type: "boolean", description: "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false."),
            .init(name: "Active", type: "integer", description: "A list of pointers to currently running jobs."),
            .init(name: "Last Schedule", type: "string", description: "Information when was the last time the job was successfully scheduled."),
            .init(name: "Age", type: "string", description: ageDescription),
        ] + templateColumns + [selectorColumn]) { cronJob, now in
            let job = cronJob.spec?.jobTemplate.spec
            let (containers, images) = containersAndImages(job?.template.spec)
            let lastSchedule: JSONValue = cronJob.status?.lastScheduleTime.map { ageCell($0, now: now) } ?? .string("<none>")
            return [.string(cronJob.metadata.name ?? ""), .string(cronJob.spec?.schedule ?? ""),
                    .string(nonEmpty(cronJob.spec?.timeZone)), .string(cronJob.spec?.suspend.map { $0 ? "True" : "False" } ?? "<unset>"),
                    .int(Int64(cronJob.status?.active?.count ?? 0)), lastSchedule,
                    ageCell(cronJob.metadata.creationTimestamp, now: now), .string(containers), .string(images),
                    .string(labelSelectorString(job?.selector))]
        }
    }
}

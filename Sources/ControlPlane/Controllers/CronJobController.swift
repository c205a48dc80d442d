import Foundation
import KubeAPI
import KubeClient
import Logging

/// Creates a CronJob's Jobs on its schedule (upstream's `cronjob-controller`, the v2 controller).
///
/// Each sync reconciles `status.active` with the Jobs the CronJob controls, then, unless suspended, finds the most
/// recent scheduled time that has passed (since `lastScheduleTime`, or creation, bounded by
/// `startingDeadlineSeconds`) and creates its Job `<cronjob>-<scheduled time in minutes since the epoch>` with the
/// `batch.kubernetes.io/cronjob-scheduled-timestamp` annotation, honouring `concurrencyPolicy` (`Allow`, `Forbid`
/// skips while one runs, `Replace` deletes the running ones first). More than 100 missed times are reported as a
/// `TooManyMissedTimes` event; a time older than the starting deadline is skipped with `MissedSchedule`. Finished
/// Jobs beyond `successfulJobsHistoryLimit`/`failedJobsHistoryLimit` are deleted, oldest first, and the key is
/// requeued for the next scheduled time.
///
/// The clock is injectable, so tests can run a schedule without waiting for it.
public struct CronJobController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "cronjob-controller"
    /// The annotation with the scheduled time of a Job, RFC 3339 in the CronJob's time zone.
    static let scheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp"
    /// More missed start times than this are reported (upstream's limit).
    static let missedTimesLimit = 100

    public var name: String { Self.controllerName }
    let client: KubeClient
    let cronJobs: Informer<CronJob>
    let jobs: Informer<Job>
    let queue: WorkQueue
    let logger: Logger
    let events: EventRecorder
    let metrics: ControllerMetrics
    let clock: @Sendable () -> Date

    /// Registers the CronJob and Job handlers; `clock` is the controller's notion of now.
    public init(context: ControllerContext, clock: @escaping @Sendable () -> Date = { Date() }) {
        client = context.client
        cronJobs = context.informers.informer(CronJob.self)
        jobs = context.informers.informer(Job.self)
        logger = context.logger(for: Self.controllerName)
        events = EventRecorder(client: context.client, component: Self.controllerName, logger: logger)
        queue = WorkQueue(name: "cronjob", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        self.clock = clock
        let queue = queue
        cronJobs.addHandler(InformerHandler(
            onAdd: { await queue.add(Informer.key(for: $0)) },
            onUpdate: { old, new in
                guard old.metadata.resourceVersion != new.metadata.resourceVersion else { return }
                await queue.add(Informer.key(for: new))
            },
            onDelete: { _ in }))
        let handler = self
        jobs.addHandler(InformerHandler(
            onAdd: { await handler.enqueueOwner(of: $0) },
            onUpdate: { await handler.enqueueOwner(of: $1) },
            onDelete: { await handler.enqueueOwner(of: $0) }))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await sync(key) }
    }

    func enqueueOwner(of job: Job) async {
        guard let ref = job.metadata.controllerRef, ref.kind == CronJob.resource.kind,
              let cronJob = cronJobs.get(name: ref.name, namespace: job.metadata.namespace), cronJob.metadata.uid == ref.uid else { return }
        await queue.add(Informer.key(for: cronJob))
    }

    // MARK: Reconcile

    func sync(_ key: String) async throws {
        guard let cached = cronJobs.get(key) else { return }
        let children = jobs.list(namespace: cached.metadata.namespace).filter { $0.metadata.controllerRef?.uid == cached.metadata.uid }
        let cronJob = try await freshIfForgotten(cached, children: children)
        var status = try await reconcileActive(cronJob, children: children)
        let outcome = try await schedule(cronJob, status: &status)
        try await writeStatus(cronJob, status)
        if cronJob.metadata.deletionTimestamp == nil { try await cleanupFinishedJobs(cronJob, children: children) }
        if let requeue = outcome { await queue.addAfter(key, delay: requeue) }
    }

    /// The CronJob to sync: the cached one, or, when a running child is missing from its `status.active`, the
    /// server's copy if that lists it. The Job informer can be ahead of the CronJob informer (a sync that just
    /// created a Job and wrote the status runs again on the Job's watch event before the status write is seen),
    /// and syncing the stale copy would report the controller's own Job as unexpected, schedule from a stale
    /// `lastScheduleTime` and write the status with a stale resourceVersion (upstream's `syncCronJob` re-reads the
    /// CronJob the same way).
    func freshIfForgotten(_ cronJob: CronJob, children: [Job]) async throws -> CronJob {
        let active = Set((cronJob.status?.active ?? []).compactMap(\.uid))
        let forgotten = children.filter { $0.finishedCondition == nil && !active.contains($0.metadata.uid ?? "") }
        guard !forgotten.isEmpty else { return cronJob }
        let fresh: CronJob
        do {
            fresh = try await client.get(CronJob.self, name: cronJob.metadata.name ?? "", namespace: cronJob.metadata.namespace)
        } catch {
            throw ControllerError.api(error)
        }
        guard fresh.metadata.uid == cronJob.metadata.uid else { return cronJob }
        let listed = Set((fresh.status?.active ?? []).compactMap(\.uid))
        return forgotten.contains { listed.contains($0.metadata.uid ?? "") } ? fresh : cronJob
    }

    /// Upstream's active-list bookkeeping: finished Jobs leave `status.active` (a successful one sets
    /// `lastSuccessfulTime`), Jobs that no longer exist are dropped.
    func reconcileActive(_ cronJob: CronJob, children: [Job]) async throws -> CronJobStatus {
        var status = cronJob.status ?? CronJobStatus()
        var active = status.active ?? []
        for job in children {
            let inActive = active.contains { $0.uid == job.metadata.uid }
            if let finished = job.finishedCondition {
                guard inActive else { continue }
                active.removeAll { $0.uid == job.metadata.uid }
                events.record(cronJob, reason: "SawCompletedJob", message: "Saw completed job: \(job.metadata.name ?? ""), condition: \(finished.type)")
                if finished.type == "Complete", let done = job.status?.completionTime,
                   status.lastSuccessfulTime.map({ $0.date < done.date }) ?? true {
                    status.lastSuccessfulTime = done
                }
            } else if !inActive {
                events.record(cronJob, "Warning", reason: "UnexpectedJob", message: "Saw a job that the controller did not create or forgot: \(job.metadata.name ?? "")")
            }
        }
        let childUIDs = Set(children.compactMap(\.metadata.uid))
        for ref in active where !childUIDs.contains(ref.uid ?? "") {
            do {
                let job = try await client.get(Job.self, name: ref.name ?? "", namespace: cronJob.metadata.namespace)
                if job.metadata.uid == ref.uid { continue }
            } catch where !error.isNotFound {
                throw ControllerError.api(error)
            } catch {}
            events.record(cronJob, reason: "MissingJob", message: "Active job went missing: \(ref.name ?? "")")
            active.removeAll { $0.uid == ref.uid }
        }
        status.active = active.isEmpty ? nil : active
        return status
    }

    /// Starts the Job due now, if any, and returns when to look again (`nil`: not until the CronJob changes).
    func schedule(_ cronJob: CronJob, status: inout CronJobStatus) async throws -> Duration? {
        guard cronJob.metadata.deletionTimestamp == nil, let spec = cronJob.spec else { return nil }
        let zone: TimeZone
        if let name = spec.timeZone {
            guard let named = TimeZone(identifier: name) else {
                events.record(cronJob, "Warning", reason: "UnknownTimeZone", message: "invalid timeZone: \"\(name)\": unknown time zone \(name)")
                return nil
            }
            zone = named
        } else {
            zone = TimeZone.current
        }
        let schedule: CronSchedule
        do {
            schedule = try CronSchedule(parsing: spec.schedule)
        } catch {
            events.record(cronJob, "Warning", reason: "UnparseableSchedule", message: "unparseable schedule: \"\(spec.schedule)\" : \(error.message)")
            return nil
        }
        if spec.suspend == true { return nil }
        let now = clock()
        let (scheduled, missed) = Self.mostRecentScheduleTime(cronJob, now: now, schedule: schedule, zone: zone)
        if missed > Self.missedTimesLimit {
            events.record(cronJob, "Warning", reason: "TooManyMissedTimes", message: "too many missed start times: \(missed). Set or decrease .spec.startingDeadlineSeconds or check clock skew")
            logger.info("too many missed times", metadata: ["cronjob": "\(Informer.key(for: cronJob))", "missed": "\(missed)"])
        }
        let next = Self.requeueDelay(schedule: schedule, zone: zone, now: now)
        guard let scheduled else { return next }
        if let deadline = spec.startingDeadlineSeconds, scheduled.addingTimeInterval(TimeInterval(deadline)) < now {
            events.record(cronJob, "Warning", reason: "MissedSchedule", message: "Missed scheduled time to start a job: \(Self.rfc1123Z(scheduled, zone: zone))")
            return next
        }
        let jobName = Self.jobName(cronJob, scheduled: scheduled)
        if (status.active ?? []).contains(where: { $0.name == jobName }) || status.lastScheduleTime.map({ $0.date == scheduled }) == true {
            return next
        }
        if spec.concurrencyPolicy == "Forbid", !(status.active ?? []).isEmpty {
            events.record(cronJob, reason: "JobAlreadyActive", message: "Not starting job because prior execution is running and concurrency policy is Forbid")
            return next
        }
        if spec.concurrencyPolicy == "Replace" {
            for ref in status.active ?? [] {
                do {
                    try await client.delete(Job.self, name: ref.name ?? "", namespace: cronJob.metadata.namespace,
                                            options: DeleteOptions(propagationPolicy: .background, preconditions: .init(uid: ref.uid)))
                    events.record(cronJob, reason: "SuccessfulDelete", message: "Deleted job \(ref.name ?? "")")
                } catch where error.isNotFound || error.isConflict {
                } catch {
                    events.record(cronJob, "Warning", reason: "FailedDelete", message: "Deleted job: \(error)")
                    throw ControllerError.api(error)
                }
                status.active?.removeAll { $0.uid == ref.uid }
            }
            if status.active?.isEmpty == true { status.active = nil }
        }
        let job = Self.job(for: cronJob, scheduled: scheduled, zone: zone)
        let created: Job
        do {
            created = try await client.create(job)
            events.record(cronJob, reason: "SuccessfulCreate", message: "Created job \(jobName)")
        } catch where error.isAlreadyExists {
            // Created by an earlier sync whose status write was lost: take it if it is ours.
            do {
                created = try await client.get(Job.self, name: jobName, namespace: cronJob.metadata.namespace)
            } catch {
                throw ControllerError.api(error)
            }
            guard created.metadata.controllerRef?.uid == cronJob.metadata.uid else { return next }
        } catch {
            if !error.isNamespaceTerminating {
                events.record(cronJob, "Warning", reason: "FailedCreate", message: "Error creating job: \(error)")
            }
            throw ControllerError.api(error)
        }
        if !(status.active ?? []).contains(where: { $0.uid == created.metadata.uid }) {
            status.active = (status.active ?? []) + [ObjectReference(kind: Job.resource.kind, namespace: created.metadata.namespace,
                                                                     name: created.metadata.name, uid: created.metadata.uid,
                                                                     apiVersion: Job.resource.groupVersion,
                                                                     resourceVersion: created.metadata.resourceVersion)]
        }
        status.lastScheduleTime = Time(scheduled)
        return next
    }

    /// The latest scheduled time in (earliest, now] and how many there are, where earliest is the last schedule
    /// time or the creation time, moved up to `now - startingDeadlineSeconds` when that is later (upstream's
    /// `mostRecentScheduleTime`).
    static func mostRecentScheduleTime(_ cronJob: CronJob, now: Date, schedule: CronSchedule, zone: TimeZone) -> (Date?, Int) {
        var earliest = cronJob.status?.lastScheduleTime?.date ?? cronJob.metadata.creationTimestamp?.date ?? now
        if let deadline = cronJob.spec?.startingDeadlineSeconds {
            let bound = now.addingTimeInterval(-TimeInterval(deadline))
            if bound > earliest { earliest = bound }
        }
        guard let first = schedule.next(after: earliest, in: zone), first <= now else { return (nil, 0) }
        guard let second = schedule.next(after: first, in: zone), second <= now else { return (first, 1) }
        // Regular schedules are stepped by their period; the walk below corrects irregular ones.
        let period = second.timeIntervalSince(first)
        var count = Int(now.timeIntervalSince(first) / period) + 1
        var latest = first.addingTimeInterval(period * Double(count - 1))
        if latest > now || schedule.next(after: latest.addingTimeInterval(-1), in: zone) != latest {
            (latest, count) = (second, 2)
        }
        while let t = schedule.next(after: latest, in: zone), t <= now {
            latest = t
            count += 1
        }
        return (latest, count)
    }

    /// Until the next scheduled time after `now`, plus 100 ms so the clock has passed it.
    static func requeueDelay(schedule: CronSchedule, zone: TimeZone, now: Date) -> Duration? {
        guard let next = schedule.next(after: now, in: zone) else { return nil }
        return .milliseconds(Int64(next.timeIntervalSince(now) * 1000) + 100)
    }

    /// `<cronjob>-<scheduled time in minutes since the epoch>`, as upstream names it.
    static func jobName(_ cronJob: CronJob, scheduled: Date) -> String {
        "\(cronJob.metadata.name ?? "")-\(Int64(scheduled.timeIntervalSince1970) / 60)"
    }

    /// The Job for a scheduled time: the template's metadata and spec, the scheduled-timestamp annotation and the
    /// CronJob as controller (upstream's `getJobFromTemplate2`).
    static func job(for cronJob: CronJob, scheduled: Date, zone: TimeZone) -> Job {
        let template = cronJob.spec?.jobTemplate ?? JobTemplateSpec()
        var annotations = template.metadata?.annotations ?? [:]
        annotations[scheduledTimestampAnnotation] = rfc3339(scheduled, zone: zone)
        var meta = ObjectMeta(name: jobName(cronJob, scheduled: scheduled), namespace: cronJob.metadata.namespace,
                              labels: template.metadata?.labels, annotations: annotations,
                              ownerReferences: [cronJob.controllerReference])
        meta.finalizers = template.metadata?.finalizers
        return Job(metadata: meta, spec: template.spec)
    }

    static func rfc3339(_ date: Date, zone: TimeZone) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = zone
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// Go's `time.RFC1123Z` (`Mon, 02 Jan 2006 15:04:05 -0700`), which upstream's MissedSchedule event uses.
    static func rfc1123Z(_ date: Date, zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }

    /// Writes `status`, computed from `cronJob`. A conflict caused by writes that left the status alone (spec or
    /// metadata edits between the read and the write) is retried on the server's copy: failing it would forget a
    /// Job this sync just created, which a later sync then sees as unexpected and, under `Replace`, never deletes.
    func writeStatus(_ cronJob: CronJob, _ status: CronJobStatus) async throws {
        guard cronJob.status != status else { return }
        var base = cronJob
        // The write, then up to 5 retries on the server's copy, as client-go's RetryOnConflict: a user may edit the
        // spec twice in a row.
        for retry in 0...5 {
            var updated = base
            updated.status = status
            do {
                _ = try await client.updateStatus(updated)
                return
            } catch where error.isNotFound {
                return
            } catch where error.isConflict && retry < 5 {
                let fresh: CronJob
                do {
                    fresh = try await client.get(CronJob.self, name: cronJob.metadata.name ?? "", namespace: cronJob.metadata.namespace)
                } catch where error.isNotFound {
                    return
                } catch {
                    throw ControllerError.api(error)
                }
                // Someone else changed the status (or the CronJob was replaced): requeue rather than overwrite.
                guard fresh.metadata.uid == cronJob.metadata.uid, fresh.status == cronJob.status else { throw ControllerError.api(error) }
                base = fresh
            } catch {
                throw ControllerError.api(error)
            }
        }
    }

    /// Deletes the oldest finished Jobs beyond the history limits (upstream's `cleanupFinishedJobs`).
    func cleanupFinishedJobs(_ cronJob: CronJob, children: [Job]) async throws {
        let spec = cronJob.spec
        guard spec?.successfulJobsHistoryLimit != nil || spec?.failedJobsHistoryLimit != nil else { return }
        func byStart(_ a: Job, _ b: Job) -> Bool {
            switch (a.status?.startTime?.date, b.status?.startTime?.date) {
            case (nil, nil): return (a.metadata.name ?? "") < (b.metadata.name ?? "")
            case (nil, _): return true
            case (_, nil): return false
            case let (x?, y?): return x == y ? (a.metadata.name ?? "") < (b.metadata.name ?? "") : x < y
            }
        }
        let live = children.filter { $0.metadata.deletionTimestamp == nil }
        let succeeded = live.filter { $0.finishedCondition?.type == "Complete" }.sorted(by: byStart)
        let failed = live.filter { $0.finishedCondition?.type == "Failed" }.sorted(by: byStart)
        var doomed: [Job] = []
        if let limit = spec?.successfulJobsHistoryLimit { doomed += succeeded.dropLast(Int(limit)) }
        if let limit = spec?.failedJobsHistoryLimit { doomed += failed.dropLast(Int(limit)) }
        for job in doomed {
            do {
                try await client.delete(Job.self, name: job.metadata.name ?? "", namespace: job.metadata.namespace,
                                        options: DeleteOptions(propagationPolicy: .background))
                events.record(cronJob, reason: "SuccessfulDelete", message: "Deleted job \(job.metadata.name ?? "")")
            } catch where error.isNotFound {
            } catch {
                throw ControllerError.api(error)
            }
        }
    }
}

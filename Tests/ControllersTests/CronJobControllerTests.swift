import Controllers
import Foundation
import KubeAPI
import KubeClient
import Logging
import Synchronization
import Testing
import TestSupport

/// The CronJob kind and controller against a real server: the controller runs in-process on a clock the test
/// moves, so `*/1 * * * *` fires without waiting a minute; kubectl reads and drives the kind.
@Suite("CronJob controller", .serialized)
struct CronJobControllerTests {
    /// A clock the test sets.
    final class TestClock: Sendable {
        private let now: Mutex<Date>
        init(_ date: Date) { now = Mutex(date) }
        var date: Date { now.withLock { $0 } }
        func set(_ date: Date) { now.withLock { $0 = date } }
    }

    static func cronJob(_ name: String = "report", schedule: String = "*/1 * * * *", policy: String? = nil) -> CronJob {
        let job = JobSpec(template: PodTemplateSpec(metadata: ObjectMeta(labels: ["app": name]),
                                                    spec: PodSpec(containers: [Container(name: "main", image: "busybox:1.36")],
                                                                  restartPolicy: "Never")))
        return CronJob(metadata: ObjectMeta(name: name, namespace: "default"),
                       spec: CronJobSpec(schedule: schedule, concurrencyPolicy: policy,
                                         jobTemplate: JobTemplateSpec(metadata: ObjectMeta(labels: ["app": name]), spec: job),
                                         successfulJobsHistoryLimit: 1))
    }

    static func jobs(_ h: ControllerHarness) async throws -> [String] {
        try await h.client.list(Job.self, namespace: "default").items.filter { $0.metadata.deletionTimestamp == nil }
            .compactMap(\.metadata.name).sorted()
    }

    /// Wakes the controller (a CronJob update is queued at once) after moving the clock.
    static func advance(_ h: ControllerHarness, _ clock: TestClock, to date: Date, touch: Int) async throws {
        clock.set(date)
        _ = try await h.client.patch(CronJob.self, name: "report", namespace: "default", patchType: .merge,
                                     ["metadata": ["annotations": ["test/touch": .string("\(touch)")]]])
    }

    static func complete(_ h: ControllerHarness, _ job: String, at date: Date) async throws {
        let time = JSONValue.string(Time(date).description)
        _ = try await h.client.patch(Job.self, name: job, namespace: "default", patchType: .merge, [
            "status": ["startTime": time, "completionTime": time, "succeeded": 1,
                       "conditions": [["type": "Complete", "status": "True", "lastTransitionTime": time]]],
        ], subresource: "status")
    }

    @Test func schedulesOnAnInjectedClockHonoursForbidAndPrunesHistory() async throws {
        try await ControllerHarness.with(controllers: nil) { h in
            let created = try await h.client.create(Self.cronJob(policy: "Forbid"))
            #expect(created.spec?.suspend == false && created.spec?.failedJobsHistoryLimit == 1 && created.spec?.concurrencyPolicy == "Forbid")
            let start = try #require(created.metadata.creationTimestamp?.date)
            let clock = TestClock(start)
            let informers = SharedInformers(client: h.client, logger: ControllerHarness.logger("informers"))
            let controller = CronJobController(context: ControllerContext(client: h.client, informers: informers, logger: ControllerHarness.logger("cronjob")),
                                               clock: { clock.date })
            let running = Task {
                await withDiscardingTaskGroup { group in
                    group.addTask { await informers.run() }
                    group.addTask {
                        try? await informers.waitForSync()
                        await controller.run(workers: 1)
                    }
                }
            }
            defer { running.cancel() }

            try await Task.sleep(for: .milliseconds(500))
            #expect(try await Self.jobs(h).isEmpty, "nothing is due before the next minute")

            // Past the next minute boundary: one Job, named by the scheduled minute.
            let firstTime = (start.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60
            try await Self.advance(h, clock, to: Date(timeIntervalSince1970: firstTime + 5), touch: 1)
            let firstName = "report-\(Int(firstTime) / 60)"
            try await eventually("the first Job") { try await Self.jobs(h) == [firstName] }
            let job = try await h.client.get(Job.self, name: firstName, namespace: "default")
            let stamp = try #require(job.metadata.annotations?["batch.kubernetes.io/cronjob-scheduled-timestamp"])
            #expect(ISO8601DateFormatter().date(from: stamp) == Date(timeIntervalSince1970: firstTime), "\(stamp)")
            #expect(job.metadata.ownerReferences?.first?.kind == "CronJob" && job.metadata.ownerReferences?.first?.controller == true)
            #expect(job.metadata.labels?["app"] == "report")
            try await eventually("status.active and lastScheduleTime") {
                let s = try await h.client.get(CronJob.self, name: "report", namespace: "default").status
                return s?.active?.map(\.name) == [firstName] && s?.lastScheduleTime?.date == Date(timeIntervalSince1970: firstTime)
            }

            // Forbid: the next minute is skipped while the first Job runs.
            try await Self.advance(h, clock, to: Date(timeIntervalSince1970: firstTime + 65), touch: 2)
            try await eventually("JobAlreadyActive") {
                try await h.events(about: "CronJob", "report").contains("Normal/JobAlreadyActive: Not starting job because prior execution is running and concurrency policy is Forbid")
            }
            #expect(try await Self.jobs(h) == [firstName])

            // Once it completes the CronJob records the success, and the skipped minute (still the most recent
            // scheduled time, with no starting deadline) starts, as upstream's controller does.
            try await Self.complete(h, firstName, at: Date(timeIntervalSince1970: firstTime + 70))
            let secondName = "report-\(Int(firstTime) / 60 + 1)"
            try await eventually("lastSuccessfulTime, the delayed Job active") {
                let s = try await h.client.get(CronJob.self, name: "report", namespace: "default").status
                return s?.active?.map(\.name) == [secondName] && s?.lastSuccessfulTime?.date == Date(timeIntervalSince1970: firstTime + 70)
            }
            try await Self.complete(h, secondName, at: Date(timeIntervalSince1970: firstTime + 80))
            try await eventually("successfulJobsHistoryLimit 1 deletes the first Job") { try await Self.jobs(h) == [secondName] }
            // The recorder posts Events asynchronously: the deletion can be seen before its Event is written.
            try await eventually("the first Job's create, completion and delete events") {
                let events = try await h.events(about: "CronJob", "report")
                return events.contains("Normal/SuccessfulCreate: Created job \(firstName)")
                    && events.contains("Normal/SawCompletedJob: Saw completed job: \(firstName), condition: Complete")
                    && events.contains("Normal/SuccessfulDelete: Deleted job \(firstName)")
            }
            // The controller's own Jobs are never reported as unexpected, even when the Job informer is ahead of the
            // CronJob informer.
            let unexpected = try await h.events(about: "CronJob", "report").filter { $0.contains("UnexpectedJob") }
            #expect(unexpected.isEmpty, "\(unexpected)")

            // Hours later without a starting deadline: more than 100 missed times are reported, the latest runs.
            try await Self.advance(h, clock, to: Date(timeIntervalSince1970: firstTime + 3 * 3600 + 5), touch: 4)
            let latest = "report-\(Int(firstTime) / 60 + 180)"
            try await eventually("TooManyMissedTimes and the latest Job") {
                let missed = try await h.events(about: "CronJob", "report").contains {
                    $0 == "Warning/TooManyMissedTimes: too many missed start times: 179. Set or decrease .spec.startingDeadlineSeconds or check clock skew"
                }
                let jobs = try await Self.jobs(h)
                return missed && jobs.contains(latest)
            }

            // Replace: the running Job is deleted and the next one started.
            _ = try await h.client.patch(CronJob.self, name: "report", namespace: "default", patchType: .merge,
                                         ["spec": ["concurrencyPolicy": "Replace"]])
            try await Self.advance(h, clock, to: Date(timeIntervalSince1970: firstTime + 3 * 3600 + 65), touch: 5)
            let replacement = "report-\(Int(firstTime) / 60 + 181)"
            do {
                try await eventually("the running Job replaced") {
                    let jobs = try await Self.jobs(h)
                    let active = try await h.client.get(CronJob.self, name: "report", namespace: "default").status?.active?.map(\.name)
                    return jobs.contains(replacement) && !jobs.contains(latest) && active == [replacement]
                }
            } catch {
                // What the controller left behind, for the post-mortem of a timeout.
                let jobs = try await h.client.list(Job.self, namespace: "default").items
                    .map { "\($0.metadata.name ?? "")\($0.metadata.deletionTimestamp == nil ? "" : " (deleting)")" }
                let status = try await h.client.get(CronJob.self, name: "report", namespace: "default").status
                let events = try await h.events(about: "CronJob", "report")
                Issue.record("jobs \(jobs), status \(String(describing: status)), events \(events)")
                throw error
            }
            try await eventually("the replaced Job's delete event") {
                try await h.events(about: "CronJob", "report").contains("Normal/SuccessfulDelete: Deleted job \(latest)")
            }
            // Nor after the policy changed while the latest Job's status write was in flight.
            let unexpectedLater = try await h.events(about: "CronJob", "report").filter { $0.contains("UnexpectedJob") }
            #expect(unexpectedLater.isEmpty, "\(unexpectedLater)")
        }
    }

    @Test func kubectlPrintsCreatesFromAndValidatesCronJobs() async throws {
        try await ControllerHarness.with { h in
            let create = try await h.kubectl("create", "cronjob", "nightly", "--image=busybox:1.36", "--schedule=@hourly", "--", "date")
            #expect(create.status == 0, "\(create.stderr)")
            let get = try await h.kubectl("get", "cronjob")
            #expect(get.status == 0, "\(get.stderr)")
            let lines = get.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            #expect(lines.first == "NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE", "\(get.stdout)")
            #expect(lines.contains { $0.hasPrefix("nightly @hourly <none> False 0 <none> ") }, "\(get.stdout)")

            // `@every` is a robfig/cron descriptor upstream's ParseStandard accepts.
            #expect(try await h.kubectl("create", "cronjob", "often", "--image=busybox:1.36", "--schedule=@every 1h30m").status == 0)

            let from = try await h.kubectl("create", "job", "manual-1", "--from=cronjob/nightly")
            #expect(from.status == 0, "\(from.stdout)\(from.stderr)")
            let job = try await h.client.get(Job.self, name: "manual-1", namespace: "default")
            #expect(job.metadata.annotations?["cronjob.kubernetes.io/instantiate"] == "manual")
            #expect(job.metadata.ownerReferences?.first?.kind == "CronJob" && job.metadata.ownerReferences?.first?.name == "nightly")
            #expect(job.spec?.template.spec?.containers.first?.command == ["date"])

            for (schedule, zone, message) in [
                ("TZ=UTC 0 * * * *", nil as String?, #"spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead"#),
                ("CRON_TZ=UTC 0 * * * *", "UTC", #"spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use both timeZone field and TZ or CRON_TZ in schedule"#),
                ("61 * * * *", nil, #"spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61"#),
                ("0 * * * *", "Mars/Olympus", #"spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus"#),
                ("@every 5 minutes", nil, #"spec.schedule: Invalid value: "@every 5 minutes": failed to parse duration @every 5 minutes: time: unknown unit " minutes" in duration "5 minutes""#),
            ] {
                var bad = Self.cronJob("bad", schedule: schedule)
                bad.spec?.timeZone = zone
                do {
                    _ = try await h.client.create(bad)
                    Issue.record("accepted \(schedule) \(zone ?? "")")
                } catch {
                    #expect("\(error)".contains(message), "\(error)")
                }
            }
            // On the real clock: a minutely CronJob whose last run was two minutes ago starts the missed minute at
            // once (the latest one only).
            _ = try await h.client.create(Self.cronJob("minutely"))
            let twoMinutesAgo = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 120
            _ = try await h.client.patch(CronJob.self, name: "minutely", namespace: "default", patchType: .merge,
                                         ["status": ["lastScheduleTime": .string(Time(Date(timeIntervalSince1970: twoMinutesAgo)).description)]],
                                         subresource: "status")
            // A minute boundary during the wait adds that minute's Job as well; the earlier missed minute never runs.
            let skippedMinute = Int(twoMinutesAgo) / 60 + 1
            try await eventually("the missed minute runs") {
                let minutes = try await h.client.list(Job.self, namespace: "default").items.compactMap(\.metadata.name)
                    .filter { $0.hasPrefix("minutely-") }.compactMap { Int($0.dropFirst("minutely-".count)) }
                guard let earliest = minutes.min() else { return false }
                #expect(earliest > skippedMinute, "the earlier missed minute ran: \(minutes)")
                return true
            }
            let listed = try await h.kubectl("get", "cronjob", "minutely")
            #expect(listed.stdout.contains(#/\*/1 \* \* \* \*   <none>     False     [12]        /#), "\(listed.stdout)")

            var zoned = Self.cronJob("zoned", schedule: "30 9 * * MON-FRI")
            zoned.spec?.timeZone = "Europe/Berlin"
            _ = try await h.client.create(zoned)
            let wide = try await h.kubectl("get", "cj", "zoned")
            #expect(wide.stdout.contains("30 9 * * MON-FRI   Europe/Berlin   False"), "\(wide.stdout)")
        }
    }
}

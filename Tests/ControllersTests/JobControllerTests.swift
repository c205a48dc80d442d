import Controllers
import Foundation
import KubeAPI
import KubeClient
import Testing
import TestSupport

@Suite("Job controller", .serialized)
struct JobControllerTests {
    static func job(_ name: String, completions: Int32? = nil, parallelism: Int32? = nil, backoffLimit: Int32? = nil,
                    activeDeadlineSeconds: Int64? = nil, ttl: Int32? = nil) -> Job {
        var podSpec = PodSpec(containers: [Container(name: "work", image: "busybox:1.36", command: ["true"])])
        podSpec.restartPolicy = "Never"
        return Job(metadata: ObjectMeta(name: name, namespace: "default"),
                   spec: JobSpec(parallelism: parallelism, completions: completions, activeDeadlineSeconds: activeDeadlineSeconds,
                                 backoffLimit: backoffLimit,
                                 template: PodTemplateSpec(metadata: ObjectMeta(labels: ["app": name]), spec: podSpec),
                                 ttlSecondsAfterFinished: ttl))
    }

    /// The Job's pods not being deleted.
    static func pods(_ h: ControllerHarness, of job: String) async throws -> [Pod] {
        try await h.pods("batch.kubernetes.io/job-name=\(job)")
    }

    static func status(_ h: ControllerHarness, _ name: String) async throws -> JobStatus? {
        try await h.client.get(Job.self, name: name, namespace: "default").status
    }

    @Test func runsToCompletionWithCompletionsAndParallelism() async throws {
        try await ControllerHarness.with { h in
            let job = try await h.client.create(Self.job("batch", completions: 3, parallelism: 2))
            // The API server generates the selector and the pod labels from the Job's uid.
            let uid = try #require(job.metadata.uid)
            #expect(job.spec?.manualSelector == false)
            #expect(job.spec?.selector?.matchLabels == ["batch.kubernetes.io/controller-uid": uid])
            let labels = job.spec?.template.metadata?.labels ?? [:]
            #expect(labels["batch.kubernetes.io/controller-uid"] == uid && labels["controller-uid"] == uid)
            #expect(labels["batch.kubernetes.io/job-name"] == "batch" && labels["job-name"] == "batch" && labels["app"] == "batch")
            #expect(job.metadata.labels == labels)
            #expect(job.spec?.backoffLimit == 6 && job.spec?.completionMode == "NonIndexed" && job.spec?.podReplacementPolicy == "TerminatingOrFailed")

            try await eventually("two pods (parallelism)") { try await Self.pods(h, of: "batch").count == 2 }
            try await Task.sleep(for: .seconds(1))
            let first = try await Self.pods(h, of: "batch")
            #expect(first.count == 2)
            for pod in first {
                #expect(pod.metadata.finalizers == ["batch.kubernetes.io/job-tracking"])
                #expect(pod.metadata.ownerReferences?.first { $0.controller == true }?.uid == uid)
                #expect(pod.metadata.labels?["controller-uid"] == uid && pod.metadata.labels?["job-name"] == "batch")
            }
            try await eventually("active 2 with a start time") {
                let status = try await Self.status(h, "batch")
                return status?.active == 2 && status?.startTime != nil
            }

            for pod in first { try await h.markFinished(pod, exitCode: 0) }
            try await eventually("two counted, one more pod (completions − succeeded)") {
                let status = try await Self.status(h, "batch")
                let active = try await Self.pods(h, of: "batch").filter { $0.status?.phase != "Succeeded" }
                return status?.succeeded == 2 && active.count == 1 && (status?.uncountedTerminatedPods?.succeeded ?? []).isEmpty
            }
            // Counted pods lose their finalizer; no pod beyond the remaining completion is started.
            for pod in first {
                let fresh = try await h.client.get(Pod.self, name: pod.metadata.name ?? "", namespace: "default")
                #expect((fresh.metadata.finalizers ?? []).isEmpty)
            }
            try await Task.sleep(for: .seconds(1))
            let last = try await Self.pods(h, of: "batch").filter { $0.status?.phase != "Succeeded" }
            #expect(last.count == 1)
            try await h.markFinished(try #require(last.first), exitCode: 0)

            let wait = try await h.kubectl("wait", "--for=condition=complete", "job/batch", "--timeout=60s")
            #expect(wait.status == 0, "\(wait.stdout)\(wait.stderr)")
            let status = try await Self.status(h, "batch")
            #expect(status?.succeeded == 3 && status?.failed == nil && status?.active == nil)
            #expect(status?.completionTime != nil)
            let conditions = status?.conditions ?? []
            #expect(conditions.contains { $0.type == "SuccessCriteriaMet" && $0.status == "True" && $0.reason == "CompletionsReached" })
            #expect(conditions.contains { $0.type == "Complete" && $0.status == "True" && $0.reason == "CompletionsReached" })
            try await eventually("no finalizer left") {
                try await Self.pods(h, of: "batch").allSatisfy { ($0.metadata.finalizers ?? []).isEmpty }
            }
            let get = try await h.kubectl("get", "job", "batch")
            #expect(get.stdout.contains("Complete") && get.stdout.contains("3/3"), "\(get.stdout)")
        }
    }

    @Test func failedPodsBeyondTheBackoffLimitFailTheJob() async throws {
        try await ControllerHarness.with { h in
            _ = try await h.client.create(Self.job("flaky", backoffLimit: 1))
            try await eventually("a pod") { try await Self.pods(h, of: "flaky").count == 1 }
            let firstPod = try #require(try await Self.pods(h, of: "flaky").first)
            try await h.markFinished(firstPod, exitCode: 1)
            try await eventually("one failure counted") { try await Self.status(h, "flaky")?.failed == 1 }
            // The replacement waits out the 10 s pod failure backoff.
            try await Task.sleep(for: .seconds(3))
            #expect(try await Self.pods(h, of: "flaky").count { $0.status?.phase != "Failed" } == 0)
            try await eventually("a replacement after the backoff", timeout: .seconds(20)) {
                try await Self.pods(h, of: "flaky").count { $0.status?.phase != "Failed" } == 1
            }
            let second = try #require(try await Self.pods(h, of: "flaky").first { $0.status?.phase != "Failed" })
            try await h.markFinished(second, exitCode: 1)
            let wait = try await h.kubectl("wait", "--for=condition=failed", "job/flaky", "--timeout=60s")
            #expect(wait.status == 0, "\(wait.stdout)\(wait.stderr)")
            let status = try await Self.status(h, "flaky")
            #expect(status?.failed == 2 && status?.succeeded == nil && status?.completionTime == nil)
            let conditions = status?.conditions ?? []
            #expect(conditions.contains { $0.type == "FailureTarget" && $0.reason == "BackoffLimitExceeded" })
            #expect(conditions.contains { $0.type == "Failed" && $0.status == "True" && $0.reason == "BackoffLimitExceeded"
                && $0.message == "Job has reached the specified backoff limit" })
            try await Task.sleep(for: .seconds(1))
            #expect(try await Self.pods(h, of: "flaky").count == 2, "no pod is created after the Job failed")
            try await eventually("the Job's events") {
                let events = try await h.events(about: "Job", "flaky")
                return events.count { $0.hasPrefix("Normal/SuccessfulCreate: Created pod: flaky-") } == 2
                    && events.contains("Warning/BackoffLimitExceeded: Job has reached the specified backoff limit")
            }
        }
    }

    @Test func indexedJobRunsEachIndexOnceRetriesAFailedIndexAndListsCompletedIndexes() async throws {
        try await ControllerHarness.with { h in
            var job = Self.job("idx", completions: 4, parallelism: 2, backoffLimit: 3)
            job.spec?.completionMode = "Indexed"
            job.spec?.template.spec?.subdomain = "workers"
            _ = try await h.client.create(job)
            try await eventually("indexes 0 and 1 running") {
                Set(try await Self.pods(h, of: "idx").map { $0.metadata.annotations?["batch.kubernetes.io/job-completion-index"] ?? "" }) == ["0", "1"]
            }
            for pod in try await Self.pods(h, of: "idx") {
                let index = try #require(pod.metadata.annotations?["batch.kubernetes.io/job-completion-index"])
                #expect(pod.metadata.labels?["batch.kubernetes.io/job-completion-index"] == index)
                #expect(pod.metadata.name?.hasPrefix("idx-\(index)-") == true)
                #expect(pod.spec?.hostname == "idx-\(index)" && pod.spec?.subdomain == "workers")
                let env = pod.spec?.containers.first?.env?.first { $0.name == "JOB_COMPLETION_INDEX" }
                #expect(env?.valueFrom?.fieldRef?.fieldPath == "metadata.annotations['batch.kubernetes.io/job-completion-index']")
            }
            func pod(_ index: String) async throws -> Pod? {
                try await Self.pods(h, of: "idx").first {
                    $0.metadata.annotations?["batch.kubernetes.io/job-completion-index"] == index && $0.status?.phase != "Failed" && $0.status?.phase != "Succeeded"
                }
            }
            _ = try await h.markFinished(try #require(try await pod("0")), exitCode: 0)
            _ = try await h.markFinished(try #require(try await pod("1")), exitCode: 1)
            try await eventually("index 0 completed, index 2 started") {
                let started = try await pod("2") != nil
                return try await Self.status(h, "idx")?.completedIndexes == "0" && started
            }
            _ = try await h.markFinished(try #require(try await pod("2")), exitCode: 0)
            try await eventually("index 3 started") { try await pod("3") != nil }
            _ = try await h.markFinished(try #require(try await pod("3")), exitCode: 0)
            try await eventually("completed indexes 0 and 2-3") { try await Self.status(h, "idx")?.completedIndexes == "0,2-3" }
            // The failed index 1 runs again once the pod failure backoff has passed.
            try await eventually("index 1 retried", timeout: .seconds(25)) { try await pod("1") != nil }
            _ = try await h.markFinished(try #require(try await pod("1")), exitCode: 0)
            let wait = try await h.kubectl("wait", "--for=condition=complete", "job/idx", "--timeout=30s")
            #expect(wait.status == 0, "\(wait.stdout)\(wait.stderr)")
            let status = try await Self.status(h, "idx")
            #expect(status?.completedIndexes == "0-3" && status?.succeeded == 4 && status?.failed == 1)
            try await eventually("the Completed event") { try await h.events(about: "Job", "idx").contains("Normal/Completed: Job completed") }
        }
    }

    @Test func backoffLimitPerIndexFailsOnlyThatIndexAndMaxFailedIndexesFailsTheJob() async throws {
        try await ControllerHarness.with { h in
            var job = Self.job("perindex", completions: 3, parallelism: 3)
            job.spec?.completionMode = "Indexed"
            job.spec?.backoffLimitPerIndex = 1
            _ = try await h.client.create(job)
            #expect(try await h.client.get(Job.self, name: "perindex", namespace: "default").spec?.backoffLimit == Int32.max)
            func pod(_ index: String) async throws -> Pod? {
                try await Self.pods(h, of: "perindex").first {
                    $0.metadata.annotations?["batch.kubernetes.io/job-completion-index"] == index && $0.status?.phase != "Failed" && $0.status?.phase != "Succeeded"
                }
            }
            try await eventually("three indexes running") {
                Set(try await Self.pods(h, of: "perindex").compactMap { $0.metadata.annotations?["batch.kubernetes.io/job-completion-index"] }) == ["0", "1", "2"]
            }
            let first = try #require(try await pod("1"))
            #expect(first.metadata.annotations?["batch.kubernetes.io/job-index-failure-count"] == "0")
            _ = try await h.markFinished(first, exitCode: 1)
            _ = try await h.markFinished(try #require(try await pod("0")), exitCode: 0)
            _ = try await h.markFinished(try #require(try await pod("2")), exitCode: 0)
            // One retry of index 1 (after the pod failure backoff), counting the earlier failure.
            try await eventually("index 1 retried", timeout: .seconds(25)) { try await pod("1") != nil }
            let retry = try #require(try await pod("1"))
            #expect(retry.metadata.annotations?["batch.kubernetes.io/job-index-failure-count"] == "1")
            _ = try await h.markFinished(retry, exitCode: 1)
            try await eventually("the Job fails with FailedIndexes") {
                let status = try await Self.status(h, "perindex")
                return status?.conditions?.contains { $0.type == "Failed" && $0.status == "True" && $0.reason == "FailedIndexes" && $0.message == "Job has failed indexes" } == true
                    && status?.failedIndexes == "1" && status?.completedIndexes == "0,2" && status?.failed == 2
            }
            #expect(try await pod("1") == nil, "a failed index is not retried beyond its limit")

            var capped = Self.job("capped", completions: 4, parallelism: 1)
            capped.spec?.completionMode = "Indexed"
            capped.spec?.backoffLimitPerIndex = 0
            capped.spec?.maxFailedIndexes = 0
            _ = try await h.client.create(capped)
            try await eventually("index 0 running") { try await Self.pods(h, of: "capped").count == 1 }
            _ = try await h.markFinished(try #require(try await Self.pods(h, of: "capped").first), exitCode: 1)
            try await eventually("MaxFailedIndexesExceeded") {
                try await Self.status(h, "capped")?.conditions?.contains {
                    $0.type == "Failed" && $0.reason == "MaxFailedIndexesExceeded" && $0.message == "Job has exceeded the specified maximal number of failed indexes"
                } == true
            }

            var bad = Self.job("bad", completions: 2)
            bad.spec?.backoffLimitPerIndex = 1
            bad.spec?.maxFailedIndexes = 3
            do {
                _ = try await h.client.create(bad)
                Issue.record("accepted backoffLimitPerIndex on a NonIndexed Job")
            } catch {
                #expect("\(error)".contains("spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode"), "\(error)")
                #expect("\(error)".contains("spec.maxFailedIndexes: Invalid value: 3: must be less than or equal to completions"), "\(error)")
            }
        }
    }

    @Test func podFailurePolicyFailIndexFailsTheIndexAtOnceAndFailJobFailsTheJob() async throws {
        try await ControllerHarness.with { h in
            var job = Self.job("failindex", completions: 3, parallelism: 3)
            job.spec?.completionMode = "Indexed"
            job.spec?.backoffLimitPerIndex = 2
            job.spec?.podFailurePolicy = PodFailurePolicy(rules: [
                PodFailurePolicyRule(action: "FailIndex", onExitCodes: PodFailurePolicyOnExitCodesRequirement(operator: "In", values: [42])),
            ])
            _ = try await h.client.create(job)
            func pod(_ index: String) async throws -> Pod? {
                try await Self.pods(h, of: "failindex").first {
                    $0.metadata.annotations?["batch.kubernetes.io/job-completion-index"] == index && $0.status?.phase != "Failed" && $0.status?.phase != "Succeeded"
                }
            }
            try await eventually("three indexes running") { try await Self.pods(h, of: "failindex").count == 3 }
            // Exit code 42 fails index 1 although two more tries were allowed; the others succeed.
            _ = try await h.markFinished(try #require(try await pod("1")), exitCode: 42)
            _ = try await h.markFinished(try #require(try await pod("0")), exitCode: 0)
            _ = try await h.markFinished(try #require(try await pod("2")), exitCode: 0)
            try await eventually("the Job fails with FailedIndexes, index 1 not retried") {
                let status = try await Self.status(h, "failindex")
                return status?.conditions?.contains { $0.type == "Failed" && $0.status == "True" && $0.reason == "FailedIndexes" } == true
                    && status?.failedIndexes == "1" && status?.completedIndexes == "0,2" && status?.failed == 1
            }
            #expect(try await pod("1") == nil)

            var failJob = Self.job("failjob", completions: 2, parallelism: 1)
            failJob.spec?.podFailurePolicy = PodFailurePolicy(rules: [
                PodFailurePolicyRule(action: "FailJob", onExitCodes: PodFailurePolicyOnExitCodesRequirement(operator: "In", values: [5])),
            ])
            _ = try await h.client.create(failJob)
            try await eventually("a failjob pod") { try await Self.pods(h, of: "failjob").count == 1 }
            let victim = try #require(try await Self.pods(h, of: "failjob").first)
            _ = try await h.markFinished(victim, exitCode: 5)
            try await eventually("the Job fails by its pod failure policy") {
                try await Self.status(h, "failjob")?.conditions?.contains {
                    $0.type == "Failed" && $0.reason == "PodFailurePolicy"
                        && $0.message == "Container work for pod default/\(victim.metadata.name ?? "") failed with exit code 5 matching FailJob rule at index 0"
                } == true
            }

            var bad = Self.job("bad", completions: 2)
            bad.spec?.podFailurePolicy = PodFailurePolicy(rules: [
                PodFailurePolicyRule(action: "FailIndex", onExitCodes: PodFailurePolicyOnExitCodesRequirement(operator: "In", values: [1])),
                PodFailurePolicyRule(action: "Retry", onExitCodes: PodFailurePolicyOnExitCodesRequirement(operator: "In", values: [2])),
            ])
            do {
                _ = try await h.client.create(bad)
                Issue.record("accepted FailIndex without backoffLimitPerIndex")
            } catch {
                #expect("\(error)".contains("spec.podFailurePolicy.rules[0].action: Invalid value: \"FailIndex\": requires the backoffLimitPerIndex to be set"), "\(error)")
                #expect("\(error)".contains("spec.podFailurePolicy.rules[1].action: Unsupported value: \"Retry\": supported values: \"Count\", \"FailIndex\", \"FailJob\", \"Ignore\""), "\(error)")
            }
        }
    }

    @Test func activeDeadlineSecondsStopsTheJob() async throws {
        try await ControllerHarness.with { h in
            _ = try await h.client.create(Self.job("slow", activeDeadlineSeconds: 2))
            try await eventually("a pod") { try await Self.pods(h, of: "slow").count == 1 }
            try await eventually("failed with DeadlineExceeded", timeout: .seconds(20)) {
                try await Self.status(h, "slow")?.conditions?.contains { $0.type == "Failed" && $0.reason == "DeadlineExceeded" } == true
            }
            // The running pod was deleted and counted as failed.
            try await eventually("the pod is gone") { try await Self.pods(h, of: "slow").isEmpty }
            #expect(try await Self.status(h, "slow")?.failed == 1)
            try await eventually("the Job's events") {
                let events = try await h.events(about: "Job", "slow")
                return events.contains { $0.hasPrefix("Normal/SuccessfulDelete: Deleted pod: slow-") }
                    && events.contains("Warning/DeadlineExceeded: Job was active longer than specified deadline")
            }
        }
    }

    @Test func ttlAfterFinishedDeletesTheJobAndItsPods() async throws {
        try await ControllerHarness.with { h in
            _ = try await h.client.create(Self.job("short-lived", ttl: 1))
            try await eventually("a pod") { try await Self.pods(h, of: "short-lived").count == 1 }
            try await h.markFinished(try #require(try await Self.pods(h, of: "short-lived").first), exitCode: 0)
            // The Job is Complete for about a second (its TTL, from a completionTime with whole seconds) before it
            // is deleted, a window a poll of its status can miss on a loaded machine: the controller's event stays.
            try await eventually("complete") {
                try await h.events(about: "Job", "short-lived").contains("Normal/Completed: Job completed")
            }
            try await eventually("the Job is deleted once its TTL has passed", timeout: .seconds(20)) {
                do {
                    _ = try await h.client.get(Job.self, name: "short-lived", namespace: "default")
                    return false
                } catch let error as KubeClientError where error.isNotFound {
                    return true
                }
            }
            try await eventually("its pods are gone too") {
                try await h.client.list(Pod.self, namespace: "default", options: ListOptions(labelSelector: "job-name=short-lived")).items.isEmpty
            }
        }
    }

    @Test func apiServerRejectsAJobTemplateThatBreaksTheGeneratedSelector() async throws {
        try await ControllerHarness.with(controllers: nil) { h in
            var job = Self.job("wrong")
            job.spec?.template.metadata?.labels?["controller-uid"] = "not-the-uid"
            await #expect(throws: KubeClientError.self) { _ = try await h.client.create(job) }
            var manual = Self.job("manual")
            manual.spec?.manualSelector = true
            manual.spec?.selector = LabelSelector(matchLabels: ["app": "manual"])
            let created = try await h.client.create(manual)
            #expect(created.spec?.selector?.matchLabels == ["app": "manual"])
            #expect(created.spec?.template.metadata?.labels == ["app": "manual"])
            var updated = created
            updated.spec?.completions = 5
            await #expect(throws: KubeClientError.self) { _ = try await h.client.update(updated) }
        }
    }
}

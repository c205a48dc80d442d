import Foundation
import KubeAPI

/// Indexed Jobs (`completionMode: Indexed`, upstream's `indexed_job_utils.go`): each pod runs one completion index
/// of `0..<completions`, carried in the `batch.kubernetes.io/job-completion-index` annotation and label, exposed to
/// the containers as `JOB_COMPLETION_INDEX` through the downward API and in the hostname `<job>-<index>`; succeeded
/// indexes are listed in `status.completedIndexes` as ranges ("0-2,5"), and a failed index is run again — with
/// `backoffLimitPerIndex`, only until its pods have failed more often than that; it is then listed in
/// `status.failedIndexes` and not retried, and `maxFailedIndexes` bounds how many may fail before the Job does.
extension Job {
    /// The annotation and label holding a pod's completion index.
    static let completionIndexKey = "batch.kubernetes.io/job-completion-index"
    /// The annotation counting earlier failures of a pod's index (with `backoffLimitPerIndex`).
    static let indexFailureCountKey = "batch.kubernetes.io/job-index-failure-count"

    var isIndexed: Bool { spec?.completionMode == "Indexed" }
}

extension Pod {
    /// How often the pod's index had failed before this pod was created.
    var indexFailureCount: Int { metadata.annotations?[Job.indexFailureCountKey].flatMap { Int($0) } ?? 0 }

    /// The pod's completion index from its annotation (or label), if it is a valid one.
    var completionIndex: Int? {
        let text = metadata.annotations?[Job.completionIndexKey] ?? metadata.labels?[Job.completionIndexKey]
        guard let text, let index = Int(text), index >= 0 else { return nil }
        return index
    }
}

/// `status.completedIndexes`: sorted indexes as comma-separated ranges, `"0-2,5"`.
enum CompletionIndexes {
    static func parse(_ text: String?) -> Set<Int> {
        var indexes = Set<Int>()
        for part in (text ?? "").split(separator: ",") {
            let bounds = part.split(separator: "-", maxSplits: 1).compactMap { Int($0) }
            guard let first = bounds.first, let last = bounds.last, first <= last else { continue }
            indexes.formUnion(first...last)
        }
        return indexes
    }

    static func format(_ indexes: Set<Int>) -> String? {
        var ranges: [(first: Int, last: Int)] = []
        for index in indexes.sorted() {
            if let last = ranges.last?.last, last + 1 == index { ranges[ranges.count - 1].last = index } else { ranges.append((index, index)) }
        }
        return ranges.isEmpty ? nil : ranges.map { $0.first == $0.last ? "\($0.first)" : "\($0.first)-\($0.last)" }.joined(separator: ",")
    }
}

extension JobController {
    /// The recorded completed indexes together with those of succeeded pods, within `0..<completions`.
    static func completedIndexes(_ job: Job, pods: [Pod]) -> Set<Int> {
        let completions = Int(job.spec?.completions ?? 0)
        var indexes = CompletionIndexes.parse(job.status?.completedIndexes)
        for pod in pods where pod.status?.phase == "Succeeded" {
            if let index = pod.completionIndex { indexes.insert(index) }
        }
        return indexes.filter { $0 < completions }
    }

    /// Indexes whose failures exceed `limit` (`backoffLimitPerIndex`): those recorded, those of failed pods whose
    /// failure counts and whose index had already failed `limit` times, and those of failed pods a `FailIndex` rule
    /// matched (upstream's `isIndexFailed`).
    static func failedIndexes(_ job: Job, pods: [Pod], limit: Int32) -> Set<Int> {
        let completions = Int(job.spec?.completions ?? 0)
        var indexes = CompletionIndexes.parse(job.status?.failedIndexes)
        for pod in pods where job.isFailed(pod) {
            guard let index = pod.completionIndex else { continue }
            let verdict = job.spec?.podFailurePolicy?.verdict(for: pod) ?? PodFailurePolicyVerdict()
            if verdict.failsIndex || verdict.countsFailure && pod.indexFailureCount + 1 > Int(limit) { indexes.insert(index) }
        }
        return indexes.filter { $0 < completions }
    }

    /// The failure count a new pod for each index starts with: one more than the latest counted failure.
    static func indexFailureCounts(_ job: Job, pods: [Pod]) -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for pod in pods where job.isFailed(pod) {
            guard let index = pod.completionIndex else { continue }
            let counted = job.spec?.podFailurePolicy?.verdict(for: pod).countsFailure ?? true
            counts[index] = max(counts[index] ?? 0, pod.indexFailureCount + (counted ? 1 : 0))
        }
        return counts
    }

    /// The lowest indexes that are neither completed nor running in an active pod, at most `count` of them.
    static func missingIndexes(_ job: Job, completed: Set<Int>, active: [Pod], count: Int) -> [Int] {
        let running = Set(active.compactMap(\.completionIndex))
        return (0..<Int(job.spec?.completions ?? 0)).lazy.filter { !completed.contains($0) && !running.contains($0) }.prefix(count).map { $0 }
    }

    /// The template of the pod running `index`: the index annotation and label, hostname `<job>-<index>`, and
    /// `JOB_COMPLETION_INDEX` from the annotation in every container (upstream's `addCompletionIndexEnvVariables`).
    static func indexedTemplate(_ template: PodTemplateSpec, job: Job, index: Int) -> PodTemplateSpec {
        var template = template
        var meta = template.metadata ?? ObjectMeta()
        meta.annotations = (meta.annotations ?? [:]).merging([Job.completionIndexKey: String(index)]) { _, new in new }
        meta.labels = (meta.labels ?? [:]).merging([Job.completionIndexKey: String(index)]) { _, new in new }
        template.metadata = meta
        var spec = template.spec ?? PodSpec()
        if (spec.hostname ?? "").isEmpty { spec.hostname = "\(job.metadata.name ?? "")-\(index)" }
        let env = EnvVar(name: "JOB_COMPLETION_INDEX", valueFrom: EnvVarSource(
            fieldRef: ObjectFieldSelector(fieldPath: "metadata.annotations['\(Job.completionIndexKey)']")))
        func withIndex(_ c: Container) -> Container {
            var c = c
            if !(c.env ?? []).contains(where: { $0.name == env.name }) { c.env = (c.env ?? []) + [env] }
            return c
        }
        spec.containers = spec.containers.map(withIndex)
        spec.initContainers = spec.initContainers?.map(withIndex)
        template.spec = spec
        return template
    }
}

import Foundation
import KubeAPI
import Synchronization

/// How long a Job waits before creating pods again after pod failures (upstream's pod failure backoff): 10 s
/// after the last failure, doubling with each further failure since the last success, at most 10 minutes.
struct JobBackoffRecord: Sendable, Equatable {
    var failuresAfterLastSuccess = 0
    var lastFailure: Date?

    static let initial: TimeInterval = 10
    static let maximum: TimeInterval = 600

    /// The record after newly finished pods: a success resets it, failures after the last success add up.
    func adding(succeeded: [Pod], failed: [Pod]) -> JobBackoffRecord {
        let successes = succeeded.map(\.finishedTime).sorted()
        let failures = failed.map(\.finishedTime).sorted()
        guard let lastSuccess = successes.last else {
            guard let last = failures.last else { return self }
            return JobBackoffRecord(failuresAfterLastSuccess: failuresAfterLastSuccess + failures.count, lastFailure: last)
        }
        let after = failures.filter { $0 > lastSuccess }
        return JobBackoffRecord(failuresAfterLastSuccess: after.count, lastFailure: after.last)
    }

    /// The time left before pods may be created again; zero when not backing off.
    func remaining(now: Date = Date()) -> TimeInterval {
        guard failuresAfterLastSuccess > 0, let lastFailure else { return 0 }
        var delay = Self.initial
        for _ in 1..<failuresAfterLastSuccess {
            delay *= 2
            if delay >= Self.maximum { delay = Self.maximum; break }
        }
        return max(0, delay - now.timeIntervalSince(lastFailure))
    }
}

/// The backoff records of the Jobs a controller manages, by Job key.
final class JobBackoffStore: Sendable {
    private let records = Mutex([String: JobBackoffRecord]())

    func record(_ key: String) -> JobBackoffRecord { records.withLock { $0[key] ?? JobBackoffRecord() } }
    func update(_ key: String, _ record: JobBackoffRecord) { records.withLock { $0[key] = record } }
    func remove(_ key: String) { records.withLock { _ = $0.removeValue(forKey: key) } }
}

extension Pod {
    /// When the pod finished (upstream's `getFinishedTime`): its last container's finish, else when Ready turned
    /// False, else its deletion time less the grace period, else its creation.
    var finishedTime: Date {
        let statuses = status?.containerStatuses ?? []
        let finishes = statuses.compactMap { $0.state?.terminated?.finishedAt?.date }
        if !statuses.isEmpty, finishes.count == statuses.count, let last = finishes.max() { return last }
        if let ready = readyCondition, ready.status == "False", let since = ready.lastTransitionTime { return since.date }
        if let deletion = metadata.deletionTimestamp {
            return deletion.date.addingTimeInterval(-TimeInterval(metadata.deletionGracePeriodSeconds ?? 0))
        }
        return metadata.creationTimestamp?.date ?? Date()
    }
}

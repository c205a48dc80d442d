import Logging
import Proxy
import Synchronization
import Testing

@Suite struct SyncRunnerTests {
    final class Calls: Sendable {
        let count = Mutex(0)
        let failFirst: Int
        init(failFirst: Int = 0) { self.failFirst = failFirst }
        func call() -> SyncRunner.Outcome {
            count.withLock { value in
                value += 1
                return value > failFirst ? .programmed : .failed
            }
        }
        var value: Int { count.withLock { $0 } }
    }

    /// Requests `count` syncs one after the other, each once the one before has run (or 10 s have passed).
    static func requestOneAtATime(_ count: Int, _ runner: SyncRunner, _ calls: Calls) async throws {
        let first = calls.value + 1
        for expected in first..<(first + count) {
            runner.requestSync()
            let deadline = ContinuousClock.now + .seconds(10)
            while calls.value < expected, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        }
    }

    @Test func burstsCoalesceAndRequestsNeverWait() async throws {
        let calls = Calls()
        let runner = SyncRunner(minInterval: .milliseconds(300), maxInterval: .seconds(60), logger: testLogger()) {
            try? await Task.sleep(for: .milliseconds(50))
            return calls.call()
        }
        let task = Task { await runner.run() }
        defer { task.cancel() }
        let clock = ContinuousClock()
        let started = clock.now
        for _ in 0..<1000 { runner.requestSync() }
        #expect(clock.now - started < .milliseconds(100), "requests must not wait for syncs")
        try await Task.sleep(for: .milliseconds(100))
        for _ in 0..<1000 { runner.requestSync() }
        try await Task.sleep(for: .milliseconds(700))
        // 2,000 requests, two or three syncs: one for the first burst (plus one at once for its rest if the runner
        // was already consuming when it came: the bucket holds two, as upstream's burstSyncs) and one for the whole
        // second burst, at once or once a token has refilled. On a loaded machine the sleeps run long and a burst
        // can straddle a sync: never more than the two tokens plus one per 300 ms that passed.
        let refills = Int((clock.now - started) / .milliseconds(300))
        #expect((2...max(3, 2 + refills)).contains(calls.value), "\(calls.value) syncs in \(clock.now - started)")
    }

    @Test func aChangeRightAfterASyncIsNotHeldBack() async throws {
        let calls = Calls()
        let runner = SyncRunner(minInterval: .seconds(30), maxInterval: .seconds(120), logger: testLogger()) { calls.call() }
        let task = Task { await runner.run() }
        defer { task.cancel() }
        func waitFor(_ count: Int, within limit: Duration) async throws {
            let deadline = ContinuousClock.now + limit
            while calls.value < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        }
        runner.requestSync()
        try await waitFor(1, within: .seconds(10))
        let first = ContinuousClock.now
        runner.requestSync()
        try await waitFor(2, within: .seconds(10))
        #expect(calls.value == 2 && ContinuousClock.now - first < .seconds(20), "the second change waited for the minimum interval")
        runner.requestSync()
        try await Task.sleep(for: .milliseconds(500))
        #expect(calls.value == 2, "a third sync within the minimum interval must wait for a token")
    }

    @Test func aSyncThatProgrammedNothingGivesItsTokenBack() async throws {
        let calls = Calls()
        // The first two syncs find nothing to write, the third does: with 30 s between tokens it runs at once only
        // because the first two gave theirs back.
        let runner = SyncRunner(minInterval: .seconds(30), maxInterval: .seconds(120), logger: testLogger()) {
            calls.call() == .programmed && calls.value > 2 ? .programmed : .unchanged
        }
        let task = Task { await runner.run() }
        defer { task.cancel() }
        try await Self.requestOneAtATime(4, runner, calls)
        #expect(calls.value == 4, "syncs after two that programmed nothing ran at once (burst 2)")
        runner.requestSync()
        try await Task.sleep(for: .milliseconds(500))
        #expect(calls.value == 4, "two syncs that programmed rules used up the burst")
    }

    @Test func anIncrementalSyncUsesATenthOfAToken() async throws {
        let calls = Calls()
        let runner = SyncRunner(minInterval: .seconds(30), maxInterval: .seconds(120), logger: testLogger()) {
            calls.call() == .programmed ? .programmedIncrementally : .failed
        }
        #expect(await runner.incrementalCost == 0.1)
        let task = Task { await runner.run() }
        defer { task.cancel() }
        // Two tokens, a tenth used per sync: eleven syncs one after the other start with a whole token
        // (a twelfth if the machine is slow enough for 3 s of refill to pass meanwhile).
        let started = ContinuousClock.now
        try await Self.requestOneAtATime(11, runner, calls)
        #expect(calls.value == 11, "incremental syncs were held back after \(calls.value)")
        runner.requestSync()
        try await Task.sleep(for: .milliseconds(500))
        let refilled = ContinuousClock.now - started > .seconds(3)
        #expect(calls.value == 11 || refilled && calls.value == 12, "\(calls.value) syncs: the bucket ran dry after eleven")
    }

    @Test func failuresAreRetriedWithBackoff() async throws {
        let calls = Calls(failFirst: 2)
        let runner = SyncRunner(minInterval: .milliseconds(10), maxInterval: .seconds(60),
                                backoff: .init(initial: .milliseconds(50), maximum: .milliseconds(200)), logger: testLogger()) {
            calls.call()
        }
        let task = Task { await runner.run() }
        defer { task.cancel() }
        runner.requestSync()
        let deadline = ContinuousClock.now + .seconds(5)
        while calls.value < 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(calls.value == 3)
        try await Task.sleep(for: .milliseconds(300))
        #expect(calls.value == 3, "no retries after a success")
    }

    @Test func healthTurnsBadWhenSyncsStall() {
        let health = ProxyHealth(timeout: .seconds(10))
        let start = ContinuousClock.now
        #expect(health.isHealthy(at: start))
        health.queued(at: start)
        #expect(health.isHealthy(at: start + .seconds(5)))
        #expect(!health.isHealthy(at: start + .seconds(11)))
        health.updated(at: start + .seconds(12))
        #expect(health.isHealthy(at: start + .seconds(30)))
    }
}

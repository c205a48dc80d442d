import KubeClient
import Logging
import Synchronization
import Testing

@Suite struct WorkQueueTests {
    let logger = Logger(label: "workqueue-tests")

    @Test func keysAreDedupedWhileQueuedAndServedInOrder() async throws {
        let queue = WorkQueue(name: "t", logger: logger)
        await queue.add("a")
        await queue.add("b")
        await queue.add("a")
        #expect(await queue.count == 2)
        #expect(await queue.get() == "a")
        #expect(await queue.get() == "b")
        #expect(await queue.count == 0)
    }

    @Test func aKeyAddedWhileProcessingComesBackOnlyAfterDone() async throws {
        let queue = WorkQueue(name: "t", logger: logger)
        await queue.add("a")
        #expect(await queue.get() == "a")
        await queue.add("a")
        await queue.add("a")
        #expect(await queue.count == 0, "not handed to a second worker while the first holds it")
        await queue.done("a")
        #expect(await queue.count == 1)
        #expect(await queue.get() == "a")
        await queue.done("a")
        #expect(await queue.count == 0)
    }

    @Test func waitingWorkerGetsTheNextKey() async throws {
        let queue = WorkQueue(name: "t", logger: logger)
        async let key = queue.get()
        try await Task.sleep(for: .milliseconds(20))
        await queue.add("x")
        #expect(await key == "x")
    }

    @Test func rateLimitedRetriesBackOffExponentiallyUntilForgotten() async throws {
        let queue = WorkQueue(name: "t", backoff: Backoff(initial: .milliseconds(50), maximum: .seconds(10)), logger: logger)
        let start = ContinuousClock.now
        await queue.addRateLimited("a")
        await queue.addRateLimited("a")
        #expect(await queue.requeues("a") == 2)
        #expect(await queue.count == 0, "delayed, not queued yet")
        #expect(await queue.get() == "a")
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(40), "the earliest pending delay (50 ms) wins")
        await queue.forget("a")
        #expect(await queue.requeues("a") == 0)
    }

    @Test func shutDownDrainsQueuedKeysThenReturnsNil() async throws {
        let queue = WorkQueue(name: "t", logger: logger)
        await queue.add("a")
        await queue.addAfter("late", delay: .seconds(60))
        await queue.shutDown()
        await queue.add("ignored")
        #expect(await queue.get() == "a")
        #expect(await queue.get() == nil)
    }

    @Test func cancelledGetReturnsNil() async throws {
        let queue = WorkQueue(name: "t", logger: logger)
        let task = Task { await queue.get() }
        try await Task.sleep(for: .milliseconds(20))
        task.cancel()
        #expect(await task.value == nil)
        await queue.add("a")
        #expect(await queue.count == 1, "the cancelled worker did not swallow the key")
    }

    @Test func processRetriesFailuresAndNeverRunsOneKeyConcurrently() async throws {
        let queue = WorkQueue(name: "t", backoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(20)), logger: logger)
        struct Flaky: Error {}
        let state = Mutex<(active: Set<String>, overlap: Bool, attempts: [String: Int], done: Set<String>)>(([], false, [:], []))
        let workers = Task {
            await queue.process(workers: 4) { key in
                let failNow = state.withLock { s -> Bool in
                    if !s.active.insert(key).inserted { s.overlap = true }
                    s.attempts[key, default: 0] += 1
                    return s.attempts[key]! < 3
                }
                try await Task.sleep(for: .milliseconds(5))
                state.withLock { s in
                    s.active.remove(key)
                    if !failNow { s.done.insert(key) }
                }
                if failNow { throw Flaky() }
            }
        }
        for round in 0..<5 {
            for key in ["a", "b", "c"] { await queue.add(key) }
            if round == 2 { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(try await eventually { state.withLock { $0.done } == ["a", "b", "c"] })
        await queue.shutDown()
        await workers.value
        #expect(state.withLock { $0.overlap } == false)
        #expect(await queue.requeues("a") == 0, "success forgets the key")
    }
}

import KubeAPI
import KubeClient
import Logging
import Synchronization
import Testing
import TestSupport

@Suite struct ReflectorTests {
    let logger = Logger(label: "reflector-tests")

    /// Runs a reflector until `count` deltas arrived (or 10 s passed) and returns them.
    func deltas(from source: ScriptedSource, count: Int, backoff: Backoff) async throws -> [ReflectorDelta<ConfigMap>] {
        let seen = Mutex<[ReflectorDelta<ConfigMap>]>([])
        let reflector = Reflector<ConfigMap>(source, backoff: backoff, logger: logger)
        let task = Task { await reflector.run { delta in seen.withLock { $0.append(delta) } } }
        defer { task.cancel() }
        _ = try await eventually { seen.withLock { $0.count >= count } }
        task.cancel()
        await task.value
        return seen.withLock { $0 }
    }

    @Test func goneRelistsAtOnceAndWatchesFromTheNewList() async throws {
        let a10 = configMap("a", rv: "10"), a11 = configMap("a", rv: "11", data: ["x": "1"]), b20 = configMap("b", rv: "20")
        let source = ScriptedSource(lists: [list([a10], rv: "10"), list([b20], rv: "20")],
                                    watches: [.init(events: [.modified(a11)], end: .fail(goneError))])
        let start = ContinuousClock.now
        // A long backoff proves 410 does not wait for it.
        let deltas = try await deltas(from: source, count: 3, backoff: Backoff(initial: .seconds(30), maximum: .seconds(30)))
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(deltas == [.replace([a10], resourceVersion: "10"), .event(.modified(a11)), .replace([b20], resourceVersion: "20")])
        #expect(source.listCalls == 2)
        #expect(source.watchedFrom == ["10", "20"])
    }

    @Test func cleanWatchEndResumesFromTheLastBookmarkWithoutRelisting() async throws {
        let a10 = configMap("a", rv: "10"), a11 = configMap("a", rv: "11")
        let source = ScriptedSource(lists: [list([a10], rv: "10")],
                                    watches: [.init(events: [.modified(a11), .bookmark(resourceVersion: "15")], end: .finish)])
        let deltas = try await deltas(from: source, count: 2, backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(10)))
        #expect(deltas == [.replace([a10], resourceVersion: "10"), .event(.modified(a11))], "bookmarks are not delivered")
        _ = try await eventually { source.watchedFrom.count == 2 }
        #expect(source.watchedFrom == ["10", "15"])
        #expect(source.listCalls == 1)
    }

    @Test func droppedWatchRelistsAfterBackoff() async throws {
        let a10 = configMap("a", rv: "10"), a12 = configMap("a", rv: "12")
        let dropped = KubeClientError.transport(request: "GET /watch", cause: TestSupportError("connection reset"))
        let source = ScriptedSource(lists: [list([a10], rv: "10"), .failure(dropped), list([a12], rv: "12")],
                                    watches: [.init(events: [], end: .fail(dropped))])
        let deltas = try await deltas(from: source, count: 2, backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(40)))
        #expect(deltas == [.replace([a10], resourceVersion: "10"), .replace([a12], resourceVersion: "12")])
        #expect(source.listCalls == 3)
    }

    @Test func backoffDoublesUpToTheMaximum() {
        let backoff = Backoff(initial: .milliseconds(5), maximum: .seconds(1))
        #expect(backoff.delay(afterFailures: 0) == .zero)
        #expect(backoff.delay(afterFailures: 1) == .milliseconds(5))
        #expect(backoff.delay(afterFailures: 3) == .milliseconds(20))
        #expect(backoff.delay(afterFailures: 20) == .seconds(1))
        #expect(backoff.delay(afterFailures: 10_000) == .seconds(1))
    }
}

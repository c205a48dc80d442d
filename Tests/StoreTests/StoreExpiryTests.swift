import Foundation
import Store
import Testing

/// Keys with a time to live, on every backend: deleted after it as an ordinary deletion that watches see (live and
/// replayed), kept when rewritten without one, kept longer when rewritten with a new one.
@Suite("Store expiry", .serialized)
struct StoreExpiryTests {
    static let retention = StoreRetention(expiryInterval: .milliseconds(200))

    @Test(.timeLimit(.minutes(2)), arguments: Backend.allCases)
    func expiredKeyIsDeletedAndWatchersSeeIt(_ backend: Backend) async throws {
        try await StoreFixture.with(backend, retention: Self.retention) { store, _ in
            await store.startCompactor()
            let short = "/registry/events/default/short", long = "/registry/events/default/long", kept = "/registry/events/default/kept"
            let base = try await store.currentRevision()
            let live = try await store.watch(prefix: "/registry/events/", afterRevision: base)
            _ = try await store.create(key: short, value: data("short"), ttl: .seconds(2))
            _ = try await store.create(key: long, value: data("long"), ttl: .seconds(3600))
            _ = try await store.create(key: kept, value: data("kept"))
            let expirations = try await store.expirations(prefix: "/registry/events/")
            #expect(expirations[kept] == nil)
            #expect(Set(expirations.keys) == [short, long])
            // etcd grants a shared lease a little longer (the reuse window, 60 s at most).
            let left = try #require(expirations[long])
            #expect(left > .seconds(3000) && left <= .seconds(3660), "\(left)")

            var deletion: WatchEvent?
            for try await event in live where event.kind == .delete {
                deletion = event
                break
            }
            let deleted = try #require(deletion)
            #expect(deleted.current.key == short && deleted.current.value == data("short"))
            #expect(try await store.get(key: short) == nil)
            #expect(try await store.get(key: long) != nil)
            #expect(try await store.get(key: kept) != nil)
            // A watch from before replays the deletion at the same revision.
            let replay = try await store.watch(prefix: "/registry/events/", afterRevision: base)
            var replayed: [WatchEvent] = []
            for try await event in replay {
                replayed.append(event)
                if event.revision >= deleted.revision { break }
            }
            #expect(replayed.map(\.kind) == [.create, .create, .create, .delete])
            #expect(replayed.last == deleted)
        }
    }

    @Test(.timeLimit(.minutes(2)), arguments: Backend.allCases)
    func rewriteMovesOrDropsTheExpiry(_ backend: Backend) async throws {
        try await StoreFixture.with(backend, retention: Self.retention) { store, _ in
            await store.startCompactor()
            let renewed = "/registry/events/default/renewed", dropped = "/registry/events/default/dropped"
            let marker = "/registry/events/default/marker"
            _ = try await store.create(key: renewed, value: data("1"), ttl: .seconds(2))
            _ = try await store.create(key: dropped, value: data("1"), ttl: .seconds(2))
            // Room enough that a loaded machine cannot let the renewed key go before it is checked.
            _ = try await store.update(key: renewed, value: data("2"), expectedRevision: nil, ttl: .seconds(12))
            _ = try await store.update(key: dropped, value: data("2"), expectedRevision: nil)
            // Written after them with the same 2 s: once it is gone, so would they be without the rewrites.
            _ = try await store.create(key: marker, value: data("1"), ttl: .seconds(2))
            try await waitUntil("the marker expires") { try await store.get(key: marker) == nil }
            #expect(try await store.get(key: renewed)?.value == data("2"))
            #expect(try await store.get(key: dropped)?.value == data("2"))
            let expirations = try await store.expirations(prefix: "/registry/events/")
            #expect(expirations[dropped] == nil)
            #expect(expirations[renewed] != nil)
            try await waitUntil("the renewed key expires") { try await store.get(key: renewed) == nil }
            #expect(try await store.get(key: dropped) != nil)
        }
    }
}

/// Polls `condition` every 100 ms until it holds; fails the test after `timeout` (generous: the machine may be loaded).
func waitUntil(_ what: String, timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation,
               _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
    throw CancellationError()
}

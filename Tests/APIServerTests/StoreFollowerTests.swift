import Foundation
import Logging
import Store
import Synchronization
import Testing
import TestSupport
@testable import APIServer

/// The backends the in-process store tests of the API server run against.
enum StoreBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, etcd

    var testDescription: String { rawValue }

    /// A fresh store of this backend (an SQLite file in a temporary directory, or a one-member etcd), handed to
    /// `body` with a way to open it again as a restarted server would; everything is removed afterwards.
    func withStore(_ body: (any ManagedStore, _ reopen: () async throws -> any ManagedStore) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-follow-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let etcd = self == .etcd ? try await EtcdCluster(members: 1) : nil
        defer { etcd?.stop() }
        let location = try StoreLocation(parsing: etcd?.storeArgument ?? "sqlite:\(directory)/state.db")
        let store = try await location.open(logger: Logger(label: "test.store"))
        do {
            try await body(store) { try await location.open(logger: Logger(label: "test.store")) }
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}

/// `StoreFollower` against real stores: it lists and then watches one prefix only, learns it is current on a quiet
/// prefix by asking for progress, and re-lists when the history it would resume from is compacted away.
@Suite(.serialized) struct StoreFollowerTests {
    /// What the follower handed over.
    final class Recorder: Sendable {
        let state = Mutex<(resets: Int, keys: [String: Data], events: Int)>((0, [:], 0))

        var handlers: StoreFollower.Handlers {
            StoreFollower.Handlers(
                reset: { items, _ in
                    self.state.withLock { s in
                        s.resets += 1
                        s.keys = Dictionary(uniqueKeysWithValues: items.map { ($0.key, $0.value) })
                    }
                },
                apply: { event in
                    self.state.withLock { s in
                        s.events += 1
                        s.keys[event.current.key] = event.kind == .delete ? nil : event.current.value
                    }
                })
        }

        var events: Int { state.withLock { $0.events } }
        var resets: Int { state.withLock { $0.resets } }
        var keys: [String: Data] { state.withLock { $0.keys } }
    }

    @Test(.timeLimit(.minutes(1)), arguments: StoreBackend.allCases)
    func followsItsPrefixOnlyAndReachesTheStoreRevisionWhenAsked(_ backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            for name in ["a", "b", "c"] { _ = try await store.create(key: "/registry/pods/default/\(name)", value: Data("\(name)0".utf8)) }
            _ = try await store.create(key: "/registry/configmaps/default/x", value: Data("x".utf8))
            let follower = StoreFollower(store: store, prefix: "/registry/pods/", logger: Logger(label: "test"), pageSize: 2)
            let recorder = Recorder()
            try await follower.load(recorder.handlers)
            #expect(recorder.keys.count == 3 && recorder.resets == 1)
            #expect(follower.applied == (try await store.currentRevision()))
            let following = Task { await follower.follow(recorder.handlers) }
            defer { following.cancel() }

            // Ten writes elsewhere for every pod write: only the pod writes reach the follower.
            var lastPodWrite: Int64 = 0
            for round in 1...3 {
                for i in 0..<10 { _ = try await store.create(key: "/registry/configmaps/default/r\(round)-\(i)", value: Data("x".utf8)) }
                lastPodWrite = try await store.update(key: "/registry/pods/default/a", value: Data("a\(round)".utf8), expectedRevision: nil)
            }
            _ = try await store.delete(key: "/registry/pods/default/c", expectedRevision: nil)
            lastPodWrite = try await store.currentRevision()
            try await waitFor("4 pod events") { recorder.events == 4 }
            for i in 0..<10 { _ = try await store.create(key: "/registry/configmaps/default/after-\(i)", value: Data("x".utf8)) }
            #expect(recorder.keys["/registry/pods/default/a"] == Data("a3".utf8) && recorder.keys["/registry/pods/default/c"] == nil)
            #expect(follower.applied == lastPodWrite)

            // The prefix is quiet since: asking for progress moves `reached` to the store's revision, `applied` stays.
            let current = try await store.currentRevision()
            #expect(follower.reached < current)
            await follower.requestProgress()
            try await waitFor("the follower to reach \(current)") { follower.reached >= current }
            #expect(follower.applied == lastPodWrite)
            #expect(recorder.events == 4 && recorder.resets == 1)
        }
    }

    @Test(.timeLimit(.minutes(1)), arguments: StoreBackend.allCases)
    func progressAskedBeforeTheWatchOpensIsAnsweredOnceItDoes(_ backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let follower = StoreFollower(store: store, prefix: "/registry/pods/", logger: Logger(label: "test"))
            let recorder = Recorder()
            try await follower.load(recorder.handlers)
            _ = try await store.create(key: "/registry/configmaps/default/x", value: Data("x".utf8))
            let current = try await store.currentRevision()
            await follower.requestProgress()
            let following = Task { await follower.follow(recorder.handlers) }
            defer { following.cancel() }
            try await waitFor("the follower to reach \(current)") { follower.reached >= current }
            #expect(recorder.events == 0 && follower.applied < current)
        }
    }

    @Test(.timeLimit(.minutes(1)), arguments: StoreBackend.allCases)
    func aFollowerWhoseHistoryWasCompactedRelists(_ backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let follower = StoreFollower(store: store, prefix: "/registry/pods/", logger: Logger(label: "test"))
            let recorder = Recorder()
            try await follower.load(recorder.handlers)
            // A change the follower has not seen, then its history compacted: the watch cannot replay it.
            _ = try await store.create(key: "/registry/pods/default/late", value: Data("late".utf8))
            let current = try await store.currentRevision()
            try await store.compact(revision: current)
            let following = Task { await follower.follow(recorder.handlers) }
            defer { following.cancel() }
            try await waitFor("a re-list") { recorder.resets == 2 }
            #expect(recorder.keys["/registry/pods/default/late"] == Data("late".utf8))
            #expect(follower.applied >= current && follower.reached >= current)
        }
    }
}

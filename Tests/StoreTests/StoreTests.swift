import Foundation
import Store
import Testing

/// The `Store` contract, run against every backend: revisions count up by one per write from wherever a fresh
/// store starts (both start at 1, as etcd does; SQLite databases made before started at 0), so expectations are
/// relative to `base`.
@Suite("Store contract", .serialized)
struct StoreTests {
    @Test(arguments: Backend.allCases)
    func createGetUpdateDelete(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { store, _ in
            let base = try await store.currentRevision()
            let r1 = try await store.create(key: "/registry/pods/a/x", value: data("one"))
            #expect(r1 == base + 1)
            await #expect(throws: StoreError.keyExists(key: "/registry/pods/a/x")) {
                _ = try await store.create(key: "/registry/pods/a/x", value: data("again"))
            }
            let r2 = try await store.update(key: "/registry/pods/a/x", value: data("two"), expectedRevision: r1)
            #expect(r2 == base + 2)
            let got = try await store.get(key: "/registry/pods/a/x")
            #expect(got == KeyValue(key: "/registry/pods/a/x", value: data("two"), createRevision: r1, modRevision: r2))
            await #expect {
                _ = try await store.update(key: "/registry/pods/a/x", value: data("stale"), expectedRevision: r1)
            } throws: { error in
                guard case StoreError.conflict(_, let expected, let current) = error else { return false }
                return expected == r1 && current.modRevision == r2 && current.value == data("two")
            }
            await #expect {
                _ = try await store.delete(key: "/registry/pods/a/x", expectedRevision: r1)
            } throws: { error in
                guard case StoreError.conflict(_, _, let current) = error else { return false }
                return current.modRevision == r2
            }
            let deleted = try await store.delete(key: "/registry/pods/a/x", expectedRevision: nil)
            #expect(deleted.modRevision == base + 3)
            #expect(deleted.createRevision == r1)
            #expect(deleted.value == data("two"))
            #expect(try await store.get(key: "/registry/pods/a/x") == nil)
            await #expect(throws: StoreError.keyNotFound(key: "/registry/pods/a/x")) {
                _ = try await store.delete(key: "/registry/pods/a/x", expectedRevision: nil)
            }
            await #expect(throws: StoreError.keyNotFound(key: "/registry/pods/a/x")) {
                _ = try await store.update(key: "/registry/pods/a/x", value: data("x"), expectedRevision: nil)
            }
            await #expect(throws: StoreError.keyNotFound(key: "/registry/pods/a/x")) {
                _ = try await store.update(key: "/registry/pods/a/x", value: data("x"), expectedRevision: r2)
            }
            #expect(try await store.currentRevision() == base + 3)
        }
    }

    @Test(arguments: Backend.allCases)
    func listPagesAndListsAtAnOlderRevision(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { store, _ in
            for i in 0..<10 { _ = try await store.create(key: "/registry/pods/ns/p\(i)", value: data("v\(i)")) }
            _ = try await store.create(key: "/registry/pods/other/q", value: data("q"))
            _ = try await store.create(key: "/registry/services/ns/s", value: data("s"))
            let page1 = try await store.list(prefix: "/registry/pods/ns/", startAfter: nil, limit: 4, revision: nil)
            #expect(page1.items.map(\.key) == (0..<4).map { "/registry/pods/ns/p\($0)" })
            #expect(page1.hasMore)
            #expect(page1.revision == (try await store.currentRevision()))
            // Changes after the first page must not show in later pages of the same list.
            _ = try await store.delete(key: "/registry/pods/ns/p5", expectedRevision: nil)
            _ = try await store.update(key: "/registry/pods/ns/p6", value: data("changed"), expectedRevision: nil)
            _ = try await store.create(key: "/registry/pods/ns/p55", value: data("new"))
            let page2 = try await store.list(prefix: "/registry/pods/ns/", startAfter: page1.items.last!.key, limit: 4,
                                             revision: page1.revision)
            #expect(page2.items.map(\.key) == ["/registry/pods/ns/p4", "/registry/pods/ns/p5", "/registry/pods/ns/p6", "/registry/pods/ns/p7"])
            #expect(page2.items[2].value == data("v6"))
            #expect(page2.revision == page1.revision)
            let page3 = try await store.list(prefix: "/registry/pods/ns/", startAfter: page2.items.last!.key, limit: 4,
                                             revision: page1.revision)
            #expect(page3.items.map(\.key) == ["/registry/pods/ns/p8", "/registry/pods/ns/p9"])
            #expect(!page3.hasMore)
            #expect(page1.count == nil && page2.count == nil, "counted only when asked")
            // Counted as etcd counts a range: the keys from the page's start at the list's revision, the page's own
            // included — not the deletion, update and creation since (p5, p6, p55), nor keys outside the prefix.
            let counted = try await store.list(prefix: "/registry/pods/ns/", startAfter: nil, limit: 4, revision: page1.revision, counting: true)
            #expect(counted.count == 10)
            let countedLater = try await store.list(prefix: "/registry/pods/ns/", startAfter: page1.items.last!.key, limit: 4,
                                                    revision: page1.revision, counting: true)
            #expect(countedLater.count == 6)
            let countedNow = try await store.list(prefix: "/registry/pods/ns/", startAfter: page1.items.last!.key, limit: 4, revision: nil, counting: true)
            #expect(countedNow.count == 6 && countedNow.items.map(\.key).contains("/registry/pods/ns/p55"))
            let countedLast = try await store.list(prefix: "/registry/pods/ns/", startAfter: page2.items.last!.key, limit: 4,
                                                   revision: page1.revision, counting: true)
            #expect(countedLast.count == 2)
            let now = try await store.list(prefix: "/registry/pods/ns/", startAfter: nil, limit: 0, revision: nil)
            #expect(now.items.count == 10)
            #expect(now.items.contains { $0.key == "/registry/pods/ns/p55" })
            #expect(!now.hasMore)
            #expect(try await store.count(prefix: "/registry/pods/") == 11)
            #expect(try await store.count(prefix: "/registry/") == 12)
            #expect(try await store.count(prefix: "/registry/nodes/") == 0)
            let current = try await store.currentRevision()
            await #expect(throws: StoreError.futureRevision(requested: current + 5, current: current)) {
                _ = try await store.list(prefix: "/registry/pods/", startAfter: nil, limit: 0, revision: current + 5)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func watchReplaysHistoryThenDeliversLiveEventsInOrder(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { store, _ in
            let base = try await store.currentRevision()
            _ = try await store.create(key: "/registry/pods/a", value: data("1"))
            _ = try await store.create(key: "/registry/services/b", value: data("x"))
            let stream = try await store.watch(prefix: "/registry/pods/", afterRevision: base)
            let writer = Task {
                for i in 0..<200 { _ = try await store.update(key: "/registry/pods/a", value: data("\(i)"), expectedRevision: nil) }
                _ = try await store.delete(key: "/registry/pods/a", expectedRevision: nil)
            }
            var events: [WatchEvent] = []
            for try await event in stream {
                events.append(event)
                if event.kind == .delete { break }
            }
            try await writer.value
            let revisions = events.map(\.revision)
            #expect(revisions.count == 202)
            #expect(revisions == revisions.sorted())
            #expect(Set(revisions).count == revisions.count)
            #expect(events.first?.kind == .create && events.first?.previous == nil)
            #expect(!revisions.contains(base + 2))
            #expect(events[1].kind == .update && events[1].previous == data("1") && events[1].current.value == data("0"))
            #expect(events[1].current.createRevision == base + 1)
            let deletion = try #require(events.last)
            #expect(deletion.kind == .delete && deletion.current.value == data("199") && deletion.previous == data("199"))
            #expect(deletion.current.createRevision == base + 1)
            #expect(deletion.revision == (try await store.currentRevision()))
            // Each update and the deletion name the revision of the version they replaced (replayed and live alike).
            #expect(events.first?.previousRevision == nil)
            #expect(events[1].previousRevision == base + 1)
            #expect(zip(events, events.dropFirst()).allSatisfy { $1.previousRevision == $0.revision })
            let current = try await store.currentRevision()
            await #expect(throws: StoreError.futureRevision(requested: current + 3, current: current)) {
                _ = try await store.watch(prefix: "/registry/pods/", afterRevision: current + 3)
            }
        }
    }

    /// A progress watch on a quiet prefix learns the store's revision when it asks, and a change under its prefix
    /// comes before the progress that covers it.
    @Test(.timeLimit(.minutes(1)), arguments: Backend.allCases)
    func progressWatchReportsTheRevisionItHasReachedWhenAsked(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { store, _ in
            let base = try await store.currentRevision()
            _ = try await store.create(key: "/registry/pods/a", value: data("1"))
            let watch = try await store.watchWithProgress(prefix: "/registry/pods/", afterRevision: base)
            var updates = watch.updates.makeAsyncIterator()
            guard case .event(let first)? = try await updates.next() else { Issue.record("no history event"); return }
            #expect(first.current.key == "/registry/pods/a" && first.revision == base + 1)

            // Writes elsewhere only: the watch sends nothing until asked, then says it has passed them.
            for i in 0..<5 { _ = try await store.create(key: "/registry/services/s\(i)", value: data("x")) }
            let quiet = try await store.currentRevision()
            await watch.requestProgress()
            var reached: Int64 = 0
            while reached < quiet {
                switch try await updates.next() {
                case .progress(let revision)?: reached = revision
                case .event(let event)?: Issue.record("unexpected event \(event.current.key)")
                case nil: Issue.record("the watch ended"); return
                }
            }
            #expect(reached == quiet)

            // A change under the prefix, then a request: the event is delivered before a progress at or past it.
            let update = try await store.update(key: "/registry/pods/a", value: data("2"), expectedRevision: nil)
            _ = try await store.create(key: "/registry/services/last", value: data("x"))
            await watch.requestProgress()
            var sawUpdate = false
            while true {
                let next = try await updates.next()
                if case .event(let event)? = next {
                    #expect(event.revision == update && event.kind == .update)
                    sawUpdate = true
                } else if case .progress(let revision)? = next, revision >= update {
                    #expect(sawUpdate, "progress \(revision) before the event at \(update)")
                    break
                } else if next == nil {
                    Issue.record("the watch ended")
                    break
                }
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func compactionMakesOldRevisionsGone(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { store, _ in
            let base = try await store.currentRevision()
            for i in 0..<20 { _ = try await store.create(key: "/k/\(i)", value: data("\(i)")) }
            try await store.compact(revision: base + 15)
            await #expect(throws: StoreError.compacted(requested: base + 3, compactedRevision: base + 15)) {
                _ = try await store.watch(prefix: "/k/", afterRevision: base + 3)
            }
            await #expect(throws: StoreError.compacted(requested: base + 3, compactedRevision: base + 15)) {
                _ = try await store.list(prefix: "/k/", startAfter: nil, limit: 1, revision: base + 3)
            }
            // The state at the compacted revision stays listable, and a watch from it sees what followed.
            let atCompaction = try await store.list(prefix: "/k/", startAfter: nil, limit: 0, revision: base + 15)
            #expect(atCompaction.items.count == 15)
            var seen: [Int64] = []
            for try await event in try await store.watch(prefix: "/k/", afterRevision: base + 15) {
                seen.append(event.revision)
                if seen.count == 5 { break }
            }
            #expect(seen == (16...20).map { base + Int64($0) })
            // Compacting again to the same or an older revision is harmless.
            try await store.compact(revision: base + 10)
            try await store.compact(revision: base + 15)
        }
    }

    @Test(arguments: Backend.allCases)
    func concurrentWritersNeverLoseAnAcknowledgedWrite(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { store, fixture in
            let base = try await store.currentRevision()
            let acknowledged = try await withThrowingTaskGroup(of: [String].self) { group in
                for writer in 0..<16 {
                    group.addTask {
                        var keys: [String] = []
                        for i in 0..<50 {
                            let key = "/registry/configmaps/w\(writer)/c\(i)"
                            _ = try await store.create(key: key, value: data("\(writer)-\(i)"))
                            keys.append(key)
                        }
                        return keys
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(acknowledged.count == 800)
            await store.close()
            // A second connection (a restarted server) sees every acknowledged write.
            let reopened = try await fixture.reopen()
            let listed = try await reopened.list(prefix: "/registry/configmaps/", startAfter: nil, limit: 0, revision: nil)
            #expect(Set(listed.items.map(\.key)) == Set(acknowledged))
            #expect(try await reopened.currentRevision() == base + 800)
            await reopened.close()
        }
    }

    /// Thousands of calls on one connection, with a watch open (grpc-go servers ping for bandwidth estimation as data
    /// flows; a client that mishandles those loses the connection after a few hundred calls).
    @Test(arguments: Backend.allCases)
    func thousandsOfCallsOnOneConnection(_ backend: Backend) async throws {
        try await StoreFixture.with(backend) { store, _ in
            let base = try await store.currentRevision()
            let stream = try await store.watch(prefix: "/registry/leases/", afterRevision: base)
            let value = Data(repeating: 0x61, count: 2048)
            let written = try await withThrowingTaskGroup(of: Int.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        let key = "/registry/leases/kube-node-lease/n\(writer)"
                        var revision = try await store.create(key: key, value: value)
                        for _ in 0..<100 { revision = try await store.update(key: key, value: value, expectedRevision: revision) }
                        for _ in 0..<1000 { #expect(try await store.get(key: key)?.modRevision == revision) }
                        return 101
                    }
                }
                return try await group.reduce(0, +)
            }
            var events = 0
            for try await _ in stream {
                events += 1
                if events == written { break }
            }
            #expect(events == 404)
            #expect(try await store.count(prefix: "/registry/leases/") == 4)
            if let etcd = store as? EtcdStore { #expect(await etcd.retriedCalls == 0, "the connection dropped") }
        }
    }
}

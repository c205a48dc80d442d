import KubeAPI
import KubeClient
import Logging
import Synchronization
import Testing

@Suite struct InformerTests {
    let logger = Logger(label: "informer-tests")

    @Test func relistAfterGoneReconcilesTheCacheAndAnnouncesTheDifference() async throws {
        let a1 = configMap("a", rv: "1"), b1 = configMap("b", rv: "1")
        let a2 = configMap("a", rv: "2", data: ["k": "v"])
        let b3 = configMap("b", rv: "3", data: ["k": "v"]), c3 = configMap("c", rv: "3")
        let source = ScriptedSource(lists: [list([a1, b1], rv: "1"), list([b3, c3], rv: "3")],
                                    watches: [.init(events: [.modified(a2)], end: .fail(goneError))])
        let informer = Informer<ConfigMap>(source, logger: logger)
        let seen = Mutex<[InformerEvent<ConfigMap>]>([])
        informer.addHandler(InformerHandler(onAdd: { o in seen.withLock { $0.append(.added(o)) } },
                                            onUpdate: { old, new in seen.withLock { $0.append(.updated(old: old, new: new)) } },
                                            onDelete: { o in seen.withLock { $0.append(.deleted(o)) } }))
        let task = Task { await informer.run() }
        defer { task.cancel() }
        try await informer.waitForSync()
        #expect(try await eventually { seen.withLock { $0.count >= 6 } })
        #expect(seen.withLock { $0 } == [
            .added(a1), .added(b1), .updated(old: a1, new: a2),
            .updated(old: b1, new: b3), .added(c3), .deleted(a2),
        ])
        #expect(informer.keys == ["default/b", "default/c"])
        #expect(informer.get(name: "b", namespace: "default") == b3)
        #expect(informer.get("default/a") == nil)
        #expect(source.watchedFrom == ["1", "3"])
    }

    @Test func aBoundedWaitForSyncSaysWhetherTheFirstListCame() async throws {
        let source = ScriptedSource(lists: [list([configMap("a", rv: "1")], rv: "1")], watches: [.init(events: [], end: .hang)])
        let informer = Informer<ConfigMap>(source, logger: logger)
        #expect(try await informer.waitForSync(timeout: .milliseconds(50)) == false, "not running: no LIST")
        let task = Task { await informer.run() }
        defer { task.cancel() }
        #expect(try await informer.waitForSync(timeout: .seconds(10)))
        #expect(informer.keys == ["default/a"])
    }

    @Test func eventStreamReplaysTheCacheThenFollowsChanges() async throws {
        let a1 = configMap("a", rv: "1", labels: ["app": "web"]), b1 = configMap("b", rv: "1", labels: ["app": "db"])
        let source = ScriptedSource(lists: [list([a1, b1], rv: "1")], watches: [.init(events: [], end: .hang)])
        let informer = Informer<ConfigMap>(source, logger: logger)
        let task = Task { await informer.run() }
        defer { task.cancel() }
        try await informer.waitForSync()
        #expect(informer.list(labelSelector: try LabelSelectorExpression(parsing: "app=web")) == [a1])
        #expect(informer.list(namespace: "other").isEmpty)

        // A late handler is told about what is already cached.
        let late = Mutex<[String]>([])
        informer.addHandler(InformerHandler(onAdd: { o in late.withLock { $0.append(o.metadata.name ?? "") } }))
        #expect(try await eventually { late.withLock { $0 } == ["a", "b"] })

        var events = informer.events().makeAsyncIterator()
        #expect(await events.next() == .added(a1))
        #expect(await events.next() == .added(b1))
        task.cancel()
        #expect(await events.next() == nil, "the stream ends with run()")
    }

    @Test func resyncReannouncesEveryCachedObject() async throws {
        let a1 = configMap("a", rv: "1")
        let source = ScriptedSource(lists: [list([a1], rv: "1")], watches: [.init(events: [], end: .hang)])
        let informer = Informer<ConfigMap>(source, resyncPeriod: .milliseconds(50), logger: logger)
        let task = Task { await informer.run() }
        defer { task.cancel() }
        var events = informer.events().makeAsyncIterator()
        #expect(await events.next() == .added(a1))
        #expect(await events.next() == .updated(old: a1, new: a1))
        #expect(await events.next() == .updated(old: a1, new: a1))
        #expect(source.listCalls == 1, "a resync does not re-list")
    }
}

import Foundation
import KubeAPI
import KubeClient
import Logging
import Testing

/// Watches and informers against a real `swiftlet server`.
@Suite struct KubeClientWatchTests {
    @Test func watchDeliversChangesInOrderFromAListsResourceVersion() async throws {
        try await withTestServer { server in
            let client = try server.client()
            _ = try await client.create(configMap("before", rv: "").withoutResourceVersion)
            let listed = try await client.list(ConfigMap.self, namespace: "default")
            let from = try #require(listed.metadata.resourceVersion)

            var events = client.watch(ConfigMap.self, namespace: "default", resourceVersion: from).makeAsyncIterator()
            var object = try await client.create(configMap("w", rv: "", data: ["n": "0"]).withoutResourceVersion)
            for n in 1...3 {
                object.data = ["n": "\(n)"]
                object = try await client.update(object)
            }
            try await client.delete(ConfigMap.self, name: "w", namespace: "default")

            var seen: [WatchEvent<ConfigMap>] = []
            while seen.count < 5, let event = try await events.next() { seen.append(event) }
            #expect(seen.map(\.type) == ["ADDED", "MODIFIED", "MODIFIED", "MODIFIED", "DELETED"])
            #expect(seen.compactMap { $0.object?.data?["n"] } == ["0", "1", "2", "3", "3"])
            let versions = seen.compactMap { $0.resourceVersion.flatMap(Int.init) }
            #expect(versions == versions.sorted() && Set(versions).count == 5, "resourceVersions strictly increase")
            #expect(!seen.contains { $0.object?.metadata.name == "before" }, "nothing from before the list")
            try await client.shutdown()
        }
    }

    @Test func watchWithoutResourceVersionStartsWithTheCurrentStateAndHonoursSelectors() async throws {
        try await withTestServer { server in
            let client = try server.client()
            _ = try await client.create(configMap("web", rv: "", labels: ["app": "web"]).withoutResourceVersion)
            _ = try await client.create(configMap("db", rv: "", labels: ["app": "db"]).withoutResourceVersion)
            var events = client.watch(ConfigMap.self, namespace: "default", labelSelector: "app=web").makeAsyncIterator()
            let first = try await events.next()
            #expect(first?.type == "ADDED")
            #expect(first?.object?.metadata.name == "web")
            _ = try await client.create(configMap("web-2", rv: "", labels: ["app": "web"]).withoutResourceVersion)
            #expect(try await events.next()?.object?.metadata.name == "web-2", "db is filtered out")
            try await client.shutdown()
        }
    }

    /// Objects entering and leaving a selector's selection become ADDED and DELETED, for watches following live
    /// (two at once, sharing what the server derives from each version) and for a watch replaying the history.
    @Test func selectorWatchesSeeObjectsEnterAndLeaveTheSelection() async throws {
        try await withTestServer { server in
            let client = try server.client()
            let from = try #require(try await client.list(ConfigMap.self, namespace: "default").metadata.resourceVersion)
            func watch() -> AsyncThrowingStream<WatchEvent<ConfigMap>, any Error>.AsyncIterator {
                client.watch(ConfigMap.self, namespace: "default", labelSelector: "app=web", resourceVersion: from).makeAsyncIterator()
            }
            let first = watch(), second = watch()
            var object = try await client.create(configMap("a", rv: "", labels: ["app": "web"]).withoutResourceVersion)
            _ = try await client.create(configMap("other", rv: "", labels: ["app": "db"]).withoutResourceVersion)
            object.metadata.labels = ["app": "db"]
            object = try await client.update(object)
            object.metadata.labels = ["app": "web"]
            object = try await client.update(object)
            object.data = ["n": "1"]
            object = try await client.update(object)
            try await client.delete(ConfigMap.self, name: "other", namespace: "default")
            try await client.delete(ConfigMap.self, name: "a", namespace: "default")
            let expected = ["ADDED", "DELETED", "ADDED", "MODIFIED", "DELETED"]
            let replay = watch()
            for var events in [first, second, replay] {
                var seen: [String] = []
                while seen.count < expected.count, let event = try await events.next() {
                    #expect(event.object?.metadata.name == "a")
                    seen.append(event.type)
                }
                #expect(seen == expected)
            }
            try await client.shutdown()
        }
    }

    @Test func watchEndsCleanlyAtItsTimeout() async throws {
        try await withTestServer { server in
            let client = try server.client()
            let listed = try await client.list(ConfigMap.self, namespace: "default")
            let start = ContinuousClock.now
            var count = 0
            for try await _ in client.watch(ConfigMap.self, namespace: "default", resourceVersion: listed.metadata.resourceVersion,
                                            timeout: .seconds(1)) { count += 1 }
            #expect(count == 0)
            #expect(ContinuousClock.now - start < .seconds(10))
            try await client.shutdown()
        }
    }

    @Test func informerCacheConvergesWithChangesFromAnotherClient() async throws {
        try await withTestServer { server in
            let watcher = try server.client(userAgent: "informer")
            let writer = try server.client(userAgent: "writer")
            _ = try await writer.create(configMap("pre", rv: "", labels: ["app": "web"]).withoutResourceVersion)

            let informer = Informer<ConfigMap>(client: watcher, namespace: "default", logger: server.logger)
            let queue = WorkQueue(name: "configmaps", logger: server.logger)
            informer.addHandler(.enqueueing(into: queue))
            let run = Task { await informer.run() }
            defer { run.cancel() }
            try await informer.waitForSync()
            #expect(informer.get(name: "pre", namespace: "default")?.metadata.labels == ["app": "web"])
            #expect(await queue.get() == "default/pre")

            var objects: [ConfigMap] = []
            for i in 0..<5 {
                objects.append(try await writer.create(configMap("cm-\(i)", rv: "", data: ["v": "0"],
                                                                 labels: ["app": i < 3 ? "web" : "db"]).withoutResourceVersion))
            }
            objects[1].data = ["v": "1"]
            _ = try await writer.update(objects[1])
            try await writer.delete(ConfigMap.self, name: "cm-4", namespace: "default")
            try await writer.delete(ConfigMap.self, name: "pre", namespace: "default")

            let expected = ["default/cm-0", "default/cm-1", "default/cm-2", "default/cm-3"]
            #expect(try await eventually {
                informer.keys.filter { $0.hasPrefix("default/cm-") } == expected && informer.get("default/pre") == nil
                    && informer.get("default/cm-1")?.data == ["v": "1"]
            })
            let web = informer.list(labelSelector: try LabelSelectorExpression(parsing: "app=web"))
            #expect(web.compactMap(\.metadata.name) == ["cm-0", "cm-1", "cm-2"])

            // Every change reaches the queue; keys changed several times are queued once. The cache changes before the
            // handlers run, so the last enqueue may come a moment after the cache showed it: drain until all are seen.
            await queue.done("default/pre")
            var keys = Set<String>()
            let wanted: Set<String> = ["default/cm-0", "default/cm-1", "default/cm-4", "default/pre"]
            let deadline = ContinuousClock.now + .seconds(5)
            while !keys.isSuperset(of: wanted), ContinuousClock.now < deadline {
                if await queue.count > 0, let key = await queue.get() {
                    keys.insert(key)
                    await queue.done(key)
                } else {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            #expect(keys.isSuperset(of: wanted), "\(keys)")
            run.cancel()
            await run.value
            try await watcher.shutdown()
            try await writer.shutdown()
        }
    }

    @Test func informerRelistsAfterItsWatchIsDropped() async throws {
        try await withTestServer { server in
            let client = try server.client()
            _ = try await client.create(configMap("a", rv: "").withoutResourceVersion)
            let informer = Informer<ConfigMap>(ListWatch(client: client, namespace: "default"),
                                               backoff: Backoff(initial: .milliseconds(50), maximum: .milliseconds(200)),
                                               logger: server.logger)
            let run = Task { await informer.run() }
            defer { run.cancel() }
            try await informer.waitForSync()
            #expect(informer.keys == ["default/a"])

            // The server goes away (the watch connection drops) and comes back on the same port and data.
            try await server.restart()
            try await client.delete(ConfigMap.self, name: "a", namespace: "default")
            _ = try await client.create(configMap("b", rv: "").withoutResourceVersion)
            #expect(try await eventually { informer.keys == ["default/b"] })
            run.cancel()
            await run.value
            try await client.shutdown()
        }
    }
}

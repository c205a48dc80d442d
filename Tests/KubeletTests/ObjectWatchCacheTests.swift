import Foundation
import KubeAPI
import KubeClient
import Logging
import TestSupport
import Testing
@testable import Kubelet

/// With the node's own credentials, as the agent runs: a ConfigMap a pod bound to the node refers to is read
/// through a watch of that one object (which the node authorizer allows), follows changes without being asked
/// for again, appears once it is created; one the node's pods do not refer to is refused and reported in
/// upstream's words; the watch ends when the last pod referring to the object is released.
@Test(.timeLimit(.minutes(2)))
func watchedConfigMapsFollowTheAPIServerAndEndWithTheirLastPod() async throws {
    try await withNodeCredentials { _, admin, node in
        _ = try await admin.create(ConfigMap(metadata: ObjectMeta(name: "settings", namespace: "default"), data: ["k": "v1"]))
        _ = try await admin.create(ConfigMap(metadata: ObjectMeta(name: "unrelated", namespace: "default"), data: ["k": "x"]))
        func pod(_ name: String) throws -> Pod {
            try JSONDecoder().decode(Pod.self, from: Data("""
                {"metadata":{"name":"\(name)","namespace":"default"},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"busybox"}],
                 "volumes":[{"name":"a","configMap":{"name":"settings"}},{"name":"b","configMap":{"name":"later","optional":true}}]}}
                """.utf8))
        }
        let first = try await admin.create(try pod("first")), second = try await admin.create(try pod("second"))
        let cache = ObjectWatchCache<ConfigMap>(client: node, logger: Logger(label: "cache"), syncTimeout: .seconds(2))

        #expect(try await cache.get(name: "settings", namespace: "default", podUID: first.metadata.uid ?? "")?.data == ["k": "v1"])
        #expect(try await cache.get(name: "settings", namespace: "default", podUID: second.metadata.uid ?? "")?.data == ["k": "v1"])
        #expect(try await cache.get(name: "later", namespace: "default", podUID: first.metadata.uid ?? "") == nil)
        #expect(cache.count == 2, "one watch per object, shared by the pods")

        var changed = try await admin.get(ConfigMap.self, name: "settings", namespace: "default")
        changed.data = ["k": "v2"]
        _ = try await admin.update(changed)
        _ = try await admin.create(ConfigMap(metadata: ObjectMeta(name: "later", namespace: "default"), data: ["k": "now"]))
        func eventually(_ name: String, _ value: String) async throws -> Bool {
            for _ in 0..<100 {
                if try await cache.get(name: name, namespace: "default", podUID: first.metadata.uid ?? "")?.data?["k"] == value { return true }
                try await Task.sleep(for: .milliseconds(20))
            }
            return false
        }
        #expect(try await eventually("settings", "v2"), "the update reached the watched copy")
        #expect(try await eventually("later", "now"), "the creation reached the watched copy")

        // Not referred to by any pod on n1: the node may not list it, so the watch never syncs.
        do {
            _ = try await cache.get(name: "unrelated", namespace: "default", podUID: first.metadata.uid ?? "")
            Issue.record("a ConfigMap no pod on the node refers to was read")
        } catch {
            #expect("\(error)" == "failed to sync configmap cache: timed out waiting for the condition")
        }

        cache.release(podUID: first.metadata.uid ?? "")
        #expect(cache.count == 1, "settings is still read by the second pod")
        cache.release(podUID: second.metadata.uid ?? "")
        #expect(cache.count == 0)
    }
}

/// Each watch holds one of the client's HTTP/1.1 connections: past `maximumWatches` objects (32) the cache reads with
/// a GET, so the node's client keeps connections for everything else (before the budget, a node whose pods used
/// about sixty objects had every request wait for a connection until its deadline); a watch ended makes room.
@Test(.timeLimit(.minutes(2)))
func pastItsWatchBudgetTheCacheReadsWithGETsAndTheClientStaysUsable() async throws {
    try await withNodeCredentials { _, admin, node in
        let objects = 40
        var volumes: [String] = []
        for index in 0..<objects {
            _ = try await admin.create(ConfigMap(metadata: ObjectMeta(name: "cm\(index)", namespace: "default"), data: ["k": "v\(index)"]))
            volumes.append(#"{"name":"v\#(index)","configMap":{"name":"cm\#(index)"}}"#)
        }
        let pod = try await admin.create(try JSONDecoder().decode(Pod.self, from: Data("""
            {"metadata":{"name":"many","namespace":"default"},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"busybox"}],
             "volumes":[\(volumes.joined(separator: ","))]}}
            """.utf8)))
        let other = try await admin.create(try JSONDecoder().decode(Pod.self, from: Data("""
            {"metadata":{"name":"one","namespace":"default"},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"busybox"}],
             "volumes":[{"name":"v","configMap":{"name":"cm39"}}]}}
            """.utf8)))
        let cache = ObjectWatchCache<ConfigMap>(client: node, logger: Logger(label: "cache"))
        for index in 0..<objects {
            #expect(try await cache.get(name: "cm\(index)", namespace: "default", podUID: pod.metadata.uid ?? "")?.data == ["k": "v\(index)"])
        }
        #expect(cache.count == 32)
        // Read past the budget: a GET each time, so a change shows at once.
        var changed = try await admin.get(ConfigMap.self, name: "cm39", namespace: "default")
        changed.data = ["k": "new"]
        _ = try await admin.update(changed)
        #expect(try await cache.get(name: "cm39", namespace: "default", podUID: other.metadata.uid ?? "")?.data == ["k": "new"])
        // The node's other requests are not starved of connections.
        #expect(try await node.get(Node.self, name: "n1").metadata.name == "n1")
        // The first pod goes: its watches end, and the next read of cm39 watches it.
        cache.release(podUID: pod.metadata.uid ?? "")
        #expect(cache.count == 0)
        #expect(try await cache.get(name: "cm39", namespace: "default", podUID: other.metadata.uid ?? "")?.data == ["k": "new"])
        #expect(cache.count == 1)
        cache.release(podUID: other.metadata.uid ?? "")
    }
}

/// An immutable ConfigMap cannot change: its watch ends once it has been read (upstream's manager stops it too), it
/// no longer counts against the budget, and its pods keep the copy even after the object is deleted.
@Test(.timeLimit(.minutes(2)))
func anImmutableObjectIsReadOnceAndKeptWithoutAWatch() async throws {
    try await withNodeCredentials { _, admin, node in
        _ = try await admin.create(ConfigMap(metadata: ObjectMeta(name: "frozen", namespace: "default"), immutable: true, data: ["k": "v"]))
        let pod = try await admin.create(try JSONDecoder().decode(Pod.self, from: Data("""
            {"metadata":{"name":"reader","namespace":"default"},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"busybox"}],
             "volumes":[{"name":"v","configMap":{"name":"frozen"}}]}}
            """.utf8)))
        let cache = ObjectWatchCache<ConfigMap>(client: node, logger: Logger(label: "cache"))
        #expect(try await cache.get(name: "frozen", namespace: "default", podUID: pod.metadata.uid ?? "")?.data == ["k": "v"])
        #expect(cache.count == 0, "the watch of an immutable object ends once it is read")
        try await admin.delete(ConfigMap.self, name: "frozen", namespace: "default")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await cache.get(name: "frozen", namespace: "default", podUID: pod.metadata.uid ?? "")?.data == ["k": "v"])
        cache.release(podUID: pod.metadata.uid ?? "")
        #expect(cache.count == 0)
    }
}

import Foundation
import KubeAPI
import KubeClient
import Logging
import Testing
import TestSupport

/// `swiftlet server --store etcd://…` against a real etcd: kubectl works as on SQLite, an expired resourceVersion
/// is 410 Gone, and a server without its etcd says so and exits.
@Suite(.serialized) struct EtcdServerTests {
    @Test func kubectlCreateGetWatchOnEtcd() async throws {
        let etcd = try await EtcdCluster(members: 1)
        defer { etcd.stop() }
        let k = try await KubectlHarness(serverArguments: ["--store", etcd.storeArgument])
        let watcher = try k.watch("get", "configmaps", "-w", "--output-watch-events")
        defer { watcher.stop() }
        try await Task.sleep(for: .seconds(1))
        #expect(try await k.ok("create", "configmap", "stored-in-etcd", "--from-literal=a=1").contains("configmap/stored-in-etcd created"))
        let created = try await k.kubectl("create", "configmap", "stored-in-etcd", "--from-literal=a=2")
        #expect(created.status != 0 && created.stderr.contains("already exists"), "\(created)")
        #expect(try await k.ok("get", "configmap", "stored-in-etcd", "-o", "jsonpath={.data.a}") == "1")
        _ = try await k.ok("label", "configmap", "stored-in-etcd", "x=y")
        let resourceVersion = try await k.ok("get", "configmap", "stored-in-etcd", "-o", "jsonpath={.metadata.resourceVersion}")
        // An update from a stale resourceVersion is a conflict.
        let stale = try await k.kubectl("replace", "-f", "-", stdin: """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: stored-in-etcd, resourceVersion: "\(Int(resourceVersion)! - 1)"}
            data: {a: '3'}
            """)
        #expect(stale.status != 0 && stale.stderr.contains("the object has been modified"), "\(stale)")
        _ = try await k.ok("delete", "configmap", "stored-in-etcd")
        let text = try await watcher.waitForOutput(containing: "DELETED")
        #expect(text.contains("ADDED") && text.contains("stored-in-etcd"), "\(text)")
        #expect(text.contains("MODIFIED"), "\(text)")
        #expect(text.contains("DELETED"), "\(text)")
        // Built-in objects the server bootstraps live in etcd too.
        #expect(try await k.ok("get", "namespaces", "-o", "name").contains("namespace/kube-system"))
    }

    @Test func expiredResourceVersionIsGone() async throws {
        let etcd = try await EtcdCluster(members: 1)
        defer { etcd.stop() }
        let k = try await KubectlHarness(controllers: false, serverArguments: [
            "--store", etcd.storeArgument, "--history-revisions", "5", "--history-seconds", "0", "--compaction-interval", "1",
        ])
        let first = try await k.ok("create", "configmap", "c0", "-o", "jsonpath={.metadata.resourceVersion}")
        _ = try await k.ok("create", "configmap", "c1")
        let page = try await k.curl("GET", "/api/v1/namespaces/default/configmaps?limit=1")
        let token = try #require(page.body.firstMatch(of: /"continue":"([^"]+)"/)?.1, "\(page)")
        // etcd's range count gives remainingItemCount, as upstream's etcd3 store sets it.
        #expect(page.body.contains("\"remainingItemCount\":1"), "\(page)")
        for i in 2..<20 { _ = try await k.ok("create", "configmap", "c\(i)") }
        // Two compactor rounds: the first samples the revision, the second compacts to it.
        try await Task.sleep(for: .seconds(3))
        let watch = try await k.curl("GET", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=\(first)")
        #expect(watch.code == 200 && watch.body.contains("\"type\":\"ERROR\"") && watch.body.contains("\"code\":410"), "\(watch)")
        // The rest of a list begun before the compaction is gone too.
        let rest = try await k.curl("GET", "/api/v1/namespaces/default/configmaps?limit=1&continue=\(token)")
        #expect(rest.code == 410 && rest.body.contains("Expired"), "\(rest)")
    }

    /// `swiftlet store migrate` of a stopped server's SQLite store into etcd, then the server started again on etcd
    /// with the same data directory (so the same cluster token; the CA travelled in the store's bootstrap data): the
    /// same objects at the same resourceVersions, through the admin kubeconfig it had, and a watch from the last list's
    /// resourceVersion sees only what came after.
    @Test(.timeLimit(.minutes(2)))
    func migratedClusterServesTheSameObjectsAtTheSameResourceVersions() async throws {
        let sqlite = try await ServerProcess()
        defer { sqlite.stop() }
        let admin = try KubeClient(configuration: sqlite.clientConfiguration(), logger: Logger(label: "test"))
        for i in 0..<5 { _ = try await admin.create(ConfigMap(metadata: ObjectMeta(name: "cm-\(i)"), data: ["i": String(i)])) }
        var edited = try await admin.get(ConfigMap.self, name: "cm-0", namespace: "default")
        edited.data = ["i": "edited"]
        _ = try await admin.update(edited)
        try await admin.delete(ConfigMap.self, name: "cm-1", namespace: "default")
        let before = try await admin.list(ConfigMap.self, namespace: "default")
        let versions = Dictionary(uniqueKeysWithValues: before.items.map { ($0.metadata.name ?? "", $0.metadata.resourceVersion ?? "") })
        try await admin.shutdown()
        sqlite.stop(keepData: true)

        let etcd = try await EtcdCluster(members: 1)
        defer { etcd.stop() }
        let migrated = try await runCommand(try BuiltProducts.path(of: "swiftlet"),
                                            ["store", "migrate", "--from", "sqlite:\(sqlite.dataDirectory)/state.db", "--to", etcd.storeArgument])
        #expect(migrated.status == 0, "\(migrated)")
        let onEtcd = try await ServerProcess(extraArguments: ["--store", etcd.storeArgument], dataDirectory: sqlite.dataDirectory)
        defer { onEtcd.stop() }
        let client = try KubeClient(configuration: onEtcd.clientConfiguration(), logger: Logger(label: "test"))
        let after = try await client.list(ConfigMap.self, namespace: "default")
        #expect(Dictionary(uniqueKeysWithValues: after.items.map { ($0.metadata.name ?? "", $0.metadata.resourceVersion ?? "") }) == versions)
        #expect(after.items.first { $0.metadata.name == "cm-0" }?.data == ["i": "edited"])
        let kubectl = try #require(which("kubectl"))
        let viaKubectl = try await runCommand(kubectl, ["--kubeconfig", onEtcd.kubeconfig, "get", "configmap", "cm-2", "-o", "jsonpath={.metadata.resourceVersion}"],
                                              environment: ["HOME": onEtcd.dataDirectory])
        #expect(viaKubectl.status == 0 && viaKubectl.stdout == versions["cm-2"], "\(viaKubectl)")
        let watch = Task { () async throws -> WatchEvent<ConfigMap>? in
            for try await event in client.watch(ConfigMap.self, namespace: "default", resourceVersion: before.metadata.resourceVersion) {
                return event
            }
            return nil
        }
        try await Task.sleep(for: .milliseconds(500))
        let fresh = try await client.create(ConfigMap(metadata: ObjectMeta(name: "after-migration")))
        guard case .added(let first)? = try await watch.value else { throw TestSupportError("the watch ended without an event") }
        #expect(first.metadata.name == "after-migration")
        #expect(Int(fresh.metadata.resourceVersion ?? "0")! > Int(before.metadata.resourceVersion ?? "0")!)
        try await client.shutdown()
    }

    @Test func unreachableEtcdIsAClearStartupError() async throws {
        let port = try freeLoopbackPorts(1)[0]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-test-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await runCommand(try BuiltProducts.path(of: "swiftlet"),
                                          ["server", "--data-dir", directory, "--listen", "127.0.0.1:0", "--store", "etcd://127.0.0.1:\(port)"],
                                          timeout: 60)
        #expect(result.status != 0)
        #expect(result.stderr.contains("etcd at 127.0.0.1:\(port) is unreachable"), "\(result)")
    }
}

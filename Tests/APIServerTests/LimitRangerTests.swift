import Foundation
import KubeAPI
import Store
import Synchronization
import Testing
@testable import APIServer

/// The LimitRanger plugin below the HTTP layer (the kubectl behaviour is in `ResourceQuotaAndLimitRangeTests`).
@Suite struct LimitRangerTests {
    /// A store that counts the lists under one prefix.
    final class CountingStore: Store, Sendable {
        let base: any Store
        let prefix: String
        let lists = Mutex(0)
        init(base: any Store, prefix: String) {
            self.base = base
            self.prefix = prefix
        }
        func create(key: String, value: Data, ttl: Duration?) async throws -> Int64 { try await base.create(key: key, value: value, ttl: ttl) }
        func get(key: String) async throws -> KeyValue? { try await base.get(key: key) }
        func list(prefix: String, startAfter: String?, limit: Int, revision: Int64?, counting: Bool) async throws -> ListResult {
            if prefix.hasPrefix(self.prefix) { lists.withLock { $0 += 1 } }
            return try await base.list(prefix: prefix, startAfter: startAfter, limit: limit, revision: revision, counting: counting)
        }
        func count(prefix: String) async throws -> Int { try await base.count(prefix: prefix) }
        func update(key: String, value: Data, expectedRevision: Int64?, ttl: Duration?) async throws -> Int64 {
            try await base.update(key: key, value: value, expectedRevision: expectedRevision, ttl: ttl)
        }
        func delete(key: String, expectedRevision: Int64?) async throws -> KeyValue { try await base.delete(key: key, expectedRevision: expectedRevision) }
        func watch(prefix: String, afterRevision revision: Int64) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
            try await base.watch(prefix: prefix, afterRevision: revision)
        }
        func watchWithProgress(prefix: String, afterRevision revision: Int64) async throws -> ProgressWatch {
            try await base.watchWithProgress(prefix: prefix, afterRevision: revision)
        }
        func currentRevision() async throws -> Int64 { try await base.currentRevision() }
        func compact(revision: Int64) async throws { try await base.compact(revision: revision) }
        func expirations(prefix: String) async throws -> [String: Duration] { try await base.expirations(prefix: prefix) }
    }

    /// A pod create reads the namespace's LimitRanges once: the defaults its mutating half applies and the bounds its
    /// validating half checks come from the same read. The next request reads them again, and sees what changed.
    @Test func aPodCreateReadsTheLimitRangesOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("limits-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = try SQLiteStore(path: directory + "/store.db")
        let store = CountingStore(base: sqlite, prefix: StoredObject.prefix(LimitRange.resource, namespace: nil))
        let limits = LimitRange(metadata: ObjectMeta(name: "lr", namespace: "default"), spec: LimitRangeSpec(limits: [
            LimitRangeItem(type: LimitRange.containerType, max: ["cpu": "1"], default: ["cpu": "500m"], defaultRequest: ["cpu": "100m"]),
        ]))
        let key = StoredObject.key(LimitRange.resource, namespace: "default", name: "lr")
        _ = try await sqlite.create(key: key, value: try StoredObject.encode(limits))
        let server = AdmissionContext(serviceIPs: try ServiceIPAllocator(cidr: "10.96.0.0/12"), nodePorts: NodePortAllocator(),
                                      limitRanger: LimitRanger(store: store))

        func create(_ pod: Pod) async throws -> Pod {
            var pod = pod
            let context = server.forRequest()
            try await PodStrategy().prepareForCreate(&pod, context: context)
            try await PodStrategy().admitValidated(pod, context: context)
            return pod
        }
        let plain = try await create(Pod(metadata: ObjectMeta(name: "plain", namespace: "default"),
                                         spec: PodSpec(containers: [Container(name: "c", image: "x")])))
        #expect(plain.spec?.containers[0].resources?.limits == ["cpu": "500m"] && plain.spec?.containers[0].resources?.requests == ["cpu": "100m"])
        #expect(store.lists.withLock { $0 } == 1)

        // A LimitRange made before the next create bounds that one: it reads again.
        var stricter = limits
        stricter.spec?.limits[0].max = ["cpu": "400m"]
        let current = try #require(try await sqlite.get(key: key))
        _ = try await sqlite.update(key: key, value: try StoredObject.encode(stricter), expectedRevision: current.modRevision)
        let refusal = await #expect(throws: Status.self) {
            _ = try await create(Pod(metadata: ObjectMeta(name: "big", namespace: "default"), spec: PodSpec(containers: [Container(name: "c", image: "x")])))
        }
        #expect(refusal?.message == #"pods "big" is forbidden: maximum cpu usage per Container is 400m, but limit is 500m"#)
        #expect(store.lists.withLock { $0 } == 2)
    }
}

import Foundation
import KubeAPI
import Logging
import Store
import Testing
@testable import APIServer

/// The quota admission plugin and the usage it charges, below the HTTP layer (the kubectl behaviour is in
/// `ResourceQuotaAndLimitRangeTests`).
@Suite struct QuotaAdmissionTests {
    /// A store whose lists take a while, so that concurrent creates would all read the quota before any writes it,
    /// were check and charge not serialised.
    struct SlowListStore: Store {
        let base: any Store
        func create(key: String, value: Data, ttl: Duration?) async throws -> Int64 { try await base.create(key: key, value: value, ttl: ttl) }
        func get(key: String) async throws -> KeyValue? { try await base.get(key: key) }
        func list(prefix: String, startAfter: String?, limit: Int, revision: Int64?, counting: Bool) async throws -> ListResult {
            try await Task.sleep(for: .milliseconds(20))
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

    static func pod(_ name: String, requests: [String: Quantity]? = nil) -> Pod {
        Pod(metadata: ObjectMeta(name: name, namespace: "default"),
            spec: PodSpec(containers: [Container(name: "c", image: "x", resources: ResourceRequirements(requests: requests))]))
    }

    @Test func concurrentCreatesAreChargedOneAtATime() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quota-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = try SQLiteStore(path: directory + "/store.db")
        let key = StoredObject.key(ResourceQuota.resource, namespace: "default", name: "q")
        let quota = ResourceQuota(metadata: ObjectMeta(name: "q", namespace: "default"), spec: ResourceQuotaSpec(hard: ["pods": 3]),
                                  status: ResourceQuotaStatus(hard: ["pods": 3], used: ["pods": 0]))
        _ = try await sqlite.create(key: key, value: try StoredObject.encode(quota))
        let admission = QuotaAdmission(store: SlowListStore(base: sqlite), logger: Logger(label: "test"))
        try await admission.load()

        let outcomes = await withTaskGroup(of: String.self) { group in
            for i in 0..<10 {
                group.addTask {
                    do {
                        try await admission.admitCreate(Self.pod("p\(i)"), dryRun: false)
                        return "admitted"
                    } catch let status as Status {
                        return status.message ?? ""
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == "admitted" }.count == 3, "\(outcomes)")
        #expect(outcomes.filter { $0 != "admitted" }.allSatisfy { $0.hasSuffix("is forbidden: exceeded quota: q, requested: pods=1, used: pods=3, limited: pods=3") }, "\(outcomes)")
        let stored = try KubeJSON.decode(ResourceQuota.self, from: try #require(try await sqlite.get(key: key)).value)
        #expect(stored.status?.used?["pods"] == 3)
        // A dry run is checked but not charged.
        await #expect(throws: Status.self) { try await admission.admitCreate(Self.pod("dry"), dryRun: true) }
    }

    @Test func chargeFollowsUpstreamsChecks() throws {
        func quota(_ hard: [String: Quantity], used: [String: Quantity]?, scopes: [String]? = nil) -> [(KeyValue, ResourceQuota)] {
            let quota = ResourceQuota(metadata: ObjectMeta(name: "q", namespace: "default"), spec: ResourceQuotaSpec(hard: hard, scopes: scopes),
                                      status: ResourceQuotaStatus(hard: hard, used: used))
            return [(KeyValue(key: "/registry/resourcequotas/default/q", value: Data(), createRevision: 1, modRevision: 1), quota)]
        }
        func refusal(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "" } catch { return (error as? Status)?.message ?? "\(error)" }
        }
        // Not yet counted by the controller: refused until it is.
        #expect(refusal { try QuotaAdmission.charge(Self.pod("a"), quotas: quota(["pods": 2], used: nil)) }
                == #"pods "a" is forbidden: status unknown for quota: q, resources: pods"#)
        // Charged under every name the quota enforces; the rest of the usage is not recorded.
        let charged = try QuotaAdmission.charge(Self.pod("a", requests: ["cpu": "250m", "memory": "64Mi"]),
                                                quotas: quota(["pods": 2, "requests.cpu": "1"], used: ["pods": 1, "requests.cpu": "500m"]))
        #expect(charged.first?.1.status?.used == ["pods": 2, "requests.cpu": "750m"])
        // A BestEffort quota does not count a pod that requests cpu; a NotBestEffort one does.
        #expect(try QuotaAdmission.charge(Self.pod("a", requests: ["cpu": "1"]), quotas: quota(["pods": 0], used: ["pods": 0], scopes: ["BestEffort"])).isEmpty)
        #expect(refusal { try QuotaAdmission.charge(Self.pod("a", requests: ["cpu": "1"]), quotas: quota(["pods": 0], used: ["pods": 0], scopes: ["NotBestEffort"])) }
                == #"pods "a" is forbidden: exceeded quota: q, requested: pods=1, used: pods=0, limited: pods=0"#)
        // `cpu` and `memory` are the requests' older names.
        let aliased = try QuotaAdmission.charge(Self.pod("a", requests: ["cpu": "250m", "memory": "64Mi"]),
                                                quotas: quota(["cpu": "1", "memory": "1Gi"], used: ["cpu": "0", "memory": "0"]))
        #expect(aliased.first?.1.status?.used == ["cpu": "250m", "memory": "64Mi"])
        // Object counts under both names where the kind has a legacy one; claims their storage, also per class.
        #expect(QuotaUsage.usage(of: ConfigMap(metadata: ObjectMeta(name: "c", namespace: "default"))) == ["count/configmaps": 1, "configmaps": 1])
        #expect(QuotaUsage.usage(of: Deployment(metadata: ObjectMeta(name: "d", namespace: "default"))) == ["count/deployments.apps": 1])
        var claim = PersistentVolumeClaim(metadata: ObjectMeta(name: "data", namespace: "default"))
        claim.spec = PersistentVolumeClaimSpec(resources: VolumeResourceRequirements(requests: ["storage": "5Gi"]), storageClassName: "fast")
        #expect(QuotaUsage.usage(of: claim) == ["count/persistentvolumeclaims": 1, "persistentvolumeclaims": 1, "requests.storage": "5Gi",
                                                "fast.storageclass.storage.k8s.io/persistentvolumeclaims": 1,
                                                "fast.storageclass.storage.k8s.io/requests.storage": "5Gi"])
        // A finished pod uses no compute resources, but is still an object.
        var finished = Self.pod("done", requests: ["cpu": "1"])
        finished.status = PodStatus(phase: "Succeeded")
        #expect(QuotaUsage.usage(of: finished) == ["count/pods": 1])
        // Init containers raise the pod's requests to their own (plus the sidecars started before them).
        var spec = PodSpec(containers: [Container(name: "app", image: "x", resources: ResourceRequirements(requests: ["cpu": "100m"]))])
        spec.initContainers = [Container(name: "sidecar", image: "x", resources: ResourceRequirements(requests: ["cpu": "50m"]), restartPolicy: "Always"),
                               Container(name: "setup", image: "x", resources: ResourceRequirements(requests: ["cpu": "500m"]))]
        #expect(QuotaUsage.podRequests(spec)["cpu"] == "550m")
    }
}

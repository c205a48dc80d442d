import Foundation
import KubeAPI
import Logging
import Store
import Synchronization
import Testing
@testable import APIServer

/// The quota admission plugin and the usage it charges, below the HTTP layer (the kubectl behaviour is in
/// `ResourceQuotaAndLimitRangeTests`).
@Suite struct QuotaAdmissionTests {
    /// A store whose lists take a while, so that concurrent creates would all read the quota before any writes it,
    /// were check and charge not serialised.
    static func slowLists(_ base: any Store) -> InterceptingStore {
        InterceptingStore(base: base, beforeList: { _ in try await Task.sleep(for: .milliseconds(20)) })
    }

    /// A store where another server charges the quota at `key` just before this one's first write of it, so that
    /// write loses the revision check.
    static func racing(_ base: any Store, key: String, charge: @escaping @Sendable (ResourceQuota) -> ResourceQuota) -> InterceptingStore {
        let raced = Raced()
        return InterceptingStore(base: base, beforeUpdate: { updated, base in
            guard updated == key, raced.first.withLock({ first in defer { first = false }; return first }),
                  let current = try await base.get(key: key) else { return }
            let other = charge(try KubeJSON.decode(ResourceQuota.self, from: current.value))
            _ = try await base.update(key: key, value: try StoredObject.encode(other), expectedRevision: current.modRevision, ttl: nil)
        })
    }

    /// Whether the racing store's other server has yet to write.
    final class Raced: Sendable {
        let first = Mutex(true)
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
        let admission = QuotaAdmission(store: Self.slowLists(sqlite), logger: Logger(label: "test"))
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

    static func service(_ name: String, type: String, ports: Int) -> Service {
        Service(metadata: ObjectMeta(name: name, namespace: "default"),
                spec: ServiceSpec(ports: (0..<ports).map { ServicePort(name: "p\($0)", port: Int32(80 + $0)) }, type: type))
    }

    static func claim(_ name: String, storage: Quantity, className: String? = nil) -> PersistentVolumeClaim {
        var claim = PersistentVolumeClaim(metadata: ObjectMeta(name: name, namespace: "default"))
        claim.spec = PersistentVolumeClaimSpec(resources: VolumeResourceRequirements(requests: ["storage": storage]), storageClassName: className)
        return claim
    }

    /// Upstream's checkRequest on UPDATE: the growth from the stored version's usage is checked and charged, a
    /// shrink or a name the update leaves alone costs nothing, and pods and object counts are not evaluated at all.
    @Test func updatesAreChargedTheirGrowthOnly() throws {
        func quota(_ hard: [String: Quantity], used: [String: Quantity]) -> [(KeyValue, ResourceQuota)] {
            let quota = ResourceQuota(metadata: ObjectMeta(name: "q", namespace: "default"), spec: ResourceQuotaSpec(hard: hard),
                                      status: ResourceQuotaStatus(hard: hard, used: used))
            return [(KeyValue(key: "/registry/resourcequotas/default/q", value: Data(), createRevision: 1, modRevision: 1), quota)]
        }
        func refusal(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "" } catch { return (error as? Status)?.message ?? "\(error)" }
        }
        // A claim growing from 1Gi to 3Gi is charged 2Gi, under the class's name too.
        let storage = quota(["requests.storage": "5Gi", "fast.storageclass.storage.k8s.io/requests.storage": "4Gi", "persistentvolumeclaims": 2],
                            used: ["requests.storage": "1Gi", "fast.storageclass.storage.k8s.io/requests.storage": "1Gi", "persistentvolumeclaims": 1])
        let grown = try QuotaAdmission.charge(Self.claim("data", storage: "3Gi", className: "fast"),
                                              old: Self.claim("data", storage: "1Gi", className: "fast"), quotas: storage)
        #expect(grown.first?.1.status?.used == ["requests.storage": "3Gi", "fast.storageclass.storage.k8s.io/requests.storage": "3Gi",
                                                "persistentvolumeclaims": 1])
        #expect(refusal { try QuotaAdmission.charge(Self.claim("data", storage: "5Gi", className: "fast"),
                                                    old: Self.claim("data", storage: "1Gi", className: "fast"), quotas: storage) }
                == #"persistentvolumeclaims "data" is forbidden: exceeded quota: q, requested: fast.storageclass.storage.k8s.io/requests.storage=4Gi, used: fast.storageclass.storage.k8s.io/requests.storage=1Gi, limited: fast.storageclass.storage.k8s.io/requests.storage=4Gi"#)
        // A shrink, or an update that changes nothing quota counts, is free (the claim count is not charged again).
        #expect(try QuotaAdmission.charge(Self.claim("data", storage: "1Gi", className: "fast"),
                                          old: Self.claim("data", storage: "2Gi", className: "fast"), quotas: storage).isEmpty)
        #expect(try QuotaAdmission.charge(Self.claim("data", storage: "1Gi", className: "fast"),
                                          old: Self.claim("data", storage: "1Gi", className: "fast"), quotas: storage).isEmpty)

        // A ClusterIP Service turned NodePort is charged its ports.
        let services = quota(["services": 5, "services.nodeports": 2, "services.loadbalancers": 1],
                             used: ["services": 1, "services.nodeports": 0, "services.loadbalancers": 0])
        #expect(refusal { try QuotaAdmission.charge(Self.service("web", type: "NodePort", ports: 3), old: Self.service("web", type: "ClusterIP", ports: 3),
                                                    quotas: services) }
                == #"services "web" is forbidden: exceeded quota: q, requested: services.nodeports=3, used: services.nodeports=0, limited: services.nodeports=2"#)
        let nodePort = try QuotaAdmission.charge(Self.service("web", type: "NodePort", ports: 2), old: Self.service("web", type: "ClusterIP", ports: 2),
                                                 quotas: services)
        #expect(nodePort.first?.1.status?.used == ["services": 1, "services.nodeports": 2, "services.loadbalancers": 0])
        // NodePort to LoadBalancer: the node ports stay, only the load balancer is checked, even where the node
        // ports are already over a lowered limit (upstream drops the names an update does not grow).
        let over = quota(["services.nodeports": 1, "services.loadbalancers": 1], used: ["services.nodeports": 2, "services.loadbalancers": 0])
        let balanced = try QuotaAdmission.charge(Self.service("web", type: "LoadBalancer", ports: 2), old: Self.service("web", type: "NodePort", ports: 2),
                                                 quotas: over)
        #expect(balanced.first?.1.status?.used == ["services.nodeports": 2, "services.loadbalancers": 1])

        // Only services and claims are evaluated on update.
        #expect(QuotaAdmission.evaluatesUpdates(Service.resource) && QuotaAdmission.evaluatesUpdates(PersistentVolumeClaim.resource))
        #expect(!QuotaAdmission.evaluatesUpdates(Pod.resource) && !QuotaAdmission.evaluatesUpdates(ConfigMap.resource))
    }

    /// A claim is charged its request or, when more, what its volume was allocated (RecoverVolumeExpansionFailure, on
    /// by default in 1.32: shrinking the request back after a failed expansion frees nothing), in whole bytes.
    @Test func claimsAreChargedTheLargerOfRequestAndAllocationRoundedUp() throws {
        var recovering = Self.claim("data", storage: "1Gi", className: "fast")
        recovering.status = PersistentVolumeClaimStatus(phase: "Bound", allocatedResources: ["storage": "3Gi"])
        let usage = QuotaUsage.usage(of: recovering)
        #expect(usage["requests.storage"] == "3Gi" && usage["fast.storageclass.storage.k8s.io/requests.storage"] == "3Gi", "\(usage)")
        var grown = recovering
        grown.spec?.resources?.requests?["storage"] = "5Gi"
        #expect(QuotaUsage.usage(of: grown)["requests.storage"] == "5Gi")
        #expect(QuotaUsage.usage(of: Self.claim("data", storage: "1500m"))["requests.storage"] == "2")
        #expect(QuotaUsage.usage(of: Self.claim("data", storage: "1Gi"))["requests.storage"]?.description == "1Gi")
        var unrequested = PersistentVolumeClaim(metadata: ObjectMeta(name: "data", namespace: "default"))
        unrequested.status = PersistentVolumeClaimStatus(allocatedResources: ["storage": "3Gi"])
        #expect(QuotaUsage.usage(of: unrequested)["requests.storage"] == nil)

        // Growing the request of a claim allocated 3Gi to 4Gi is charged 1Gi; shrinking it back to 2Gi is free.
        let hard: [String: Quantity] = ["requests.storage": "10Gi"]
        let quotas = [(KeyValue(key: "/registry/resourcequotas/default/q", value: Data(), createRevision: 1, modRevision: 1),
                       ResourceQuota(metadata: ObjectMeta(name: "q", namespace: "default"), spec: ResourceQuotaSpec(hard: hard),
                                     status: ResourceQuotaStatus(hard: hard, used: ["requests.storage": "3Gi"])))]
        var four = recovering
        four.spec?.resources?.requests?["storage"] = "4Gi"
        let charged = try QuotaAdmission.charge(four, old: recovering, quotas: quotas)
        #expect(charged.map { $0.1.status?.used?["requests.storage"] } == ["4Gi"])
        var two = recovering
        two.spec?.resources?.requests?["storage"] = "2Gi"
        #expect(try QuotaAdmission.charge(two, old: recovering, quotas: quotas).isEmpty)
    }

    /// Two quotas charged for one claim, the second's write losing to another server's charge: only that quota is read
    /// and checked again (the first keeps its single charge), and the second ends with both charges.
    @Test func aLostQuotaWriteIsRetriedAloneWithTheOtherServersCharge() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quota-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = try SQLiteStore(path: directory + "/store.db")
        let first = StoredObject.key(ResourceQuota.resource, namespace: "default", name: "a")
        let second = StoredObject.key(ResourceQuota.resource, namespace: "default", name: "b")
        for (key, name) in [(first, "a"), (second, "b")] {
            let quota = ResourceQuota(metadata: ObjectMeta(name: name, namespace: "default"), spec: ResourceQuotaSpec(hard: ["requests.storage": "10Gi"]),
                                      status: ResourceQuotaStatus(hard: ["requests.storage": "10Gi"], used: ["requests.storage": "1Gi"]))
            _ = try await sqlite.create(key: key, value: try StoredObject.encode(quota))
        }
        let racing = Self.racing(sqlite, key: second) { quota in
            var charged = quota
            charged.status?.used?["requests.storage"] = "5Gi"
            return charged
        }
        let admission = QuotaAdmission(store: racing, logger: Logger(label: "test"))
        try await admission.load()
        try await admission.admitUpdate(Self.claim("data", storage: "3Gi"), old: Self.claim("data", storage: "1Gi"), dryRun: false)
        func used(_ key: String) async throws -> Quantity? {
            try KubeJSON.decode(ResourceQuota.self, from: try #require(try await sqlite.get(key: key)).value).status?.used?["requests.storage"]
        }
        #expect(try await used(first) == "3Gi")
        #expect(try await used(second) == "7Gi")

        // Rechecked against the other server's charge, a growth that no longer fits is refused.
        let tight = Self.racing(sqlite, key: first) { quota in
            var charged = quota
            charged.status?.used?["requests.storage"] = "9Gi"
            return charged
        }
        let refusing = QuotaAdmission(store: tight, logger: Logger(label: "test"))
        try await refusing.load()
        let refusal = await #expect(throws: Status.self) {
            try await refusing.admitUpdate(Self.claim("data", storage: "5Gi"), old: Self.claim("data", storage: "3Gi"), dryRun: false)
        }
        #expect(refusal?.message == #"persistentvolumeclaims "data" is forbidden: exceeded quota: a, requested: requests.storage=2Gi, used: requests.storage=9Gi, limited: requests.storage=10Gi"#)
        #expect(try await used(first) == "9Gi")
        #expect(try await used(second) == "9Gi")
    }
}

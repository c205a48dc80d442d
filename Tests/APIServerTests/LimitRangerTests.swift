import Foundation
import KubeAPI
import Store
import Synchronization
import Testing
@testable import APIServer

/// The LimitRanger plugin below the HTTP layer (the kubectl behaviour is in `ResourceQuotaAndLimitRangeTests`).
@Suite struct LimitRangerTests {
    /// How many lists a store served under a prefix.
    final class ListCount: Sendable {
        let lists = Mutex(0)
    }

    /// A pod create reads the namespace's LimitRanges once: the defaults its mutating half applies and the bounds its
    /// validating half checks come from the same read. The next request reads them again, and sees what changed.
    @Test func aPodCreateReadsTheLimitRangesOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("limits-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = try SQLiteStore(path: directory + "/store.db")
        let counted = ListCount(), limitRanges = StoredObject.prefix(LimitRange.resource, namespace: nil)
        let store = InterceptingStore(base: sqlite, beforeList: { prefix in
            if prefix.hasPrefix(limitRanges) { counted.lists.withLock { $0 += 1 } }
        })
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
        #expect(counted.lists.withLock { $0 } == 1)

        // A LimitRange made before the next create bounds that one: it reads again.
        var stricter = limits
        stricter.spec?.limits[0].max = ["cpu": "400m"]
        let current = try #require(try await sqlite.get(key: key))
        _ = try await sqlite.update(key: key, value: try StoredObject.encode(stricter), expectedRevision: current.modRevision)
        let refusal = await #expect(throws: Status.self) {
            _ = try await create(Pod(metadata: ObjectMeta(name: "big", namespace: "default"), spec: PodSpec(containers: [Container(name: "c", image: "x")])))
        }
        #expect(refusal?.message == #"pods "big" is forbidden: maximum cpu usage per Container is 400m, but limit is 500m"#)
        #expect(counted.lists.withLock { $0 } == 2)
    }
}

@testable import Controllers
import Foundation
import KubeAPI
import Testing

/// The pure parts of the controllers, without a server: hashing, rounding, deletion order.
struct RolloutArithmeticTests {
    @Test func podTemplateHashUsesFNV32aAndTheSafeAlphabet() {
        var empty = FNV32a()
        empty.update(Data())
        #expect(empty.value == 0x811C_9DC5)
        var a = FNV32a()
        a.update(Data("a".utf8))
        #expect(a.value == 0xE40C_292C)
        #expect(PodTemplateHash.safeEncode("123") == "567")
        let template = template(["app": "web"])
        let hash = PodTemplateHash.compute(template, collisionCount: nil)
        #expect(hash == PodTemplateHash.compute(template, collisionCount: nil))
        #expect(hash != PodTemplateHash.compute(template, collisionCount: 1))
        #expect(hash.allSatisfy { "bcdfghjklmnpqrstvwxz2456789".contains($0) })
    }

    @Test(arguments: [
        // replicas, maxSurge, maxUnavailable, expected surge, expected unavailable
        (10, IntOrString.string("25%"), IntOrString.string("25%"), 3, 2),
        (4, IntOrString.int(1), IntOrString.int(1), 1, 1),
        (3, IntOrString.int(0), IntOrString.int(0), 0, 1),
        (1, IntOrString.string("10%"), IntOrString.string("10%"), 1, 0),
        (2, IntOrString.int(1), IntOrString.int(5), 1, 2),
    ])
    func surgeRoundsUpAndUnavailableRoundsDown(replicas: Int, surge: IntOrString, unavailable: IntOrString,
                                               expectedSurge: Int, expectedUnavailable: Int) {
        let d = Deployment(spec: DeploymentSpec(replicas: Int32(replicas), strategy: KubeAPI.DeploymentStrategy(
            type: "RollingUpdate", rollingUpdate: RollingUpdateDeployment(maxUnavailable: unavailable, maxSurge: surge))))
        #expect(d.maxSurge == expectedSurge)
        #expect(d.maxUnavailable == expectedUnavailable)
    }

    @Test func deletionPrefersUnscheduledPendingNotReadyAndNewerPods() {
        func pod(_ name: String, node: String? = nil, phase: String = "Running", ready: Bool = false, created: TimeInterval = 0) -> Pod {
            var conditions: [PodCondition] = []
            if ready { conditions.append(PodCondition(type: "Ready", status: "True", lastTransitionTime: Time(Date(timeIntervalSince1970: created)))) }
            return Pod(metadata: ObjectMeta(name: name, creationTimestamp: Time(Date(timeIntervalSince1970: created))),
                       spec: PodSpec(containers: [], nodeName: node),
                       status: PodStatus(phase: phase, conditions: conditions))
        }
        let pods = [
            pod("ready-old", node: "n1", ready: true, created: 100),
            pod("ready-new", node: "n2", ready: true, created: 200),
            pod("running-not-ready", node: "n3"),
            pod("pending", node: "n4", phase: "Pending"),
            pod("unscheduled", phase: "Pending"),
        ]
        let order = ReplicaSetController.podsToDelete(pods.shuffled(), count: 5).map { $0.metadata.name ?? "" }
        #expect(order == ["unscheduled", "pending", "running-not-ready", "ready-new", "ready-old"])
    }

    @Test func completedIndexesPrintAsRangesAndParseBack() {
        #expect(CompletionIndexes.format([]) == nil)
        #expect(CompletionIndexes.format([5, 0, 1, 2]) == "0-2,5")
        #expect(CompletionIndexes.format([3, 4, 7, 9, 10]) == "3-4,7,9-10")
        #expect(CompletionIndexes.parse("0-2,5") == [0, 1, 2, 5])
        #expect(CompletionIndexes.parse("7,x,3-1") == [7], "malformed parts are skipped")
    }
}

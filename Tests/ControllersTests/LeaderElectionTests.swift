import Controllers
import Foundation
import KubeAPI
import KubeClient
import Testing
import TestSupport

@Suite("Leader election", .serialized)
struct LeaderElectionTests {
    @Test func onlyOneOfTwoManagersLeadsAndTheOtherTakesOverOnShutdown() async throws {
        try await ControllerHarness.with(controllers: nil) { h in
            func manager(_ identity: String) -> ControllerManager {
                ControllerManager(client: h.client, controllers: try! ControllerSelection(parsing: "serviceaccount"), workers: 1,
                                  leaderElection: LeaderElector.Configuration(identity: identity),
                                  logger: ControllerHarness.logger(identity))
            }
            let a = manager("server-a"), b = manager("server-b")
            let runA = Task { try await a.run() }
            let runB = Task { try await b.run() }
            try await eventually("a leader") { a.isLeading || b.isLeading }
            // Several renewals later there is still exactly one leader, and the lease names it.
            try await Task.sleep(for: .seconds(5))
            #expect(a.isLeading != b.isLeading)
            let lease = try await h.client.get(Lease.self, name: "kube-controller-manager", namespace: "kube-system")
            let (leader, follower, leaderTask, followerTask) = a.isLeading ? (a, b, runA, runB) : (b, a, runB, runA)
            #expect(lease.spec?.holderIdentity == (leader === a ? "server-a" : "server-b"))
            #expect(lease.spec?.leaseDurationSeconds == 15)

            // A clean shutdown releases the lease, so the other takes over without waiting for it to expire.
            leaderTask.cancel()
            _ = await leaderTask.result
            #expect(!leader.isLeading)
            try await eventually("the other leads", timeout: .seconds(10)) { follower.isLeading }
            followerTask.cancel()
            _ = await followerTask.result
        }
    }

    @Test func controllerSelectionFollowsUpstreamSyntax() throws {
        let all = try ControllerSelection(parsing: "*,-job,-garbagecollector")
        #expect(all.isEnabled("replicaset-controller"))
        #expect(!all.isEnabled("garbage-collector-controller"))
        let some = try ControllerSelection(parsing: "deployment,replicaset-controller")
        #expect(some.enabled == ["deployment-controller", "replicaset-controller"])
        #expect(throws: ControllerSelectionError.self) { try ControllerSelection(parsing: "*,-nonsense") }
    }
}

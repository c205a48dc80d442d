import Foundation
import KubeAPI
import KubeClient
import NodeSimulator
import Testing
import TestSupport

/// The scheduler inside `swiftlet server` placing pods on simulated nodes as kube-scheduler would, and explaining
/// in upstream's words why a pod fits nowhere.
@Suite("simulated cluster: scheduling", .serialized, .timeLimit(.minutes(3)))
struct SchedulingTests {
    static func deployment(_ name: String, replicas: Int, cpu: String = "100m", placement: String) -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: \(name), namespace: default}
        spec:
          replicas: \(replicas)
          selector: {matchLabels: {app: \(name)}}
          template:
            metadata: {labels: {app: \(name)}}
            spec:
        \(placement)
              containers: [{name: main, image: "nginx:1.25", resources: {requests: {cpu: "\(cpu)"}}}]
        """
    }

    @Test("topology spread and anti-affinity place pods as upstream; a pod that fits nowhere gets FailedScheduling with upstream's reasons")
    func placementAndFailures() async throws {
        try await SimulatedCluster.with(nodes: 0) { cluster in
            var zoneA = SimulatedCluster.fastNodes(prefix: "a-", nodes: 2)
            zoneA.labels = ["topology.kubernetes.io/zone": "zone-a"]
            var zoneB = SimulatedCluster.fastNodes(prefix: "b-", nodes: 1)
            zoneB.labels = ["topology.kubernetes.io/zone": "zone-b"]
            try await cluster.simulate(zoneA)
            try await cluster.simulate(zoneB)

            // maxSkew 1 over two zones of unequal size: 2 and 2, not 3 and 1 as per-node spreading would give.
            try await cluster.apply(Self.deployment("spread", replicas: 4, placement: """
                      topologySpreadConstraints:
                      - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: spread}}}
                """))
            try await eventually("4 spread pods running") { try await cluster.pods("app=spread").filter(\.isRunningAndReady).count == 4 }
            let zones = try await cluster.pods("app=spread").map { $0.spec?.nodeName?.hasPrefix("a-") == true ? "zone-a" : "zone-b" }
            #expect(zones.filter { $0 == "zone-a" }.count == 2)
            #expect(zones.filter { $0 == "zone-b" }.count == 2)
            let scheduled = try await cluster.events(about: try #require(try await cluster.pods("app=spread").first?.metadata.name))
            #expect(scheduled.contains { $0.hasPrefix("Scheduled: Successfully assigned default/spread-") })

            // Required anti-affinity per host: one per node, the fourth stays pending.
            try await cluster.apply(Self.deployment("db", replicas: 4, placement: """
                      affinity:
                        podAntiAffinity:
                          requiredDuringSchedulingIgnoredDuringExecution:
                          - {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: db}}}
                """))
            let antiMessage = "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.."
            try await eventually("3 db pods on 3 different nodes, the fourth unschedulable") {
                let pods = try await cluster.pods("app=db")
                let placed = pods.filter(\.isRunningAndReady).compactMap(\.spec?.nodeName)
                let pending = pods.filter { $0.spec?.nodeName == nil }
                return Set(placed).count == 3 && placed.count == 3 && pending.count == 1
                    && pending[0].status?.conditions?.contains { $0.type == "PodScheduled" && $0.status == "False"
                        && $0.reason == "Unschedulable" && $0.message == antiMessage } == true
            }
            let pending = try #require(try await cluster.pods("app=db").first { $0.spec?.nodeName == nil })
            #expect(try await cluster.events(about: pending.metadata.name ?? "").contains("FailedScheduling: \(antiMessage)"))

            // Too big for every node, one of which is cordoned.
            #expect(try await cluster.kubectl("cordon", "b-0").status == 0)
            try await cluster.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: huge, namespace: default}
                spec: {containers: [{name: main, image: "nginx:1.25", resources: {requests: {cpu: "64"}}}]}
                """)
            let hugeMessage = "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.."
            try await eventually("huge reported unschedulable with upstream's reasons") {
                try await cluster.events(about: "huge").contains("FailedScheduling: \(hugeMessage)")
            }
            let condition = try await cluster.client.get(Pod.self, name: "huge", namespace: "default").status?.conditions?.first { $0.type == "PodScheduled" }
            #expect(condition?.status == "False")
            #expect(condition?.reason == "Unschedulable")
            #expect(condition?.message == hugeMessage)

            // Deleting a db pod frees its node: a pending pod (the old one or the replacement) is retried and lands there.
            let victim = try #require(try await cluster.pods("app=db").first { $0.spec?.nodeName == "a-0" })
            #expect(try await cluster.kubectl("delete", "pod", victim.metadata.name ?? "", "--wait=false").status == 0)
            try await eventually("a-0 runs another db pod once the deleted one is gone") {
                let pods = try await cluster.client.list(Pod.self, namespace: "default", options: ListOptions(labelSelector: "app=db")).items
                let running = pods.filter(\.isRunningAndReady)
                return !pods.contains { $0.metadata.name == victim.metadata.name } && running.count == 3
                    && Set(running.compactMap(\.spec?.nodeName)) == ["a-0", "a-1", "b-0"]
            }
        }
    }
}

import Foundation
import KubeAPI
import KubeClient
import Logging
@testable import Scheduler
import TestSupport
import Testing

@Suite("scheduler")
struct SchedulerTests {
    static func node(_ name: String, ready: Bool = true, cpu: String = "2", labels: [String: String] = [:], taints: [Taint]? = nil) -> Node {
        var node = Node(metadata: ObjectMeta(name: name, labels: labels), spec: NodeSpec(taints: taints))
        node.status = NodeStatus(capacity: ["cpu": Quantity(stringLiteral: cpu), "memory": "4Gi", "pods": "110"],
                                 allocatable: ["cpu": Quantity(stringLiteral: cpu), "memory": "4Gi", "pods": "110"],
                                 conditions: [NodeCondition(type: "Ready", status: ready ? "True" : "False")])
        return node
    }

    static func pod(_ json: String) throws -> Pod { try JSONDecoder().decode(Pod.self, from: Data(json.utf8)) }

    @Test("filters: readiness, taints and tolerations, nodeSelector, node affinity, cpu requests, host ports")
    func filters() throws {
        let plain = try Self.pod(#"{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","resources":{"requests":{"cpu":"1500m"}},"ports":[{"containerPort":80,"hostPort":8080}]}]}}"#)
        #expect(NodeFit(pod: plain, podsOnNode: []).reason(Self.node("a")) == nil)
        #expect(NodeFit(pod: plain, podsOnNode: []).reason(Self.node("a", ready: false)) == "node(s) were not ready")
        #expect(NodeFit(pod: plain, podsOnNode: []).reason(Self.node("a", cpu: "1")) == "Insufficient cpu")
        #expect(NodeFit(pod: plain, podsOnNode: [plain]).reason(Self.node("a", cpu: "8"))
                == "node(s) didn't have free ports for the requested pod ports")
        let tainted = Self.node("a", taints: [Taint(key: "dedicated", value: "db", effect: "NoSchedule")])
        #expect(NodeFit(pod: plain, podsOnNode: []).reason(tainted) == "node(s) had untolerated taint {dedicated: db}")
        let tolerant = try Self.pod(#"{"metadata":{"name":"t"},"spec":{"containers":[{"name":"c"}],"tolerations":[{"key":"dedicated","operator":"Equal","value":"db","effect":"NoSchedule"}]}}"#)
        #expect(NodeFit(pod: tolerant, podsOnNode: []).reason(tainted) == nil)
        let selective = try Self.pod(#"{"metadata":{"name":"s"},"spec":{"containers":[{"name":"c"}],"nodeSelector":{"disk":"ssd"},"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["a","b"]}]}]}}}}}"#)
        #expect(NodeFit(pod: selective, podsOnNode: []).reason(Self.node("a", labels: ["disk": "ssd", "zone": "b"])) == nil)
        #expect(NodeFit(pod: selective, podsOnNode: []).reason(Self.node("a", labels: ["disk": "ssd", "zone": "c"])) != nil)
        #expect(NodeFit(pod: selective, podsOnNode: []).reason(Self.node("a", labels: ["zone": "a"])) != nil)
        // Least allocated: the emptier node scores higher.
        #expect(NodeFit(pod: plain, podsOnNode: []).score(Self.node("big", cpu: "8")) > NodeFit(pod: plain, podsOnNode: []).score(Self.node("small", cpu: "2")))
    }

    @Test("swiftlet server binds pending pods to a fitting Ready node and reports unschedulable ones", .timeLimit(.minutes(2)))
    func bindsThroughTheServer() async throws {
        let server = try await ServerProcess(controllers: true)
        defer { server.stop() }
        let client = try KubeClient(configuration: server.clientConfiguration(), logger: Logger(label: "test"))
        for node in [Self.node("worker-a", labels: ["disk": "hdd"]), Self.node("worker-b", cpu: "4", labels: ["disk": "ssd"]),
                     Self.node("worker-c", ready: false, labels: ["disk": "ssd"])] {
            var created = try await client.create(node)
            created.status = node.status
            _ = try await client.updateStatus(created)
        }
        _ = try await client.create(try Self.pod(#"{"metadata":{"name":"fast","namespace":"default"},"spec":{"containers":[{"name":"c","image":"x"}],"nodeSelector":{"disk":"ssd"}}}"#))
        _ = try await client.create(try Self.pod(#"{"metadata":{"name":"huge","namespace":"default"},"spec":{"containers":[{"name":"c","image":"x","resources":{"requests":{"cpu":"64"}}}]}}"#))
        var fast: Pod?, huge: Pod?
        for _ in 0..<100 {
            fast = try await client.get(Pod.self, name: "fast", namespace: "default")
            huge = try await client.get(Pod.self, name: "huge", namespace: "default")
            if fast?.spec?.nodeName != nil, huge?.status?.conditions?.contains(where: { $0.type == "PodScheduled" }) == true { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(fast?.spec?.nodeName == "worker-b")
        let condition = try #require(huge?.status?.conditions?.first { $0.type == "PodScheduled" })
        #expect(condition.status == "False")
        #expect(condition.reason == "Unschedulable")
        #expect(condition.message == "0/3 nodes are available: 2 Insufficient cpu, 1 node(s) were not ready.")
        #expect(huge?.spec?.nodeName == nil)
        try await client.shutdown()
    }
}

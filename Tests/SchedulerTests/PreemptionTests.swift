import Foundation
import KubeAPI
import KubeClient
import Logging
@testable import Scheduler
import TestSupport
import Testing

@Suite("scheduler preemption")
struct PreemptionTests {
    static func pod(_ name: String, node: String? = nil, priority: Int32, cpu: String, labels: [String: String] = [:],
                    startedSecondsAgo: Double? = nil, terminating: Bool = false, policy: String? = nil) -> Pod {
        var pod = Pod(metadata: ObjectMeta(name: name, namespace: "default", uid: name, labels: labels),
                      spec: PodSpec(containers: [Container(name: "c", image: "x", resources: ResourceRequirements(requests: ["cpu": Quantity(stringLiteral: cpu)]))]))
        pod.spec?.nodeName = node
        pod.spec?.priority = priority
        pod.spec?.preemptionPolicy = policy
        if let ago = startedSecondsAgo { pod.status = PodStatus(startTime: Time(Date().addingTimeInterval(-ago))) }
        if terminating { pod.metadata.deletionTimestamp = .now() }
        return pod
    }

    static func budget(_ labels: [String: String], allowed: Int32) -> DisruptionBudget {
        DisruptionBudget(PodDisruptionBudget(metadata: ObjectMeta(name: "b", namespace: "default"),
                                             spec: PodDisruptionBudgetSpec(selector: LabelSelector(matchLabels: labels)),
                                             status: PodDisruptionBudgetStatus(disruptionsAllowed: allowed)))
    }

    static func run(_ preemptor: Pod, nodes: [Node], pods: [Pod], budgets: [DisruptionBudget] = [],
                    nominated: [(Pod, String)] = []) -> PostFilterResult {
        var cache = SchedulerTests.cache(nodes, pods: pods)
        for (pod, node) in nominated { cache.nominate(PodInfo(pod), on: node) }
        let algorithm = SchedulingAlgorithm(pod: PendingPod(preemptor), cache: cache)
        let found = algorithm.findFeasibleNodes(start: 0)
        return algorithm.postFilter(found.failures, budgets: budgets)
    }

    @Test("victims are the fewest lower-priority pods, the most important reprieved first")
    func reprievesMostImportantFirst() throws {
        let pods = [Self.pod("low", node: "a", priority: 1, cpu: "1"), Self.pod("mid", node: "a", priority: 2, cpu: "1"),
                    Self.pod("same", node: "a", priority: 10, cpu: "0")]
        let outcome = Self.run(Self.pod("high", priority: 10, cpu: "1"), nodes: [SchedulerTests.node("a")], pods: pods)
        guard case .preempt(let candidate) = outcome else {
            Issue.record("expected a preemption: \(outcome)")
            return
        }
        #expect(candidate.node == "a")
        #expect(candidate.victims.map(\.name) == ["low"])
        // Equal-priority pods are never victims: a pod needing the whole node cannot preempt "same".
        let whole = Self.run(Self.pod("big", priority: 10, cpu: "2"), nodes: [SchedulerTests.node("a")],
                             pods: pods + [Self.pod("other", node: "a", priority: 10, cpu: "100m")])
        guard case .unschedulable(let error) = whole else { Issue.record("expected no candidate"); return }
        #expect(error.message == "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu..")
    }

    @Test("the node is chosen as upstream: fewest budget violations, then lowest highest victim priority, sum, count, latest start")
    func picksNodeLikeUpstream() throws {
        let nodes = [SchedulerTests.node("a"), SchedulerTests.node("b")]
        let high = Self.pod("high", priority: 100, cpu: "2")
        // Lower highest-victim priority wins.
        var result = Self.run(high, nodes: nodes, pods: [Self.pod("a1", node: "a", priority: 5, cpu: "2"), Self.pod("b1", node: "b", priority: 1, cpu: "2")])
        guard case .preempt(let first) = result else { Issue.record("expected a preemption"); return }
        #expect(first.node == "b")
        // ... unless that victim's budget does not allow its disruption.
        result = Self.run(high, nodes: nodes, pods: [Self.pod("a1", node: "a", priority: 5, cpu: "2"),
                                                     Self.pod("b1", node: "b", priority: 1, cpu: "2", labels: ["app": "db"])],
                          budgets: [Self.budget(["app": "db"], allowed: 0)])
        guard case .preempt(let second) = result else { Issue.record("expected a preemption"); return }
        #expect(second.node == "a")
        #expect(second.budgetViolations == 0)
        // Same priorities: the smaller sum (fewer victims) wins; then the most recently started victims.
        result = Self.run(high, nodes: nodes, pods: [Self.pod("a1", node: "a", priority: 1, cpu: "1"), Self.pod("a2", node: "a", priority: 1, cpu: "1"),
                                                     Self.pod("b1", node: "b", priority: 1, cpu: "2")])
        guard case .preempt(let third) = result else { Issue.record("expected a preemption"); return }
        #expect(third.node == "b")
        result = Self.run(high, nodes: nodes, pods: [Self.pod("a1", node: "a", priority: 1, cpu: "2", startedSecondsAgo: 600),
                                                     Self.pod("b1", node: "b", priority: 1, cpu: "2", startedSecondsAgo: 60)])
        guard case .preempt(let fourth) = result else { Issue.record("expected a preemption"); return }
        #expect(fourth.node == "b")
    }

    @Test("budget-violating pods are reprieved before the others")
    func budgetViolatorsReprievedFirst() {
        let pods = [Self.pod("guarded", node: "a", priority: 1, cpu: "1", labels: ["app": "db"]), Self.pod("free", node: "a", priority: 1, cpu: "1")]
        let result = Self.run(Self.pod("high", priority: 100, cpu: "1"), nodes: [SchedulerTests.node("a")], pods: pods,
                              budgets: [Self.budget(["app": "db"], allowed: 0)])
        guard case .preempt(let candidate) = result else { Issue.record("expected a preemption"); return }
        #expect(candidate.victims.map(\.name) == ["free"])
        #expect(candidate.budgetViolations == 0)
    }

    @Test("preemptionPolicy Never, a terminating victim on the nominated node, and nominated pods holding their place")
    func eligibilityAndNominatedPods() {
        let nodes = [SchedulerTests.node("a")]
        let full = [Self.pod("low", node: "a", priority: 1, cpu: "2")]
        guard case .unschedulable(let never) = Self.run(Self.pod("n", priority: 100, cpu: "1", policy: "Never"), nodes: nodes, pods: full) else {
            Issue.record("Never must not preempt")
            return
        }
        #expect(never.message.hasSuffix("preemption: not eligible due to preemptionPolicy=Never.."))
        var waiting = Self.pod("w", priority: 100, cpu: "1")
        waiting.status = PodStatus(nominatedNodeName: "a")
        guard case .unschedulable(let terminating) = Self.run(waiting, nodes: nodes, pods: [Self.pod("low", node: "a", priority: 1, cpu: "2", terminating: true)]) else {
            Issue.record("a terminating victim must be waited for")
            return
        }
        #expect(terminating.message == "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to a terminating pod on the nominated node..")
        // A pod nominated to "a" keeps lower- and equal-priority pods off its room, not higher ones.
        var cache = SchedulerTests.cache(nodes)
        cache.nominate(PodInfo(Self.pod("nominee", priority: 50, cpu: "2")), on: "a")
        #expect(SchedulingAlgorithm(pod: PendingPod(Self.pod("eq", priority: 50, cpu: "1")), cache: cache).filter(cache.nodes[0]) == .resolvable("Insufficient cpu"))
        #expect(SchedulingAlgorithm(pod: PendingPod(Self.pod("hi", priority: 51, cpu: "1")), cache: cache).filter(cache.nodes[0]) == nil)
        #expect(SchedulingAlgorithm(pod: PendingPod(Self.pod("nominee", priority: 50, cpu: "2")), cache: cache).filter(cache.nodes[0]) == nil)
    }

    @Test("swiftlet server: a high-priority pod evicts low-priority pods from a full node and is bound there", .timeLimit(.minutes(2)))
    func preemptsThroughTheServer() async throws {
        let server = try await ServerProcess(controllers: true)
        defer { server.stop() }
        let client = try KubeClient(configuration: server.clientConfiguration(), logger: Logger(label: "test"))
        let node = SchedulerTests.node("worker")
        var created = try await client.create(node)
        created.status = node.status
        _ = try await client.updateStatus(created)
        _ = try await client.create(PriorityClass(metadata: ObjectMeta(name: "low"), value: 100))
        _ = try await client.create(PriorityClass(metadata: ObjectMeta(name: "high"), value: 1000))
        func pod(_ name: String, _ priorityClass: String, cpu: String) -> Pod {
            Pod(metadata: ObjectMeta(name: name, namespace: "default"),
                spec: PodSpec(containers: [Container(name: "c", image: "x", resources: ResourceRequirements(requests: ["cpu": Quantity(stringLiteral: cpu)]))],
                              terminationGracePeriodSeconds: 0, priorityClassName: priorityClass))
        }
        for name in ["low-1", "low-2"] { _ = try await client.create(pod(name, "low", cpu: "1")) }
        for _ in 0..<100 {
            let bound = try await client.list(Pod.self, namespace: "default").items.filter { $0.spec?.nodeName == "worker" }
            if bound.count == 2 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let high = try await client.create(pod("high", "high", cpu: "1500m"))
        #expect(high.spec?.priority == 1000)
        var pods: [Pod] = []
        for _ in 0..<150 {
            pods = try await client.list(Pod.self, namespace: "default").items
            if pods.first(where: { $0.metadata.name == "high" })?.spec?.nodeName == "worker" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let placed = try #require(pods.first { $0.metadata.name == "high" })
        #expect(placed.spec?.nodeName == "worker")
        #expect(placed.status?.nominatedNodeName == "worker")
        // 1.5 cpu of 2 needs both low pods gone.
        let lowLeft = pods.compactMap(\.metadata.name).filter { $0.hasPrefix("low") }
        #expect(lowLeft.isEmpty, "\(lowLeft)")
        let events = try await client.list(Event.self, namespace: "default").items.filter { $0.reason == "Preempted" }
        #expect(Set(events.compactMap(\.involvedObject.name)) == ["low-1", "low-2"])
        #expect(events.allSatisfy { $0.message == "Preempted by pod \(high.metadata.uid ?? "") on node worker" }, "\(events.map(\.message))")
        try await client.shutdown()
    }
}

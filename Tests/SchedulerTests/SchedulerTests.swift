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

    static func cache(_ nodes: [Node], pods: [Pod] = []) -> ClusterCache {
        var cache = ClusterCache()
        for node in nodes { cache.setNode(node) }
        for pod in pods { cache.place(PodInfo(pod)) }
        return cache
    }

    static func failure(_ json: String, on node: Node, with pods: [Pod] = []) throws -> FilterFailure? {
        let cache = Self.cache([node], pods: pods)
        return SchedulingAlgorithm(pod: PendingPod(try Self.pod(json)), cache: cache).filter(cache.nodes[0])
    }

    @Test("filters give upstream's reasons: taints (incl. not-ready), node affinity operators and matchFields, resources, ports")
    func filters() throws {
        let plain = #"{"metadata":{"name":"p","uid":"p"},"spec":{"containers":[{"name":"c","resources":{"requests":{"cpu":"1500m"}},"ports":[{"containerPort":80,"hostPort":8080}]}]}}"#
        #expect(try Self.failure(plain, on: Self.node("a")) == nil)
        #expect(try Self.failure(plain, on: Self.node("a", ready: false))
                == .unresolvable("node(s) had untolerated taint {node.kubernetes.io/not-ready: }"))
        #expect(try Self.failure(plain, on: Self.node("a", cpu: "1")) == .resolvable("Insufficient cpu"))
        let other = try Self.pod(#"{"metadata":{"name":"o","uid":"o"},"spec":{"nodeName":"a","containers":[{"name":"c","ports":[{"containerPort":80,"hostPort":8080,"hostIP":"10.0.0.1"}]}]}}"#)
        #expect(try Self.failure(plain, on: Self.node("a", cpu: "8"), with: [other]) == .resolvable("node(s) didn't have free ports for the requested pod ports"))
        let tainted = Self.node("a", taints: [Taint(key: "dedicated", value: "db", effect: "NoSchedule")])
        #expect(try Self.failure(plain, on: tainted) == .unresolvable("node(s) had untolerated taint {dedicated: db}"))
        let tolerant = #"{"metadata":{"name":"t","uid":"t"},"spec":{"containers":[{"name":"c"}],"tolerations":[{"key":"dedicated","operator":"Equal","value":"db","effect":"NoSchedule"}]}}"#
        #expect(try Self.failure(tolerant, on: tainted) == nil)
        var cordoned = Self.node("a")
        cordoned.spec?.unschedulable = true
        #expect(try Self.failure(tolerant, on: cordoned) == .unresolvable("node(s) were unschedulable"))
        let selective = #"{"metadata":{"name":"s","uid":"s"},"spec":{"containers":[{"name":"c"}],"nodeSelector":{"disk":"ssd"},"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["a","b"]},{"key":"gen","operator":"Gt","values":["3"]}]},{"matchFields":[{"key":"metadata.name","operator":"In","values":["special"]}]}]}}}}}"#
        #expect(try Self.failure(selective, on: Self.node("a", labels: ["disk": "ssd", "zone": "b", "gen": "4"])) == nil)
        #expect(try Self.failure(selective, on: Self.node("a", labels: ["disk": "ssd", "zone": "b", "gen": "3"]))
                == .unresolvable("node(s) didn't match Pod's node affinity/selector"))
        #expect(try Self.failure(selective, on: Self.node("special", labels: ["disk": "ssd"])) == nil)
        #expect(try Self.failure(selective, on: Self.node("special")) != nil)
        // Every shortfall is a reason; extended resources the node lacks are insufficient too.
        let greedy = #"{"metadata":{"name":"g","uid":"g"},"spec":{"containers":[{"name":"c","resources":{"requests":{"cpu":"3","memory":"8Gi","example.com/gpu":"1"}}}]}}"#
        #expect(try Self.failure(greedy, on: Self.node("a")) == FilterFailure(reasons: ["Insufficient cpu", "Insufficient memory", "Insufficient example.com/gpu"], unresolvable: false))
    }

    @Test("requests as upstream's PodRequests: init containers, restartable sidecars, overhead; non-zero defaults for scoring")
    func requests() throws {
        let pod = try Self.pod(#"{"metadata":{"name":"r"},"spec":{"overhead":{"cpu":"50m"},"initContainers":[{"name":"sidecar","restartPolicy":"Always","resources":{"requests":{"cpu":"100m","memory":"64Mi"}}},{"name":"init","resources":{"requests":{"cpu":"2"}}}],"containers":[{"name":"a","resources":{"requests":{"cpu":"500m","memory":"1Gi"}}},{"name":"b"}]}}"#)
        let info = PodInfo(pod)
        // max(500m + 100m sidecar, 2 + 100m sidecar) + 50m overhead
        #expect(info.requests.milliCPU == 2150)
        #expect(info.requests.memory == 1024 * 1024 * 1024 + 64 * 1024 * 1024)
        // Container b counts 200 MiB when scoring (its 100m cpu default stays below the init container's 2).
        #expect(info.nonZeroCPU == 2150)
        #expect(info.nonZeroMemory == 1024 * 1024 * 1024 + 264 * 1024 * 1024)
    }

    @Test("the FailedScheduling message is upstream's, preemption part included, reasons sorted as Go sorts them")
    func fitErrorMessage() throws {
        let nodes = [Self.node("a", cpu: "1"), Self.node("b", ready: false), Self.node("c", ready: false)]
        let pod = PendingPod(try Self.pod(#"{"metadata":{"name":"p","uid":"p"},"spec":{"containers":[{"name":"c","resources":{"requests":{"cpu":"2"}}}]}}"#))
        let cache = Self.cache(nodes)
        let algorithm = SchedulingAlgorithm(pod: pod, cache: cache)
        let found = algorithm.findFeasibleNodes(start: 1)
        #expect(found.feasible.isEmpty)
        #expect(algorithm.fitError(found.failures).message == "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling..")
        // A lower-priority pod that is not enough to make room: its removal still leaves the reason.
        let low = try Self.pod(#"{"metadata":{"name":"low","uid":"low"},"spec":{"nodeName":"a","priority":-1,"containers":[{"name":"c","resources":{"requests":{"cpu":"100m"}}}]}}"#)
        let withVictim = SchedulingAlgorithm(pod: pod, cache: Self.cache(nodes, pods: [low]))
        #expect(withVictim.fitError(withVictim.findFeasibleNodes(start: 0).failures).message == "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: 0/3 nodes are available: 1 Insufficient cpu, 2 Preemption is not helpful for scheduling..")
        let never = PendingPod(try Self.pod(#"{"metadata":{"name":"n","uid":"n"},"spec":{"preemptionPolicy":"Never","containers":[{"name":"c","resources":{"requests":{"cpu":"2"}}}]}}"#))
        let neverAlgorithm = SchedulingAlgorithm(pod: never, cache: cache)
        #expect(neverAlgorithm.fitError(neverAlgorithm.findFeasibleNodes(start: 0).failures).message.hasSuffix(". preemption: not eligible due to preemptionPolicy=Never.."))
    }

    @Test("topology spread (DoNotSchedule, minDomains) and inter-pod anti-affinity filter as upstream")
    func spreadAndAffinity() throws {
        let nodes = [Self.node("a", labels: ["zone": "z1"]), Self.node("b", labels: ["zone": "z2"]), Self.node("c")]
        func running(_ name: String, on node: String, app: String = "web") throws -> Pod {
            try Self.pod(#"{"metadata":{"name":"\#(name)","uid":"\#(name)","namespace":"default","labels":{"app":"\#(app)"}},"spec":{"nodeName":"\#(node)","containers":[{"name":"c"}]}}"#)
        }
        let spread = PendingPod(try Self.pod(#"{"metadata":{"name":"s","uid":"s","namespace":"default","labels":{"app":"web"}},"spec":{"containers":[{"name":"c"}],"topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule","labelSelector":{"matchLabels":{"app":"web"}}}]}}"#))
        let cache = Self.cache(nodes, pods: [try running("w1", on: "a")])
        let algorithm = SchedulingAlgorithm(pod: spread, cache: cache)
        #expect(algorithm.filter(cache.node(named: "a")!) == .resolvable("node(s) didn't match pod topology spread constraints"))
        #expect(algorithm.filter(cache.node(named: "b")!) == nil)
        #expect(algorithm.filter(cache.node(named: "c")!) == .unresolvable("node(s) didn't match pod topology spread constraints (missing required label)"))
        // minDomains 3 with two zones: the global minimum counts as 0, so z2 (1 + 1 − 0) exceeds maxSkew 1.
        var minDomains = spread
        minDomains.spreadConstraints[0].minDomains = 3
        let second = Self.cache(nodes, pods: [try running("w1", on: "a"), try running("w2", on: "b")])
        let withMin = SchedulingAlgorithm(pod: minDomains, cache: second)
        #expect(withMin.filter(second.node(named: "b")!) != nil)
        #expect(SchedulingAlgorithm(pod: spread, cache: second).filter(second.node(named: "b")!) == nil)

        let anti = PendingPod(try Self.pod(#"{"metadata":{"name":"x","uid":"x","namespace":"default","labels":{"app":"db"}},"spec":{"containers":[{"name":"c"}],"affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[{"topologyKey":"kubernetes.io/hostname","labelSelector":{"matchLabels":{"app":"db"}}}]}}}}"#))
        var hosts = nodes
        for i in hosts.indices {
            let name = hosts[i].metadata.name
            hosts[i].metadata.labels?["kubernetes.io/hostname"] = name
        }
        let dbCache = Self.cache(hosts, pods: [try running("db1", on: "a", app: "db")])
        let antiAlgorithm = SchedulingAlgorithm(pod: anti, cache: dbCache)
        #expect(antiAlgorithm.filter(dbCache.node(named: "a")!) == .resolvable("node(s) didn't match pod anti-affinity rules"))
        #expect(antiAlgorithm.filter(dbCache.node(named: "b")!) == nil)
        // The existing pod's own anti-affinity keeps a matching newcomer away too.
        var placed = dbCache
        placed.place(anti.info.placed(on: "b"))
        let newcomer = PendingPod(try Self.pod(#"{"metadata":{"name":"y","uid":"y","namespace":"default","labels":{"app":"db"}},"spec":{"containers":[{"name":"c"}]}}"#))
        #expect(SchedulingAlgorithm(pod: newcomer, cache: placed).filter(placed.node(named: "b")!) == .resolvable("node(s) didn't satisfy existing pods anti-affinity rules"))
        #expect(SchedulingAlgorithm(pod: newcomer, cache: placed).filter(placed.node(named: "c")!) == nil)
    }

    @Test("pods without constraints of their own are spread by the system defaults: per ReplicaSet and Service, zones optional")
    func systemDefaultSpreading() throws {
        let nodes = ["a", "b", "c"].map { Self.node($0, labels: ["kubernetes.io/hostname": $0]) }
        let owner = #""ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-1","uid":"rs","controller":true}]"#
        func web(_ name: String, on node: String? = nil) throws -> Pod {
            let nodeName = node.map { #""nodeName":"\#($0)","# } ?? ""
            return try Self.pod(#"{"metadata":{"name":"\#(name)","uid":"\#(name)","namespace":"default","labels":{"app":"web","pod-template-hash":"1"},\#(owner)},"spec":{\#(nodeName)"containers":[{"name":"c"}]}}"#)
        }
        var cache = Self.cache(nodes, pods: [try web("w1", on: "a"), try web("w2", on: "a"), try web("w3", on: "b")])
        let pending = PendingPod(try web("w4"))
        // Nothing known about the owner or a Service yet: no grouping, no spreading.
        #expect(cache.workloads.defaultSpreadConstraints(for: pending).isEmpty)
        let replicaSet = try JSONDecoder().decode(ReplicaSet.self, from: Data(#"{"metadata":{"name":"web-1","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"web","pod-template-hash":"1"}},"template":{}}}"#.utf8))
        cache.workloads.record(replicaSet)
        let constraints = cache.workloads.defaultSpreadConstraints(for: pending)
        #expect(constraints.map(\.topologyKey) == ["kubernetes.io/hostname", "topology.kubernetes.io/zone"])
        #expect(constraints.map(\.maxSkew) == [3, 5])
        #expect(constraints.allSatisfy { !$0.hardConstraint })
        // No zone labels anywhere: the nodes are still scored by hostname; fewer pods of the group is better.
        let algorithm = SchedulingAlgorithm(pod: pending, cache: cache)
        let scores = algorithm.topologySpreadScores(cache.nodes, constraints: constraints, requireAllTopologies: false)
        let byNode = Dictionary(uniqueKeysWithValues: zip(cache.nodes.map(\.name), scores))
        #expect(byNode["c"]! > byNode["b"]!)
        #expect(byNode["b"]! > byNode["a"]!)
        // A Service selecting the pod groups it as well (its labels merged with the owner's selector).
        let service = try JSONDecoder().decode(Service.self, from: Data(#"{"metadata":{"name":"web","namespace":"default"},"spec":{"selector":{"app":"web"}}}"#.utf8))
        cache.workloads.record(service)
        cache.workloads.record(replicaSet, deleted: true)
        #expect(cache.workloads.defaultSelector(for: pending).description == "app=web")
        // A StatefulSet's pod is grouped by the set's selector.
        let member = PendingPod(try Self.pod(#"{"metadata":{"name":"db-0","uid":"db-0","namespace":"default","labels":{"app":"db"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"StatefulSet","name":"db","uid":"sts","controller":true}]},"spec":{"containers":[{"name":"c"}]}}"#))
        #expect(cache.workloads.defaultSelector(for: member).isEmpty)
        cache.workloads.record(try JSONDecoder().decode(StatefulSet.self, from: Data(#"{"metadata":{"name":"db","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"db"}},"template":{},"serviceName":"db"}}"#.utf8)))
        #expect(cache.workloads.defaultSelector(for: member).description == "app=db")
        // So is a ReplicationController's, by its label map (core/v1, as upstream's DefaultSelector).
        let replica = PendingPod(try Self.pod(#"{"metadata":{"name":"rc-1","uid":"rc-1","namespace":"default","labels":{"app":"legacy","tier":"be"},"ownerReferences":[{"apiVersion":"v1","kind":"ReplicationController","name":"legacy","uid":"rc","controller":true}]},"spec":{"containers":[{"name":"c"}]}}"#))
        #expect(cache.workloads.defaultSelector(for: replica).isEmpty)
        cache.workloads.record(try JSONDecoder().decode(ReplicationController.self, from: Data(#"{"metadata":{"name":"legacy","namespace":"default"},"spec":{"selector":{"app":"legacy"}}}"#.utf8)))
        #expect(cache.workloads.defaultSelector(for: replica).description == "app=legacy")
        // A pod with constraints of its own keeps them and gets no defaults.
        let own = PendingPod(try Self.pod(#"{"metadata":{"name":"o","uid":"o","namespace":"default","labels":{"app":"web"}},"spec":{"containers":[{"name":"c"}],"topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule","labelSelector":{"matchLabels":{"app":"web"}}}]}}"#))
        #expect(own.spreadConstraints.count == 1)
    }

    @Test("queue: backoff 1 s doubling to 10 s; a cluster change moves unschedulable pods; adaptive node sampling")
    func queueAndSampling() throws {
        let queue = SchedulingQueue()
        #expect((1...6).map { queue.backoffDuration(attempts: $0) } == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(10), .seconds(10)])
        var q = SchedulingQueue()
        let low = PendingPod(try Self.pod(#"{"metadata":{"name":"l","uid":"l"},"spec":{"priority":1,"containers":[{"name":"c"}]}}"#))
        let high = PendingPod(try Self.pod(#"{"metadata":{"name":"h","uid":"h"},"spec":{"priority":10,"containers":[{"name":"c"}]}}"#))
        q.addOrUpdate(low)
        q.addOrUpdate(high)
        let popped = q.pop()
        let first = try #require(popped)
        #expect(first.pod.info.name == "h")
        _ = q.finish(uid: "h")
        let start = ContinuousClock.now
        q.addUnschedulable(first, cycle: q.schedulingCycle, now: start)
        #expect(q.count.unschedulable == 1)
        q.moveAllToActiveOrBackoff(now: start)
        #expect(q.count.backoff == 1)
        q.flush(now: start + .seconds(2))
        #expect(q.count.active == 2)
        #expect(SchedulingAlgorithm.numFeasibleNodesToFind(50) == 50)
        #expect(SchedulingAlgorithm.numFeasibleNodesToFind(1000) == 420)
        #expect(SchedulingAlgorithm.numFeasibleNodesToFind(5000) == 500)
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
            // The scheduler's pod and node watches are separate streams: the pod may be tried before the
            // third node is known, and is tried again when it arrives (a cluster change), so wait for 0/3.
            if fast?.spec?.nodeName != nil,
               huge?.status?.conditions?.contains(where: { $0.type == "PodScheduled" && $0.message?.hasPrefix("0/3 ") == true }) == true { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(fast?.spec?.nodeName == "worker-b")
        let condition = try #require(huge?.status?.conditions?.first { $0.type == "PodScheduled" })
        #expect(condition.status == "False")
        #expect(condition.reason == "Unschedulable")
        #expect(condition.message == "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod..")
        #expect(huge?.spec?.nodeName == nil)
        try await client.shutdown()
    }

    @Test("a Deployment's replicas spread over the nodes although one node is far bigger (system default spreading)", .timeLimit(.minutes(2)))
    func deploymentSpreadsOverNodes() async throws {
        let server = try await ServerProcess(controllers: true)
        defer { server.stop() }
        let client = try KubeClient(configuration: server.clientConfiguration(), logger: Logger(label: "test"))
        var big = Self.node("big", cpu: "64", labels: ["kubernetes.io/hostname": "big"])
        big.status?.allocatable?["memory"] = "256Gi"
        big.status?.capacity?["memory"] = "256Gi"
        let nodes = [big] + ["small-1", "small-2"].map { Self.node($0, labels: ["kubernetes.io/hostname": $0]) }
        for node in nodes {
            var created = try await client.create(node)
            created.status = node.status
            _ = try await client.updateStatus(created)
        }
        // Least-allocated alone would put every replica on "big".
        let deployment = try JSONDecoder().decode(Deployment.self, from: Data(#"{"metadata":{"name":"web","namespace":"default"},"spec":{"replicas":6,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"x","resources":{"requests":{"cpu":"100m"}}}]}}}}"#.utf8))
        _ = try await client.create(deployment)
        var placement: [String] = []
        for _ in 0..<150 {
            let pods = try await client.list(Pod.self, namespace: "default").items
            placement = pods.compactMap(\.spec?.nodeName)
            if placement.count == 6 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(placement.count == 6)
        let perNode = Dictionary(grouping: placement, by: { $0 }).mapValues(\.count)
        #expect(Set(perNode.keys) == ["big", "small-1", "small-2"], "placement: \(perNode)")
        #expect(perNode.values.allSatisfy { $0 == 2 }, "placement: \(perNode)")
        try await client.shutdown()
    }
}

import Foundation
import KubeAPI
import KubeClient
@testable import Kubelet
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("image pulls past --registry-qps fail with upstream's 'pull QPS exceeded' and back off; serialized pulls report their wait ('including waiting')",
          .timeLimit(.minutes(3)))
    func registryPullQPS() async throws {
        try await Cluster.with(agentArguments: ["--registry-qps", "1", "--registry-burst", "1"]) { cluster in
            let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
            // imagePullPolicy Always: every pod's container asks the runtime to pull, within the same second.
            let pods = (1...3).map { index in
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: pull-\(index)}
                spec:
                  nodeName: \(cluster.nodeName)
                  containers:
                  - {name: c, image: \(shell), imagePullPolicy: Always, command: [sh, -c, "sleep 3600"]}
                """
            }
            _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: pods.joined(separator: "\n---\n"))
            var failed: [Event] = []
            for _ in 0..<100 {
                failed = try await cluster.client.list(Event.self, namespace: "default", options: ListOptions(fieldSelector: "reason=Failed")).items
                if !failed.isEmpty { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let refusal = try #require(failed.first, "a pull past the limit fails")
            #expect(refusal.message == "Failed to pull image \"\(shell)\": pull QPS exceeded", "\(String(describing: refusal.message))")
            let refused = try #require(refusal.involvedObject.name)
            // The refused pod's container waits in ErrImagePull (then ImagePullBackOff) with the same words, and starts
            // once its back-off is over and a token is there.
            let waiting = try await cluster.waitForPod(refused, timeout: .seconds(10)) { pod in
                Self.container(pod, "c")?.state?.waiting?.reason.map { ["ErrImagePull", "ImagePullBackOff"].contains($0) } == true
            }
            #expect(["pull QPS exceeded", "Back-off pulling image \"\(shell)\""].contains(Self.container(waiting, "c")?.state?.waiting?.message ?? ""),
                    "\(String(describing: Self.container(waiting, "c")?.state))")
            for index in 1...3 {
                try await cluster.waitForPod("pull-\(index)", timeout: .seconds(60)) { $0.status?.phase == "Running" }
            }
            let pulled = try await cluster.client.list(Event.self, namespace: "default", options: ListOptions(fieldSelector: "reason=Pulled")).items
            #expect(pulled.count >= 3)
            for event in pulled {
                #expect(event.message?.contains(/^Successfully pulled image ".+" in [0-9.]+m?s \([0-9.]+m?s including waiting\)\. Image size: [0-9]+ bytes\.$/) == true,
                        "\(String(describing: event.message))")
            }
        }
    }
}

/// The puller's turns and the registry's token bucket.
@Suite struct ImagePullerTests {
    /// Runs `count` pulls of `duration` each at once; returns the most that ran together and each one's wait.
    private static func concurrency(_ policy: ImagePullPolicy, count: Int, duration: Duration) async throws -> (most: Int, waits: [Duration]) {
        let puller = ImagePuller(policy: policy)
        let gauge = Gauge()
        let waits = try await withThrowingTaskGroup(of: Duration.self) { group in
            for _ in 0..<count {
                group.addTask {
                    try await puller.pull {
                        await gauge.enter()
                        try await Task.sleep(for: duration)
                        await gauge.leave()
                    }.waited
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        return (await gauge.most, waits.sorted())
    }

    private actor Gauge {
        var now = 0, most = 0
        func enter() { now += 1; most = max(most, now) }
        func leave() { now -= 1 }
    }

    @Test func serializedPullsTakeTurnsAndParallelOnesAreCapped() async throws {
        let serialized = try await Self.concurrency(ImagePullPolicy(), count: 3, duration: .milliseconds(100))
        #expect(serialized.most == 1)
        #expect(serialized.waits[2] >= .milliseconds(190), "the last waited for both others: \(serialized.waits)")
        let capped = try await Self.concurrency(try ImagePullPolicy.parse(serialize: false, maxParallel: 2, registryQPS: 5, registryBurst: 10),
                                                count: 4, duration: .milliseconds(100))
        #expect(capped.most == 2)
        let unlimited = try await Self.concurrency(try ImagePullPolicy.parse(serialize: false, maxParallel: nil, registryQPS: 5, registryBurst: 10),
                                                   count: 4, duration: .milliseconds(100))
        #expect(unlimited.most == 4)
    }

    @Test func aCancelledWaiterLeavesTheLine() async throws {
        let puller = ImagePuller(policy: ImagePullPolicy())
        let holder = Task { try await puller.pull { try await Task.sleep(for: .milliseconds(300)) } }
        try await Task.sleep(for: .milliseconds(50))
        let waiter = Task { try await puller.pull { "ran" } }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        _ = try await holder.value
        // The line moved on: the next pull runs at once.
        #expect(try await puller.pull { "next" }.result == "next")
    }

    @Test func registryTokensRefillAtTheQPS() async throws {
        let puller = ImagePuller(policy: try ImagePullPolicy.parse(serialize: true, maxParallel: nil, registryQPS: 2, registryBurst: 2))
        let start = Date()
        try await puller.acquireRegistryToken(now: start)
        try await puller.acquireRegistryToken(now: start)
        await #expect(throws: ImagePullThrottled.self) { try await puller.acquireRegistryToken(now: start.addingTimeInterval(0.1)) }
        // Half a second later one more (2 a second).
        try await puller.acquireRegistryToken(now: start.addingTimeInterval(0.6))
        await #expect(throws: ImagePullThrottled.self) { try await puller.acquireRegistryToken(now: start.addingTimeInterval(0.7)) }
        // A QPS of 0 is no limit.
        let unlimited = ImagePuller(policy: try ImagePullPolicy.parse(serialize: true, maxParallel: nil, registryQPS: 0, registryBurst: 0))
        for _ in 0..<100 { try await unlimited.acquireRegistryToken(now: start) }
    }

    @Test func flagsAreCheckedAsUpstreamChecksThem() {
        func refusal(serialize: Bool = true, parallel: Int? = nil, qps: Int = 5, burst: Int = 10) -> String? {
            do {
                _ = try ImagePullPolicy.parse(serialize: serialize, maxParallel: parallel, registryQPS: qps, registryBurst: burst)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(refusal() == nil && refusal(serialize: false, parallel: 3) == nil && refusal(parallel: 1) == nil)
        #expect(refusal(parallel: 2) == "invalid configuration: maxParallelImagePulls cannot be larger than 1 unless SerializeImagePulls (--serialize-image-pulls) is set to false")
        #expect(refusal(serialize: false, parallel: 0) == "invalid configuration: maxParallelImagePulls 0 must be a positive number")
        #expect(refusal(qps: -1) == "invalid configuration: registryPullQPS (--registry-qps) -1 must not be a negative number")
        #expect(refusal(burst: -2) == "invalid configuration: registryBurst (--registry-burst) -2 must not be a negative number")
    }
}

import Foundation
import KubeAPI
import KubeClient
import Logging
import NodeSimulator
import Testing
import TestSupport

/// A real `swiftlet server` process (API server, controllers and scheduler inside it, as `swiftlet up` runs them)
/// with nodes simulated by `NodeSimulator` in the test process — what `swiftlet sim` runs.
final class SimulatedCluster: @unchecked Sendable {
    let server: ServerProcess
    let client: KubeClient
    let kubectlPath: String
    private var simulators: [(NodeSimulator, Task<Void, any Error>)] = []

    init(serverArguments: [String]) async throws {
        guard let kubectl = which("kubectl") else { throw TestSupportError("kubectl is not installed") }
        kubectlPath = kubectl
        server = try await ServerProcess(controllers: true, extraArguments: serverArguments)
        client = try KubeClient(configuration: server.clientConfiguration(), logger: Self.logger("client"))
    }

    /// Runs `body` against a fresh cluster with `nodes` simulated nodes (`sim-0` …), stopping everything afterwards.
    static func with(nodes: Int, serverArguments: [String] = [], simulator: NodeSimulator.Configuration? = nil,
                     _ body: (SimulatedCluster) async throws -> Void) async throws {
        let cluster = try await SimulatedCluster(serverArguments: serverArguments)
        do {
            var configuration = simulator ?? Self.fastNodes()
            configuration.nodes = nodes
            if nodes > 0 { try await cluster.simulate(configuration) }
            try await body(cluster)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    /// Simulated nodes with short timings: leases every second, Job pods done after half a second, deleted pods
    /// gone at most a second after the request.
    static func fastNodes(prefix: String = "sim-", nodes: Int = 3) -> NodeSimulator.Configuration {
        NodeSimulator.Configuration(prefix: prefix, nodes: nodes, leaseRenewInterval: .seconds(1), jobPodDuration: .milliseconds(500),
                                    maximumTerminationDelay: .seconds(1), parallelism: 4)
    }

    /// Starts a simulator and waits until its nodes are registered and Ready.
    @discardableResult
    func simulate(_ configuration: NodeSimulator.Configuration) async throws -> NodeSimulator {
        let simulator = NodeSimulator(client: client, configuration: configuration, logger: Self.logger("sim"))
        let task = Task { try await simulator.run() }
        simulators.append((simulator, task))
        try await eventually("\(configuration.nodes) simulated nodes Ready") {
            let nodes = try await client.list(Node.self).items.filter { configuration.nodeNames.contains($0.metadata.name ?? "") }
            return nodes.count == configuration.nodes
                && nodes.allSatisfy { $0.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } == true }
        }
        return simulator
    }

    var simulatorsRunning: [NodeSimulator] { simulators.map(\.0) }

    func stop() async {
        for (_, task) in simulators { task.cancel() }
        for (_, task) in simulators { _ = await task.result }
        try? await client.shutdown()
        server.stop()
    }

    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = ProcessInfo.processInfo.environment["SIM_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }

    /// Runs kubectl against the server.
    func kubectl(_ arguments: String...) async throws -> CommandResult {
        try await runCommand(kubectlPath, ["--kubeconfig", server.kubeconfig] + arguments,
                             environment: ["HOME": server.dataDirectory], timeout: 120)
    }

    /// Applies a manifest with kubectl (`kubectl apply -f -`).
    func apply(_ manifest: String) async throws {
        let file = server.dataDirectory + "/manifest-\(UUID().uuidString.prefix(8)).yaml"
        try manifest.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await kubectl("apply", "-f", file)
        guard result.status == 0 else { throw TestSupportError("kubectl apply failed: \(result.stderr)") }
    }

    /// Pods matching `selector` in `namespace` that are not being deleted.
    func pods(_ selector: String, namespace: String = "default") async throws -> [Pod] {
        try await client.list(Pod.self, namespace: namespace, options: ListOptions(labelSelector: selector)).items
            .filter { $0.metadata.deletionTimestamp == nil }
    }

    /// The Events about one pod, as `reason: message`.
    func events(about pod: String, namespace: String = "default") async throws -> [String] {
        try await client.list(Event.self, namespace: namespace).items
            .filter { $0.involvedObject.kind == "Pod" && $0.involvedObject.name == pod }
            .map { "\($0.reason ?? ""): \($0.message ?? "")" }
    }
}

extension Pod {
    var isReady: Bool { status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } ?? false }
    var isRunningAndReady: Bool { status?.phase == "Running" && isReady && status?.podIP != nil }
}

/// Polls `condition` until it holds or `timeout` passes, then records a failure naming `what`.
func eventually(_ what: String, timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation,
                _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: .milliseconds(200))
    }
    Issue.record("timed out waiting for: \(what)", sourceLocation: sourceLocation)
    throw TestSupportError("timed out waiting for: \(what)")
}

/// Collects facts from watch tasks.
actor Recorder {
    private(set) var violations: [String] = []
    private(set) var sawWaitingForDependents = false
    func violation(_ text: String) { if violations.count < 20 { violations.append(text) } }
    func markWaiting() { sawWaitingForDependents = true }
}

import Controllers
import Foundation
import KubeAPI
import KubeClient
import Logging
import Scheduler
import Testing
import TestSupport

/// A real `swiftlet server` process, a client for it, and (optionally) a `ControllerManager` and the scheduler
/// running in this process, as kube-controller-manager and kube-scheduler run next to kube-apiserver.
final class ControllerHarness: @unchecked Sendable {
    let server: ServerProcess
    let client: KubeClient
    let kubectlPath: String
    private var manager: Task<Void, any Error>?
    private var scheduler: Task<Void, any Error>?

    init(controllers: String? = "*", scheduler runsScheduler: Bool = false,
         nodeLifecycle: NodeLifecycleController.Configuration = NodeLifecycleController.Configuration(),
         podGC: PodGCController.Configuration = PodGCController.Configuration()) async throws {
        guard let kubectl = which("kubectl") else { throw TestSupportError("kubectl is not installed") }
        kubectlPath = kubectl
        server = try await ServerProcess()
        // kubectl turns the server's kubeconfig into the JSON form KubeClient reads.
        let json = try await runCommand(kubectl, ["--kubeconfig", server.kubeconfig, "config", "view", "--raw", "-o", "json"],
                                        environment: ["HOME": server.dataDirectory], timeout: 30)
        let kubeconfig = try Kubeconfig(json: Data(json.stdout.utf8))
        let directory = (server.kubeconfig as NSString).deletingLastPathComponent
        client = try KubeClient(configuration: KubeClient.Configuration(kubeconfig: kubeconfig, directory: directory),
                                logger: Self.logger("client"))
        if let controllers {
            let manager = ControllerManager(client: client, controllers: try ControllerSelection(parsing: controllers),
                                            workers: 2, nodeLifecycle: nodeLifecycle, podGC: podGC, leaderElection: nil,
                                            logger: Self.logger("controller-manager"))
            self.manager = Task { try await manager.run() }
        }
        if runsScheduler {
            let scheduler = Scheduler(client: client, logger: Self.logger("scheduler"))
            self.scheduler = Task { try await scheduler.run() }
        }
    }

    /// Runs `body` with a fresh harness and stops it afterwards, also when `body` throws, so no server outlives
    /// its test.
    static func with(controllers: String? = "*", scheduler: Bool = false,
                     nodeLifecycle: NodeLifecycleController.Configuration = NodeLifecycleController.Configuration(),
                     podGC: PodGCController.Configuration = PodGCController.Configuration(),
                     _ body: (ControllerHarness) async throws -> Void) async throws {
        let harness = try await ControllerHarness(controllers: controllers, scheduler: scheduler, nodeLifecycle: nodeLifecycle, podGC: podGC)
        do {
            try await body(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = ProcessInfo.processInfo.environment["CONTROLLER_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }

    /// Stops the manager, the client and the server.
    func stop() async {
        manager?.cancel()
        scheduler?.cancel()
        _ = await manager?.result
        _ = await scheduler?.result
        try? await client.shutdown()
        server.stop()
    }

    /// Runs kubectl against the server.
    func kubectl(_ arguments: String...) async throws -> CommandResult {
        try await runCommand(kubectlPath, ["--kubeconfig", server.kubeconfig] + arguments,
                             environment: ["HOME": server.dataDirectory], timeout: 90)
    }

    /// Pods in `namespace` matching `selector`, excluding those being deleted.
    func pods(_ selector: String, namespace: String = "default") async throws -> [Pod] {
        try await client.list(Pod.self, namespace: namespace, options: ListOptions(labelSelector: selector)).items
            .filter { $0.metadata.deletionTimestamp == nil }
    }

    /// Marks a pod Running and Ready with an IP, as a kubelet would after starting its containers.
    @discardableResult
    func markReady(_ pod: Pod, ip: String? = nil) async throws -> Pod {
        let now = Time.now().description
        let address = ip ?? "10.244.\(Int.random(in: 0...250)).\(Int.random(in: 2...250))"
        let patch: JSONValue = ["status": [
            "phase": "Running", "podIP": .string(address), "podIPs": [["ip": .string(address)]],
            "conditions": [
                ["type": "PodScheduled", "status": "True", "lastTransitionTime": .string(now)],
                ["type": "Initialized", "status": "True", "lastTransitionTime": .string(now)],
                ["type": "ContainersReady", "status": "True", "lastTransitionTime": .string(now)],
                ["type": "Ready", "status": "True", "lastTransitionTime": .string(now)],
            ],
        ]]
        return try await client.patch(Pod.self, name: pod.metadata.name ?? "", namespace: pod.metadata.namespace,
                                      patchType: .merge, patch, subresource: "status")
    }
}

extension ControllerHarness {
    /// The Events recorded about one object, as `type/reason: message`, oldest first.
    func events(about kind: String, _ name: String, namespace: String = "default") async throws -> [String] {
        try await client.list(Event.self, namespace: namespace).items
            .filter { $0.involvedObject.kind == kind && $0.involvedObject.name == name }
            .sorted { ($0.firstTimestamp?.date ?? .distantPast) < ($1.firstTimestamp?.date ?? .distantPast) }
            .map { "\($0.type ?? "")/\($0.reason ?? ""): \($0.message ?? "")" }
    }
}

/// Polls `condition` until it holds or `timeout` passes, then records a failure naming `what`.
func eventually(_ what: String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
                _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("timed out waiting for: \(what)", sourceLocation: sourceLocation)
    throw TestSupportError("timed out waiting for: \(what)")
}

/// A pod template running `image`, labelled `labels`, with a named container port.
func template(_ labels: [String: String], image: String = "nginx:1.25") -> PodTemplateSpec {
    PodTemplateSpec(metadata: ObjectMeta(labels: labels),
                    spec: PodSpec(containers: [Container(name: "web", image: image,
                                                         ports: [ContainerPort(name: "http", containerPort: 8080)])]))
}

import CRI
import Foundation
import KubeAPI
import KubeClient
@testable import Kubelet
import Logging
import TestSupport
import Testing

/// `swiftlet agent` end to end on one machine: the real API server, the real runtime (runc, registry, CNI in
/// a throwaway namespace) and real kubectl creating the objects.
@Suite("swiftlet agent end to end", .serialized)
struct KubeletEndToEndTests {
    /// Server, runtime and agent for one test; `stop()` tears everything down.
    final class Cluster: @unchecked Sendable {
        let server: ServerProcess
        let runtime: CRIHarness
        let client: KubeClient
        let nodeName = "node-" + String(UInt32.random(in: .min ... .max), radix: 16)
        private(set) var agent: PeerDaemon
        /// The agent's `--pod-manifest-path` (static pods), re-read every second.
        var manifests: String { runtime.root + "/manifests" }

        /// The agent's kubeconfig: the admin's, or with `asNode` the node's own (`system:node:<name>`), which the
        /// Node authorizer and NodeRestriction check.
        let agentKubeconfig: String

        /// `controllers` runs the server with that `--controllers` list (and no scheduler); `serverArguments` are
        /// added to the server's command line.
        init(_ kind: CRIHarness.Kind = .swiftlet, controllers: String? = nil, asNode: Bool = false, serverArguments: [String] = [],
             agentArguments: [String] = []) async throws {
            server = try await ServerProcess(controllers: controllers != nil,
                                             extraArguments: (controllers.map { ["--controllers", $0, "--no-scheduler"] } ?? []) + serverArguments)
            runtime = try await CRIHarness(kind)
            client = try KubeClient(configuration: server.clientConfiguration(), logger: Logger(label: "test"))
            agentKubeconfig = asNode ? try server.kubeconfig(user: "system:node:\(nodeName)", groups: ["system:nodes"]) : server.kubeconfig
            agent = try PeerDaemon(name: "agent")
            self.agentArguments = agentArguments
            try startAgent()
        }

        /// Added to the agent's command line.
        let agentArguments: [String]

        func startAgent() throws {
            agent = try PeerDaemon(name: "agent")
            try FileManager.default.createDirectory(atPath: manifests, withIntermediateDirectories: true)
            let port = try freeLoopbackPorts(1)[0]
            try agent.start(try BuiltProducts.path(of: "swiftlet"), [
                "agent", "--kubeconfig", agentKubeconfig, "--node-name", nodeName, "--root-dir", runtime.root + "/agent",
                "--pod-log-dir", runtime.root + "/pods", "--container-runtime-endpoint", "unix://" + runtime.socket,
                "--cluster-dns", "10.96.0.10", "--log-level", "debug",
                "--pod-manifest-path", manifests, "--file-check-frequency", "1s",
                // The agent runs in the host's network namespace here: it must not program the host's nftables or routes.
                "--proxy-mode", "none", "--no-pod-routes", "--healthz-bind-address", "127.0.0.1:0",
                // The kubelet server on loopback, so `kubectl logs` traffic stays on loopback.
                "--node-ip", "127.0.0.1", "--address", "127.0.0.1", "--port", String(port),
            ] + agentArguments)
        }

        func kubectl(_ arguments: [String], stdin: String? = nil) async throws -> String {
            let kubectl = try #require(which("kubectl"), "kubectl is not installed")
            let result = try await runCommand(kubectl, ["--kubeconfig", server.kubeconfig] + arguments, stdin: stdin)
            guard result.status == 0 else { throw TestSupportError("kubectl \(arguments): \(result)") }
            return result.stdout
        }

        /// Polls the pod until `condition` holds, failing with its last status after `timeout`.
        @discardableResult
        func waitForPod(_ name: String, timeout: Duration = .seconds(60), _ condition: (Pod) -> Bool) async throws -> Pod {
            let deadline = ContinuousClock.now + timeout
            var last: Pod?
            while ContinuousClock.now < deadline {
                last = try? await client.get(Pod.self, name: name, namespace: "default")
                if let last, condition(last) { return last }
                try await Task.sleep(for: .milliseconds(200))
            }
            let status = last.flatMap { try? JSONEncoder().encode($0.status) }.map { String(decoding: $0, as: UTF8.self) } ?? "no pod"
            throw TestSupportError("pod \(name) did not reach the expected state: \(status)\nagent log:\n\(agent.logTail)")
        }

        /// Runs `body` on a fresh cluster (arguments as ``init(_:controllers:asNode:serverArguments:agentArguments:)``), recording the agent's log when
        /// it fails, and always stops the cluster.
        static func with(_ kind: CRIHarness.Kind = .swiftlet, controllers: String? = nil, asNode: Bool = false, agentArguments: [String] = [],
                         _ body: (Cluster) async throws -> Void) async throws {
            let cluster = try await Cluster(kind, controllers: controllers, asNode: asNode, agentArguments: agentArguments)
            do {
                try await body(cluster)
            } catch {
                Issue.record("agent log:\n\(cluster.agent.logTail)")
                await cluster.stop()
                throw error
            }
            await cluster.stop()
        }

        /// The Node once `condition` holds (within 30 s).
        func eventuallyNode(_ condition: (Node) -> Bool) async throws -> Node {
            var node: Node?
            for _ in 0..<150 {
                node = try? await client.get(Node.self, name: nodeName)
                if let node, condition(node) { return node }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw TestSupportError("the Node never got there: \(String(describing: node))")
        }

        /// Deletes the pods through the agent (which cleans the node), then stops everything.
        func stop() async {
            _ = try? await kubectl(["delete", "pods", "--all", "--grace-period=1", "--timeout=60s"])
            agent.stop()
            // The QoS parents the agent made under the default cgroup root (`/kubepods…`) go once empty; the agent
            // removes them itself only with --clean-up-on-exit.
            PodCgroups.removeParents(cgroupRoot: "/")
            await runtime.stop()
            try? await client.shutdown()
            server.stop()
        }
    }

    private func execInContainer(_ cluster: Cluster, _ containerID: String, _ command: [String]) async throws {
        try await cluster.runtime.withClients { runtime, _ in
            var request = Runtime_V1_ExecSyncRequest()
            request.containerID = containerID
            request.cmd = command
            request.timeout = 5
            let response = try await runtime.execSync(request)
            guard response.exitCode == 0 else { throw TestSupportError("\(command) exited \(response.exitCode)") }
        }
    }

    static func container(_ pod: Pod, _ name: String) -> ContainerStatus? {
        pod.status?.containerStatuses?.first { $0.name == name }
    }

    @Test("--kube-reserved, --system-reserved and --eviction-hard: allocatable is the capacity less both reservations and the thresholds; a signal below its threshold is upstream's pressure condition, event and (from the node lifecycle controller) NoSchedule taint; admission refuses what the node cannot run and the eviction manager evicts",
          .timeLimit(.minutes(4)))
    func reservationsAndPressure() async throws {
        let cluster = try await Cluster(controllers: "nodelifecycle", agentArguments: [
            "--kube-reserved", "cpu=500m,memory=1Gi", "--system-reserved", "ephemeral-storage=1Gi,pid=100",
            // More memory than any machine has must stay available: memory pressure at once.
            "--eviction-hard", "memory.available<100000Gi,nodefs.available<1Gi",
        ])
        do {
            let node = try await cluster.eventuallyNode { $0.status?.conditions?.contains { $0.type == "MemoryPressure" && $0.status == "True" } == true }
            let pressure = try #require(node.status?.conditions?.first { $0.type == "MemoryPressure" })
            #expect(pressure.reason == "KubeletHasInsufficientMemory" && pressure.message == "kubelet has insufficient memory available")
            #expect(node.status?.conditions?.first { $0.type == "DiskPressure" }?.status == "False")
            let capacity = try #require(node.status?.capacity), allocatable = try #require(node.status?.allocatable)
            #expect(allocatable["cpu"]?.milliValue == (capacity["cpu"]?.milliValue ?? 0) - 500, "\(allocatable)")
            #expect(allocatable["memory"]?.isZero == true, "\(allocatable)")
            #expect(allocatable["ephemeral-storage"]?.value == (capacity["ephemeral-storage"]?.value ?? 0) - 2 * 1024 * 1024 * 1024, "\(allocatable)")
            let tainted = try await cluster.eventuallyNode { $0.spec?.taints?.contains { $0.key == "node.kubernetes.io/memory-pressure" && $0.effect == "NoSchedule" } == true }
            #expect(tainted.spec?.taints?.contains { $0.key == "node.kubernetes.io/disk-pressure" } != true)
            let events = try await cluster.kubectl(["get", "events", "--field-selector", "involvedObject.kind=Node,reason=NodeHasInsufficientMemory", "-o", "name"])
            #expect(!events.isEmpty, "no NodeHasInsufficientMemory event")
            try await admissionAndEviction(cluster, cpuCapacity: capacity["cpu"]?.milliValue ?? 0)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    /// On a node under memory pressure with no allocatable memory: pods bound to it straight away (no scheduler) are
    /// refused by the kubelet's admission as upstream's (a BestEffort pod for the pressure, one asking for memory or too
    /// much cpu for want of it, one whose node selector does not match), and a pod it admitted is evicted.
    private func admissionAndEviction(_ cluster: Cluster, cpuCapacity: Int64) async throws {
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        /// A pod bound here with `requests`, and `nodeSelector` when given.
        func pod(_ name: String, requests: String, nodeSelector: String? = nil, sysctl: String? = nil) -> String {
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: \(name)}
            spec:
              nodeName: \(cluster.nodeName)
              nodeSelector: \(nodeSelector ?? "{}")
              securityContext: {sysctls: [\(sysctl.map { "{name: \($0), value: '1'}" } ?? "")]}
              containers:
              - name: main
                image: \(shell)
                command: [sh, -c, "trap 'exit 0' TERM; while true; do sleep 1; done"]
                resources: {requests: \(requests)}
            """
        }
        for manifest in [pod("besteffort", requests: "{}"), pod("memory", requests: "{memory: 1Mi}"),
                         pod("cpu", requests: "{cpu: \(cpuCapacity)m}"), pod("selector", requests: "{cpu: 10m}", nodeSelector: "{disk: ssd}"),
                         pod("sysctl", requests: "{cpu: 10m}", sysctl: "kernel.msgmax"), pod("admitted", requests: "{cpu: 10m}")] {
            _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: manifest)
        }
        let refusals = [
            ("besteffort", "Evicted", "The node had condition: [MemoryPressure]. "),
            ("memory", "OutOfmemory", "Node didn't have enough resource: memory, requested: 1048576, used: 0, capacity: 0"),
            ("cpu", "OutOfcpu", "Node didn't have enough resource: cpu, requested: \(cpuCapacity), used: 0, capacity: \(cpuCapacity - 500)"),
            ("selector", "NodeAffinity", "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector"),
            ("sysctl", "SysctlForbidden", #"forbidden sysctl: "kernel.msgmax" not allowlisted"#),
        ]
        for (name, reason, message) in refusals {
            let refused = try await cluster.waitForPod(name) { $0.status?.phase == "Failed" }
            #expect(refused.status?.reason == reason && refused.status?.message == "Pod was rejected: " + message, "\(name): \(String(describing: refused.status))")
            #expect(refused.status?.containerStatuses == nil, "\(name) never ran")
            let events = try await cluster.kubectl(["get", "events", "--field-selector", "involvedObject.name=\(name),reason=\(reason),type=Warning",
                                                    "-o", "jsonpath={.items[*].message}"])
            #expect(events == message, "\(name)")
        }
        // The admitted (Burstable) pod is evicted within a round or two of the eviction manager (10 s apart).
        let evicted = try await cluster.waitForPod("admitted", timeout: .seconds(45)) { $0.status?.phase == "Failed" }
        let message = try #require(evicted.status?.message)
        #expect(evicted.status?.reason == "Evicted")
        #expect(message.hasPrefix("The node was low on resource: memory. Threshold quantity: 100000Gi, available: "), "\(message)")
        let disruption = try #require(evicted.status?.conditions?.first { $0.type == "DisruptionTarget" })
        #expect(disruption.status == "True" && disruption.reason == "TerminationByKubelet" && disruption.message == message)
        #expect(evicted.status?.containerStatuses?.allSatisfy { $0.state?.running == nil } == true, "\(String(describing: evicted.status))")
        let eviction = try await cluster.kubectl(["get", "events", "--field-selector", "involvedObject.name=admitted,reason=Evicted",
                                                  "-o", "jsonpath={.items[*].metadata.annotations.starved_resource}"])
        #expect(eviction == "memory")
        let attempts = try await cluster.kubectl(["get", "events", "--field-selector", "involvedObject.kind=Node,reason=EvictionThresholdMet",
                                                  "-o", "jsonpath={.items[*].message}"])
        #expect(attempts.contains("Attempting to reclaim memory"), "\(attempts)")
        // Refused and evicted pods stay in the API (their controllers replace them); nothing of them runs.
        let sandboxes = try await cluster.runtime.withClients { runtime, _ in
            try await runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest()).items.filter { $0.state == .sandboxReady }
        }
        #expect(sandboxes.isEmpty, "\(sandboxes.map(\.metadata.name))")
    }

    @Test("--eviction-soft: the pressure condition at once, the eviction only once the threshold has been crossed for its grace period, the pod's containers stopped within the smaller of its own grace period and --eviction-max-pod-grace-period; /configz reports the eviction settings",
          .timeLimit(.minutes(3)))
    func softEviction() async throws {
        let cluster = try await Cluster(agentArguments: [
            "--eviction-hard", "nodefs.available<1Mi", "--eviction-soft", "memory.available<100000Gi",
            "--eviction-soft-grace-period", "memory.available=15s", "--eviction-max-pod-grace-period", "4",
            "--eviction-minimum-reclaim", "memory.available=1Gi", "--kube-reserved", "cpu=100m", "--allowed-unsafe-sysctls", "net.core.somaxconn",
        ])
        do {
            let node = try await cluster.eventuallyNode { $0.status?.conditions?.contains { $0.type == "MemoryPressure" && $0.status == "True" } == true }
            let pressureSince = try #require(node.status?.conditions?.first { $0.type == "MemoryPressure" }?.lastTransitionTime?.date)
            // Soft thresholds are not held back from allocatable.
            #expect(node.status?.allocatable?["memory"] == node.status?.capacity?["memory"])
            let configz = try await cluster.kubectl(["get", "--raw", "/api/v1/nodes/\(cluster.nodeName)/proxy/configz"])
            let config = try #require((try JSONSerialization.jsonObject(with: Data(configz.utf8)) as? [String: Any])?["kubeletconfig"] as? [String: Any])
            #expect(config["evictionHard"] as? [String: String] == ["nodefs.available": "1Mi"])
            #expect(config["evictionSoft"] as? [String: String] == ["memory.available": "100000Gi"])
            #expect(config["evictionSoftGracePeriod"] as? [String: String] == ["memory.available": "15s"])
            #expect(config["evictionMinimumReclaim"] as? [String: String] == ["memory.available": "1Gi"])
            #expect(config["evictionMaxPodGracePeriod"] as? Int == 4)
            #expect(config["kubeReserved"] as? [String: String] == ["cpu": "100m"])
            #expect(config["allowedUnsafeSysctls"] as? [String] == ["net.core.somaxconn"])

            // A Burstable pod is admitted under memory pressure; its shell ignores SIGTERM, so only the SIGKILL after
            // the grace period stops it: 4 s (the maximum), not its own 30 s nor a hard threshold's 1 s.
            _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
                apiVersion: v1
                kind: Pod
                metadata: {name: patient}
                spec:
                  nodeName: \(cluster.nodeName)
                  terminationGracePeriodSeconds: 30
                  containers:
                  - name: main
                    image: \(cluster.runtime.registry)/swiftlet-test/shell:v1
                    command: [sh, -c, "trap '' TERM; while true; do sleep 1; done"]
                    resources: {requests: {cpu: 10m}}
                """)
            try await cluster.waitForPod("patient") { $0.status?.phase == "Running" }
            let evicted = try await cluster.waitForPod("patient", timeout: .seconds(60)) { $0.status?.phase == "Failed" }
            #expect(evicted.status?.reason == "Evicted", "\(String(describing: evicted.status))")
            let events = try await cluster.client.list(Event.self, namespace: "default",
                                                       options: ListOptions(fieldSelector: "involvedObject.name=patient,reason=Evicted")).items
            let evictedAt = try #require(events.first?.firstTimestamp?.date ?? events.first?.eventTime?.date)
            #expect(evictedAt.timeIntervalSince(pressureSince) >= 12, "evicted \(evictedAt.timeIntervalSince(pressureSince)) s after the pressure began")
            let finished = try #require(Self.container(evicted, "main")?.state?.terminated?.finishedAt?.date, "\(String(describing: evicted.status))")
            let grace = finished.timeIntervalSince(evictedAt)
            #expect(grace >= 3 && grace <= 9, "the container stopped \(grace) s after the eviction")
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    @Test("image garbage collection: above the high threshold unused images go, not those a container uses or the pinned sandbox image, not those seen less than the minimum age ago; a shortfall is upstream's FreeDiskSpaceFailed",
          .timeLimit(.minutes(3)))
    func imageGarbageCollection() async throws {
        try await Cluster.with { cluster in
            let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1", web = "\(cluster.runtime.registry)/swiftlet-test/web:v1"
            // Sharing the process namespace, the sandbox runs the pause image (pinned by the runtime).
            _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
                apiVersion: v1
                kind: Pod
                metadata: {name: user}
                spec:
                  nodeName: \(cluster.nodeName)
                  shareProcessNamespace: true
                  containers: [{name: main, image: "\(shell)", command: [sleep, "3600"]}]
                """)
            try await cluster.waitForPod("user") { $0.status?.phase == "Running" }
            let images: @Sendable () async throws -> [Runtime_V1_Image] = {
                try await cluster.runtime.withClients { _, images in try await images.listImages(Runtime_V1_ListImagesRequest()).images }
            }
            try await cluster.runtime.withClients { _, images in
                var pull = Runtime_V1_PullImageRequest()
                pull.image.image = web
                _ = try await images.pullImage(pull)
            }
            let connection = try RuntimeConnection(socketPath: cluster.runtime.socket)
            let running = Task { try await connection.run() }
            defer { running.cancel() }
            let events = EventRecorder(client: cluster.client, component: "kubelet", host: cluster.nodeName, logger: Logger(label: "test"))
            // Any use of the disk is above 1 %: everything eligible goes, and it is never enough to get to 0 %.
            func collector(minimumAge: Duration) -> ImageGCManager {
                ImageGCManager(connection: connection, policy: ImageGCPolicy(highThresholdPercent: 1, lowThresholdPercent: 0, minimumAge: minimumAge),
                               events: events, nodeName: cluster.nodeName, logger: Logger(label: "test"))
            }
            let shortfall = #/^Failed to garbage collect required amount of images\. Attempted to free \d+ bytes, but only found (\d+) bytes eligible to free\.$/#
            do {
                try await collector(minimumAge: .seconds(3600)).garbageCollect()
                Issue.record("a full disk must be a shortfall")
            } catch {
                #expect(String(describing: error).firstMatch(of: shortfall)?.output.1 == "0", "\(error)")
            }
            #expect(try await images().contains { $0.repoTags.contains(web) }, "an image first seen now is not old enough")
            let webSize = try #require(try await images().first { $0.repoTags.contains(web) }?.size)
            do {
                try await collector(minimumAge: .zero).garbageCollect()
                Issue.record("a full disk must be a shortfall")
            } catch {
                #expect(String(describing: error).firstMatch(of: shortfall)?.output.1 == "\(webSize)", "\(error)")
            }
            let left = try await images()
            #expect(!left.contains { $0.repoTags.contains(web) }, "the unused image goes")
            #expect(left.contains { $0.repoTags.contains(shell) }, "the image a container uses stays")
            #expect(left.contains { $0.repoTags.contains(cluster.runtime.pauseImage) && $0.pinned }, "the pinned sandbox image stays")
            var reported = ""
            for _ in 0..<50 where !reported.contains("Failed to garbage collect") {
                reported = try await cluster.kubectl(["get", "events", "--field-selector", "involvedObject.kind=Node,reason=FreeDiskSpaceFailed",
                                                      "-o", "jsonpath={.items[*].message}"])
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(reported.contains("but only found \(webSize) bytes eligible to free."), "\(reported)")
            #expect(throws: KubeletFlagError.self) { try ImageGCPolicy(highThresholdPercent: 80, lowThresholdPercent: 80).validate() }
            #expect((try? ImageGCPolicy(highThresholdPercent: 101).validate()) == nil)
        }
    }

    @Test("node registers Ready with a Lease; a pod with init container, configMap volume, secret and fieldRef env runs, updates, and is deleted cleanly",
          .timeLimit(.minutes(4)))
    func podLifecycle() async throws {
        let cluster = try await Cluster()
        do {
            try await lifecycle(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func lifecycle(_ cluster: Cluster) async throws {
        let client = cluster.client
        // The node registers and turns Ready (CRI RuntimeReady and NetworkReady), and heartbeats with a Lease.
        let node = try? await cluster.eventuallyNode { $0.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } == true }
        let ready = try #require(node?.status?.conditions?.first { $0.type == "Ready" }, "agent log:\n\(cluster.agent.logTail)")
        #expect(ready.status == "True")
        #expect(node?.status?.nodeInfo?.containerRuntimeVersion.hasPrefix("swiftlet://") == true)
        #expect(node?.status?.capacity?["pods"] == Quantity(stringLiteral: "110"))
        // Upstream's default hard eviction thresholds are held back from allocatable: 100Mi of memory, 10 % of the
        // node file system.
        let capacity = try #require(node?.status?.capacity), allocatable = try #require(node?.status?.allocatable)
        #expect(allocatable["memory"]?.value == (capacity["memory"]?.value ?? 0) - 100 * 1024 * 1024, "\(allocatable)")
        let storage = capacity["ephemeral-storage"]?.value ?? 0
        #expect(allocatable["ephemeral-storage"]?.value == storage - Int64(Double(storage) * 0.1), "\(allocatable)")
        #expect(allocatable["cpu"] == capacity["cpu"] && allocatable["pods"] == capacity["pods"])
        #expect(node?.status?.conditions?.first { $0.type == "DiskPressure" }?.reason == "KubeletHasNoDiskPressure")
        let lease = try await client.get(Lease.self, name: cluster.nodeName, namespace: "kube-node-lease")
        #expect(lease.spec?.holderIdentity == cluster.nodeName)
        // The kubelet's node events, as `kubectl describe node` lists them upstream.
        var described = ""
        for _ in 0..<25 {
            described = try await cluster.kubectl(["describe", "node", cluster.nodeName])
            if described.contains("status is now: NodeReady") { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        for line in ["Starting kubelet.", "Node \(cluster.nodeName) status is now: NodeHasSufficientMemory",
                     "Node \(cluster.nodeName) status is now: NodeHasNoDiskPressure", "Node \(cluster.nodeName) status is now: NodeReady"] {
            #expect(described.contains(line), "\(described)")
        }
        // The agent's /healthz (its port is in the log: started with port 0).
        let agentLog = try String(contentsOfFile: cluster.agent.logFile, encoding: .utf8)
        let address = try #require(agentLog.firstMatch(of: #/address=(127\.0\.0\.1:\d+) \[SwiftletCommands\] serving health and metrics/#)?.output.1)
        let healthz = try await runCommand("/usr/bin/curl", ["-s", "http://\(address)/healthz"])
        #expect(healthz.stdout == "ok")
        // The kubelet's port speaks TLS and refuses callers without credentials (see KubeletAuthTests for tokens).
        let kubeletPort = try #require(node?.status?.daemonEndpoints?.kubeletEndpoint?.port)
        let anonymous = try await runCommand("/usr/bin/curl", ["-sk", "https://127.0.0.1:\(kubeletPort)/healthz"])
        #expect(anonymous.stdout == "Unauthorized", "\(anonymous)")
        let plain = try await runCommand("/usr/bin/curl", ["-s", "http://127.0.0.1:\(kubeletPort)/healthz"])
        #expect(plain.stdout != "ok", "\(plain)")
        let admin = try await runCommand("/usr/bin/curl", ["-sk", "--cert", cluster.server.adminCertificateFile, "--key", cluster.server.adminKeyFile,
                                                           "https://127.0.0.1:\(kubeletPort)/healthz"])
        #expect(admin.stdout == "ok", "\(admin)")

        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        // A label given after registration, which the pod selects: admission sees the node as the API has it, also
        // when it admits the running pod again after the agent's restart below.
        _ = try await cluster.kubectl(["label", "node", cluster.nodeName, "tier=web"])
        _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            data: {greeting: hello}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: creds}
            stringData: {password: s3cret}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: app, labels: {app: demo}}
            spec:
              nodeName: \(cluster.nodeName)
              nodeSelector: {tier: web}
              terminationGracePeriodSeconds: 3
              volumes:
              - {name: config, configMap: {name: settings}}
              - {name: work, emptyDir: {}}
              initContainers:
              - name: prepare
                image: \(shell)
                command: [sh, -c, "echo prepared > /work/ready"]
                volumeMounts: [{name: work, mountPath: /work}]
              containers:
              - name: main
                image: \(shell)
                command: [sh, -c, "echo $(cat /config/greeting) $(cat /work/ready); echo pass=$PASSWORD name=$POD_NAME node=$NODE; trap 'exit 0' TERM; while true; do sleep 1; done"]
                env:
                - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
                - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
                - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
                volumeMounts:
                - {name: config, mountPath: /config}
                - {name: work, mountPath: /work}
            """)
        let running = try await cluster.waitForPod("app") { pod in
            pod.status?.phase == "Running" && pod.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } == true
        }
        let uid = try #require(running.metadata.uid)
        #expect(running.status?.podIP?.isEmpty == false)
        #expect(running.status?.qosClass == "BestEffort")
        #expect(running.status?.initContainerStatuses?.first?.state?.terminated?.exitCode == 0)
        // The init container's events name its place in the spec as upstream's kubelet does.
        var initEvents = ""
        for _ in 0..<50 {
            initEvents = try await cluster.kubectl(["get", "events", "--field-selector", "involvedObject.name=app,involvedObject.fieldPath=spec.initContainers{prepare}",
                                                    "-o", "custom-columns=REASON:.reason", "--no-headers"])
            if initEvents.contains("Started") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(initEvents.contains("Created") && initEvents.contains("Started"), "\(initEvents)")
        let main = try #require(Self.container(running, "main"))
        #expect(main.restartCount == 0)
        #expect(main.containerID?.hasPrefix("swiftlet://") == true)
        #expect(main.imageID.contains("swiftlet-test/shell@sha256:"), "the repo digest, as containerd reports it: \(main.imageID)")

        // Logs in the kubelet's layout, written by the runtime.
        let logFile = "\(cluster.runtime.root)/pods/default_app_\(uid)/main/0.log"
        var log = ""
        for _ in 0..<50 {
            log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            if log.contains("node=") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(log.contains("stdout F hello prepared"), "\(log)")
        // The pod's start-up timeline, one structured line in the agent's log once its status said Running.
        var trace: Substring?
        for _ in 0..<50 where trace == nil {
            let agentLog = (try? String(contentsOfFile: cluster.agent.logFile, encoding: .utf8)) ?? ""
            trace = agentLog.split(separator: "\n").first { $0.contains("observed pod startup") && $0.contains("pod=default/app") }
            if trace == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(["sandboxMs=", "createdMs=", "startedMs=", "runningMs="].allSatisfy { trace?.contains($0) == true }, "\(String(describing: trace))")
        #expect(log.contains("pass=s3cret name=app node=\(cluster.nodeName)"), "\(log)")
        // kubectl logs goes through the API server's pods/log to the agent's server.
        let logs = try await cluster.kubectl(["logs", "app", "-c", "main"])
        #expect(logs.contains("hello prepared\npass=s3cret name=app node=\(cluster.nodeName)\n"), "\(logs)")
        #expect(try await cluster.kubectl(["logs", "app", "-c", "prepare"]) == "")
        // -f streams and keeps the connection open: cut off after 3 s by timeout(1), which exits 124.
        let kubectl = try #require(which("kubectl"))
        let followed = try await runCommand("/usr/bin/timeout", ["3", kubectl, "--kubeconfig", cluster.server.kubeconfig, "logs", "-f", "app", "-c", "main"])
        #expect(followed.status == 124, "\(followed)")
        #expect(followed.stdout.contains("pass=s3cret name=app"), "\(followed)")
        let tail = try await cluster.kubectl(["logs", "app", "-c", "main", "--tail", "1", "--timestamps"])
        #expect(tail.hasSuffix(" pass=s3cret name=app node=\(cluster.nodeName)\n"), "\(tail)")

        // Updating the ConfigMap updates the file in the running container.
        _ = try await cluster.kubectl(["patch", "configmap", "settings", "--type=merge", "-p", #"{"data":{"greeting":"bonjour"}}"#])
        let containerID = String(main.containerID?.dropFirst("swiftlet://".count) ?? "")
        var greeting = ""
        for _ in 0..<100 {
            greeting = try await cluster.runtime.withClients { runtime, _ in
                var request = Runtime_V1_ExecSyncRequest()
                request.containerID = containerID
                request.cmd = ["cat", "/config/greeting"]
                request.timeout = 5
                return String(decoding: try await runtime.execSync(request).stdout, as: UTF8.self)
            }
            if greeting == "bonjour" { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(greeting == "bonjour")

        // A container that keeps failing is restarted, then held in CrashLoopBackOff.
        _ = try await cluster.kubectl(["run", "crasher", "--image", shell, "--restart=Always",
                                       "--overrides", #"{"spec":{"nodeName":"\#(cluster.nodeName)"}}"#, "--command", "--", "sh", "-c", "exit 3"])
        let crashing = try await cluster.waitForPod("crasher") { pod in
            Self.container(pod, "crasher")?.state?.waiting?.reason == "CrashLoopBackOff"
        }
        let crasher = try #require(Self.container(crashing, "crasher"))
        #expect(crasher.restartCount >= 1)
        #expect(crasher.lastState?.terminated?.exitCode == 3)

        // An image that does not exist: ErrImagePull, then ImagePullBackOff.
        _ = try await cluster.kubectl(["run", "ghost", "--image", "\(cluster.runtime.registry)/swiftlet-test/missing:v1", "--restart=Never",
                                       "--overrides", #"{"spec":{"nodeName":"\#(cluster.nodeName)"}}"#])
        try await cluster.waitForPod("ghost") { pod in
            ["ErrImagePull", "ImagePullBackOff"].contains(Self.container(pod, "ghost")?.state?.waiting?.reason ?? "")
        }
        try await cluster.waitForPod("ghost", timeout: .seconds(30)) { pod in
            Self.container(pod, "ghost")?.state?.waiting?.reason == "ImagePullBackOff"
        }
        // kubectl describe tells the story in upstream's Events: the pull failed, then backs off.
        let ghostImage = "\(cluster.runtime.registry)/swiftlet-test/missing:v1"
        let expected: Set<String> = ["Failed: Error: ErrImagePull", "Normal BackOff: Back-off pulling image \"\(ghostImage)\"",
                                     "Failed: Error: ImagePullBackOff"]
        var told: Set<String> = []
        for _ in 0..<50 where !expected.isSubset(of: told) {
            let events = try await cluster.client.list(Event.self, namespace: "default", options: ListOptions(fieldSelector: "involvedObject.name=ghost")).items
            told = Set(events.filter { $0.involvedObject.fieldPath == "spec.containers{ghost}" }.map {
                $0.reason == "BackOff" ? "\($0.type ?? "") BackOff: \($0.message ?? "")" : "\($0.reason ?? ""): \($0.message ?? "")"
            })
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(expected.isSubset(of: told), "\(told.sorted())")
        // The failed pull in upstream's words, the runtime's gRPC error as Go prints it.
        let pullFailure = "Failed to pull image \"\(ghostImage)\": rpc error: code = NotFound desc = failed to pull and unpack image \"\(ghostImage)\": "
        #expect(told.contains { $0.hasPrefix("Failed: " + pullFailure) }, "\(told.sorted())")

        // A pull that hangs (a registry that accepts connections and never answers; the runtime gives up after 60 s)
        // does not hold up the pod's deletion: the deletion cancels the sync, as upstream's pod worker cancels its
        // context for a kill.
        let silent = try PeerDaemon(name: "silent-registry")
        defer { silent.stop() }
        try silent.start("/usr/bin/nsenter", ["--net=/var/run/netns/" + cluster.runtime.namespaceName, "/usr/bin/python3", "-c",
                                              "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 5002)); s.listen(8); print('listening', flush=True); time.sleep(600)"])
        try await silent.waitForLog("listening")
        _ = try await cluster.kubectl(["run", "stuck", "--image", "127.0.0.1:5002/swiftlet-test/shell:v1", "--restart=Never",
                                       "--overrides", #"{"spec":{"nodeName":"\#(cluster.nodeName)","terminationGracePeriodSeconds":1}}"#])
        var pulling = ""
        for _ in 0..<50 where !pulling.contains("stuck") {
            pulling = try await cluster.kubectl(["get", "events", "--field-selector", "reason=Pulling", "-o", "custom-columns=OBJ:.involvedObject.name", "--no-headers"])
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(pulling.contains("stuck"), "\(pulling)")
        // Meanwhile the status says what is going on, as upstream's does (not a bare Pending).
        try await cluster.waitForPod("stuck", timeout: .seconds(10)) { Self.container($0, "stuck")?.state?.waiting?.reason == "ContainerCreating" }
        let deleting = ContinuousClock.now
        _ = try await cluster.kubectl(["delete", "pod", "stuck", "--timeout=50s"])
        #expect(ContinuousClock.now - deleting < .seconds(20), "deleting a pod whose pull hangs took \(ContinuousClock.now - deleting)")

        // Probes: readiness gates the Ready condition; a failing liveness probe restarts the container.
        _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: v1
            kind: Pod
            metadata: {name: probed}
            spec:
              nodeName: \(cluster.nodeName)
              terminationGracePeriodSeconds: 2
              containers:
              - name: app
                image: \(shell)
                command: [sh, -c, "trap 'exit 0' TERM; while true; do sleep 1; done"]
                readinessProbe: {exec: {command: [test, -f, /tmp/ready]}, periodSeconds: 1, failureThreshold: 1}
                livenessProbe: {exec: {command: [test, "!", -f, /tmp/dead]}, periodSeconds: 1, failureThreshold: 2}
            """)
        let unready = try await cluster.waitForPod("probed") { $0.status?.phase == "Running" }
        #expect(Self.container(unready, "app")?.ready == false)
        let probedID = String(Self.container(unready, "app")?.containerID?.dropFirst("swiftlet://".count) ?? "")
        try await execInContainer(cluster, probedID, ["touch", "/tmp/ready"])
        try await cluster.waitForPod("probed") { pod in
            pod.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } == true
        }
        try await execInContainer(cluster, probedID, ["touch", "/tmp/dead"])
        let restarted = try await cluster.waitForPod("probed") { pod in
            (Self.container(pod, "app")?.restartCount ?? 0) >= 1 && Self.container(pod, "app")?.state?.running != nil
        }
        #expect(Self.container(restarted, "app")?.ready == false, "the new container has no /tmp/ready")
        #expect(Self.container(restarted, "app")?.lastState?.terminated != nil)

        // The crasher has been crash-looping meanwhile: its BackOff events are one Event whose count rises (the
        // kubelet's recorder patches repeats, as client-go's correlator does), shown as upstream's kubectl shows it.
        // BackOff is said at every sync that finds the container backing off (upstream's pod worker requeues it every
        // 10–15 s), not once per crash, so the count outgrows the restarts; it names the container's place in the spec.
        var backOffs: [Event] = []
        var restarts: Int32 = 0
        for _ in 0..<450 {
            backOffs = try await client.list(Event.self, namespace: "default", options: ListOptions(fieldSelector: "involvedObject.name=crasher,reason=BackOff")).items
            restarts = Self.container(try await client.get(Pod.self, name: "crasher", namespace: "default"), "crasher")?.restartCount ?? 0
            if let count = backOffs.first?.count, count >= 3, count > restarts { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(backOffs.count == 1 && (backOffs.first?.count ?? 0) >= 3 && (backOffs.first?.count ?? 0) > restarts,
                "\(backOffs.map { "\($0.metadata.name ?? "") x\($0.count ?? 0)" }) after \(restarts) restarts")
        #expect(backOffs.first?.involvedObject.fieldPath == "spec.containers{crasher}")
        #expect(backOffs.first?.message == "Back-off restarting failed container crasher in pod crasher_default(\(crashing.metadata.uid ?? ""))")
        let crasherDescribed = try await cluster.kubectl(["describe", "pod", "crasher"])
        #expect(crasherDescribed.contains(/BackOff\s+\S+ \(x\d+ over \S+\)\s+kubelet\s+Back-off restarting failed container crasher in pod crasher_default/), "\(crasherDescribed)")
        let wide = try await cluster.kubectl(["get", "events", "-o", "wide", "--field-selector", "involvedObject.name=crasher,reason=BackOff"])
        #expect(wide.contains("COUNT") && wide.contains("kubelet, \(cluster.nodeName)"), "\(wide)")

        // The agent restarts under a running pod: nothing is restarted.
        cluster.agent.kill()
        try cluster.startAgent()
        try await Task.sleep(for: .seconds(3))
        let after = try await cluster.waitForPod("app") { $0.status?.phase == "Running" }
        #expect(Self.container(after, "main")?.containerID == main.containerID)
        #expect(Self.container(after, "main")?.restartCount == 0)

        // Graceful deletion: the containers stop, the sandbox goes, then the API object.
        _ = try await cluster.kubectl(["delete", "pod", "app", "--wait=false"])
        let deadline = ContinuousClock.now + .seconds(30)
        var gone = false
        while ContinuousClock.now < deadline {
            do {
                _ = try await client.get(Pod.self, name: "app", namespace: "default")
            } catch {
                if error.isNotFound { gone = true; break }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(gone, "the agent did not finish the deletion")
        let leftovers = try await cluster.runtime.withClients { runtime, _ in
            var request = Runtime_V1_ListPodSandboxRequest()
            request.filter.labelSelector = ["io.kubernetes.pod.uid": uid]
            return try await runtime.listPodSandbox(request).items.count
        }
        #expect(leftovers == 0)
        #expect(!FileManager.default.fileExists(atPath: "\(cluster.runtime.root)/agent/pods/\(uid)"))
    }
}

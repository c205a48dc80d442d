import CRI
import Foundation
import GRPCCore
import LinuxSystem
import TestSupport
import Testing

/// The full pod lifecycle against the real runc, a real registry and the real CNI plugins — run against
/// `swiftlet runtime` and, unchanged, against containerd: the same client calls get the same answers, which
/// proves the CRI client side the kubelet uses and that containerd drives swiftlet's CNI plugins.
@Suite("CRI pod lifecycle scenario (swiftlet runtime and containerd)", .serialized)
struct RuntimeLifecycleTests {
    @Test("pull, run a networked sandbox with two containers sharing localhost, exec, CRI logs, stop with timeout, remove cleans up",
          .timeLimit(.minutes(3)), arguments: [CRIHarness.Kind.swiftlet, .containerd])
    func podLifecycle(_ kind: CRIHarness.Kind) async throws {
        let harness = try await CRIHarness(kind)
        do {
            try await lifecycle(harness)
        } catch {
            Issue.record("runtime log:\n\(harness.log)")
            await harness.stop()
            throw error
        }
        await harness.stop()
        // The sandboxes had no cgroup parent: the runtime's default one goes when it stops with none left.
        if kind == .swiftlet { #expect(!cgroupExists("swiftlet"), "the default cgroup parent /swiftlet was left behind") }
    }

    private func lifecycle(_ harness: CRIHarness) async throws {
        let shell = "\(harness.registry)/swiftlet-test/shell:v1", web = "\(harness.registry)/swiftlet-test/web:v1"
        let logDirectory = harness.root + "/pods/default_web_1"
        try await harness.withClients { runtime, images in
            let version = try await runtime.version(Runtime_V1_VersionRequest())
            #expect(version.runtimeName == harness.kind.rawValue)
            #expect(version.runtimeApiVersion == "v1")
            let conditions = try await runtime.status(Runtime_V1_StatusRequest()).status.conditions
            #expect(conditions.map(\.type) == ["RuntimeReady", "NetworkReady"])
            #expect(conditions.allSatisfy { $0.status }, "\(conditions)")

            // By tag, then the same image by the digest it resolved to.
            let shellID = try await images.pullImage(CRIRequests.pull(shell)).imageRef
            #expect(shellID.hasPrefix("sha256:"))
            var statusRequest = Runtime_V1_ImageStatusRequest()
            statusRequest.image.image = shell
            let shellImage = try await images.imageStatus(statusRequest).image
            #expect(shellImage.id == shellID)
            let digestReference = try #require(shellImage.repoDigests.first)
            #expect(try await images.pullImage(CRIRequests.pull(digestReference)).imageRef == shellID)
            let webID = try await images.pullImage(CRIRequests.pull(web)).imageRef

            let sandboxConfig = CRIRequests.sandboxConfig(name: "web", logDirectory: logDirectory)
            let sandboxID = try await runtime.runPodSandbox(CRIRequests.run(sandboxConfig)).podSandboxID
            var sandboxStatusRequest = Runtime_V1_PodSandboxStatusRequest()
            sandboxStatusRequest.podSandboxID = sandboxID
            let sandboxStatus = try await runtime.podSandboxStatus(sandboxStatusRequest).status
            #expect(sandboxStatus.state == .sandboxReady)
            let prefix = harness.subnet.split(separator: ".").prefix(3).joined(separator: ".") + "."
            #expect(sandboxStatus.network.ip.hasPrefix(prefix), "pod IP \(sandboxStatus.network.ip) not in \(harness.subnet)")

            // The server as the kubelet creates a container: from the image ID the pull answered, the pod's string as
            // userSpecifiedImage. Its status names the image by its repo tag and repo digest (what the pod status
            // shows as image and imageID); ListContainers answers the spec it was created with.
            var serverConfig = CRIRequests.containerConfig(name: "server", image: webID)
            serverConfig.image.userSpecifiedImage = web
            let server = try await runtime.createContainer(CRIRequests.create(sandboxID, serverConfig, sandboxConfig)).containerID
            var webStatusRequest = Runtime_V1_ImageStatusRequest()
            webStatusRequest.image.image = web
            let webDigest = try await images.imageStatus(webStatusRequest).image.repoDigests.first
            let serverStatus = try await runtime.containerStatus(CRIRequests.status(server)).status
            #expect(serverStatus.image.image == web && serverStatus.imageRef == webDigest, "\(serverStatus.image) \(serverStatus.imageRef)")
            var serverList = Runtime_V1_ListContainersRequest()
            serverList.filter.id = server
            let listed = try await runtime.listContainers(serverList).containers
            #expect(listed.map(\.image.image) == [webID] && listed.map(\.imageRef) == [webID], "\(listed)")
            let client = try await runtime.createContainer(CRIRequests.create(
                sandboxID, CRIRequests.containerConfig(
                    name: "client", image: shell, command: ["sh", "-c"],
                    args: ["echo hello from $GREETING; echo to stderr >&2; trap '' TERM; while true; do sleep 1; done"],
                    env: ["GREETING": "swiftlet"]), sandboxConfig)).containerID
            #expect(try await runtime.containerStatus(CRIRequests.status(client)).status.state == .containerCreated)
            _ = try await runtime.startContainer(CRIRequests.start(server))
            _ = try await runtime.startContainer(CRIRequests.start(client))
            #expect(try await runtime.containerStatus(CRIRequests.status(client)).status.state == .containerRunning)

            // The two containers share the sandbox's network namespace: localhost reaches the web server.
            var page = Runtime_V1_ExecSyncResponse()
            for _ in 0..<50 {
                page = try await runtime.execSync(CRIRequests.exec(client, ["wget", "-qO-", "http://127.0.0.1:8080/"]))
                if page.exitCode == 0 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(page.exitCode == 0, "wget: \(String(decoding: page.stderr, as: UTF8.self))")
            #expect(String(decoding: page.stdout, as: UTF8.self).contains("hello from swiftlet-test/web"))
            // The pod's IP is swiftlet-host-local's (its allocation file names it) and answers from the node's
            // network namespace through swiftlet-bridge's gateway: with containerd this is containerd driving our
            // plugins end to end.
            let podIP = sandboxStatus.network.ip
            let allocationsWhileRunning = (try? FileManager.default.contentsOfDirectory(atPath: harness.root + "/ipam/runtime-test")) ?? []
            #expect(allocationsWhileRunning.contains(podIP), "no swiftlet-host-local allocation for \(podIP): \(allocationsWhileRunning)")
            let fromHost = try await CRIHarness.inNamespace(harness.namespaceName, "/usr/bin/curl", ["-sf", "--max-time", "5", "http://\(podIP):8080/"])
            #expect(fromHost.stdout.contains("hello from swiftlet-test/web"), "\(fromHost)")
            let failing = try await runtime.execSync(CRIRequests.exec(client, ["sh", "-c", "echo out; echo err >&2; exit 3"]))
            #expect(failing.exitCode == 3)
            #expect(String(decoding: failing.stdout, as: UTF8.self) == "out\n")
            #expect(String(decoding: failing.stderr, as: UTF8.self) == "err\n")
            let hostname = try await runtime.execSync(CRIRequests.exec(client, ["cat", "/etc/hostname", "/etc/resolv.conf"]))
            #expect(String(decoding: hostname.stdout, as: UTF8.self).contains("web\n"))
            #expect(String(decoding: hostname.stdout, as: UTF8.self).contains("nameserver 10.96.0.10"))
            await #expect(throws: RPCError.self) {
                _ = try await runtime.execSync(CRIRequests.exec(client, ["sleep", "10"], timeout: 1))
            }

            // CRI log format: RFC 3339 timestamp with up to nanoseconds (containerd trims trailing zeros as
            // Go's RFC3339Nano does), stream, tag, content.
            let logPath = try await runtime.containerStatus(CRIRequests.status(client)).status.logPath
            #expect(logPath == logDirectory + "/client/0.log")
            let lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
            let pattern = #/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z (stdout|stderr) F (.*)$/#
            #expect(lines.contains { ($0.wholeMatch(of: pattern)?.output.3).map(String.init) == "hello from swiftlet" })
            #expect(lines.contains { line in line.wholeMatch(of: pattern).map { $0.output.2 == "stderr" && $0.output.3 == "to stderr" } ?? false })

            // The client ignores SIGTERM: StopContainer waits the 2 s timeout, then SIGKILL.
            let clock = ContinuousClock()
            let started = clock.now
            _ = try await runtime.stopContainer(CRIRequests.stop(client, timeout: 2))
            let elapsed = clock.now - started
            #expect(elapsed >= .seconds(2) && elapsed < .seconds(8), "stop took \(elapsed)")
            let stopped = try await runtime.containerStatus(CRIRequests.status(client)).status
            #expect(stopped.state == .containerExited)
            #expect(stopped.exitCode == 137)
            #expect(stopped.reason == "Error")
            #expect(stopped.finishedAt >= stopped.startedAt)
            // The server exits on SIGTERM at once.
            _ = try await runtime.stopContainer(CRIRequests.stop(server, timeout: 10))
            #expect(try await runtime.containerStatus(CRIRequests.status(server)).status.state == .containerExited)

            var listRequest = Runtime_V1_ListContainersRequest()
            listRequest.filter.podSandboxID = sandboxID
            #expect(try await runtime.listContainers(listRequest).containers.count == 2)

            _ = try await runtime.stopPodSandbox(CRIRequests.stopSandbox(sandboxID))
            #expect(try await runtime.podSandboxStatus(sandboxStatusRequest).status.state == .sandboxNotready)
            _ = try await runtime.removePodSandbox(CRIRequests.removeSandbox(sandboxID))
            #expect(try await runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest()).items.isEmpty)
            #expect(try await runtime.listContainers(Runtime_V1_ListContainersRequest()).containers.isEmpty)
        }
        // Nothing left on the "node": mounts, runc state, the sandbox namespace, veths, IP allocations, cgroups.
        #expect(harness.leftoverMounts.isEmpty, "\(harness.leftoverMounts)")
        let runcState = (try? FileManager.default.contentsOfDirectory(atPath: harness.runcRoot)) ?? []
        #expect(runcState.isEmpty, "runc state left: \(runcState)")
        let links = try await CRIHarness.inNamespace(harness.namespaceName, "/usr/sbin/ip", ["-o", "link", "show", "type", "veth"]).stdout
        #expect(links.isEmpty, "veths left: \(links)")
        let allocations = (try? FileManager.default.contentsOfDirectory(atPath: harness.root + "/ipam/runtime-test")) ?? []
        let allocated = allocations.filter { $0.first?.isNumber == true }
        #expect(allocated.isEmpty, "IPs still allocated: \(allocated)")
        if harness.kind == .swiftlet {
            let sandboxDirectories = (try? FileManager.default.contentsOfDirectory(atPath: harness.runtimeState + "/sandboxes")) ?? []
            #expect(sandboxDirectories.isEmpty, "sandbox state left: \(sandboxDirectories)")
            let containerDirectories = (try? FileManager.default.contentsOfDirectory(atPath: harness.runtimeState + "/containers")) ?? []
            #expect(containerDirectories.isEmpty, "container state left: \(containerDirectories)")
            // The writable layers on the root are deleted after the removal returned: within moments.
            let layers = harness.root + "/runtime/writable-layers"
            var left = (try? FileManager.default.contentsOfDirectory(atPath: layers)) ?? []
            for _ in 0..<50 where !left.isEmpty {
                try await Task.sleep(for: .milliseconds(100))
                left = (try? FileManager.default.contentsOfDirectory(atPath: layers)) ?? []
            }
            #expect(FileManager.default.fileExists(atPath: layers) && left.isEmpty, "writable layers left: \(left)")
        }
    }
}

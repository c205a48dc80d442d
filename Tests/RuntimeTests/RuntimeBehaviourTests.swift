import CRI
import Foundation
import GRPCCore
import TestSupport
import Testing

/// Idempotence, errors, security settings and daemon restarts of `swiftlet runtime`, each against the
/// real runc in a harness of its own.
@Suite("swiftlet runtime: errors, security, restart", .serialized)
struct RuntimeBehaviourTests {
    /// Runs `body` against a fresh harness, printing the runtime's log when it fails, and always cleans up.
    private func withHarness(_ body: (CRIHarness) async throws -> Void) async throws {
        let harness = try await CRIHarness()
        do {
            try await body(harness)
        } catch {
            Issue.record("runtime log:\n\(harness.log)")
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    private func code(_ body: () async throws -> Void) async -> RPCError.Code? {
        do {
            try await body()
            return nil
        } catch let error as RPCError {
            return error.code
        } catch {
            return .unknown
        }
    }

    @Test("repeated stop/remove succeed, unknown ids are NotFound, malformed requests InvalidArgument, duplicates AlreadyExists",
          .timeLimit(.minutes(2)))
    func idempotenceAndErrors() async throws {
        try await withHarness { harness in
            let shell = "\(harness.registry)/swiftlet-test/shell:v1"
            try await harness.withClients { runtime, images in
                _ = try await runtime.stopPodSandbox(CRIRequests.stopSandbox("does-not-exist"))
                _ = try await runtime.removePodSandbox(CRIRequests.removeSandbox("does-not-exist"))
                _ = try await runtime.stopContainer(CRIRequests.stop("does-not-exist", timeout: 1))
                var removeContainer = Runtime_V1_RemoveContainerRequest()
                removeContainer.containerID = "does-not-exist"
                _ = try await runtime.removeContainer(removeContainer)

                var sandboxStatus = Runtime_V1_PodSandboxStatusRequest()
                sandboxStatus.podSandboxID = "does-not-exist"
                #expect(await code { _ = try await runtime.podSandboxStatus(sandboxStatus) } == .notFound)
                #expect(await code { _ = try await runtime.containerStatus(CRIRequests.status("does-not-exist")) } == .notFound)
                #expect(await code { _ = try await runtime.runPodSandbox(CRIRequests.run(Runtime_V1_PodSandboxConfig())) } == .invalidArgument)
                #expect(await code { _ = try await runtime.execSync(CRIRequests.exec("does-not-exist", ["true"])) } == .notFound)
                var forward = Runtime_V1_PortForwardRequest()
                forward.podSandboxID = "does-not-exist"
                #expect(await code { _ = try await runtime.portForward(forward) } == .notFound)

                // A missing image: NotFound with the registry's own words.
                do {
                    _ = try await images.pullImage(CRIRequests.pull("\(harness.registry)/swiftlet-test/missing:v1"))
                    Issue.record("pulling a missing image succeeded")
                } catch let error as RPCError {
                    #expect(error.code == .notFound)
                    #expect(error.message.contains("manifest unknown"), "\(error.message)")
                }
                var missingStatus = Runtime_V1_ImageStatusRequest()
                missingStatus.image.image = "\(harness.registry)/swiftlet-test/missing:v1"
                #expect(try await !images.imageStatus(missingStatus).hasImage)

                let config = CRIRequests.sandboxConfig(name: "dup", logDirectory: harness.root + "/pods/dup")
                let sandboxID = try await runtime.runPodSandbox(CRIRequests.run(config)).podSandboxID
                #expect(await code { _ = try await runtime.runPodSandbox(CRIRequests.run(config)) } == .alreadyExists)
                #expect(try await runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest()).items.count == 1)
                // PortForward grants a one-time streaming URL; a port outside 1…65535 is refused.
                forward.podSandboxID = sandboxID
                #expect(try await runtime.portForward(forward).url.contains("/portforward/"))
                forward.port = [70000]
                #expect(await code { _ = try await runtime.portForward(forward) } == .invalidArgument)

                // An image that was never pulled: NotFound, and the name stays free for the retry.
                let container = CRIRequests.containerConfig(name: "app", image: shell, command: ["sleep", "3600"])
                #expect(await code { _ = try await runtime.createContainer(CRIRequests.create(sandboxID, container, config)) } == .notFound)
                _ = try await images.pullImage(CRIRequests.pull(shell))
                let containerID = try await runtime.createContainer(CRIRequests.create(sandboxID, container, config)).containerID
                #expect(await code { _ = try await runtime.createContainer(CRIRequests.create(sandboxID, container, config)) } == .alreadyExists)
                // Stopping a created (never started) container, twice, then removing it twice.
                _ = try await runtime.stopContainer(CRIRequests.stop(containerID, timeout: 1))
                _ = try await runtime.stopContainer(CRIRequests.stop(containerID, timeout: 1))
                #expect(try await runtime.containerStatus(CRIRequests.status(containerID)).status.state == .containerExited)
                removeContainer.containerID = containerID
                _ = try await runtime.removeContainer(removeContainer)
                _ = try await runtime.removeContainer(removeContainer)
                #expect(await code { _ = try await runtime.containerStatus(CRIRequests.status(containerID)) } == .notFound)

                _ = try await runtime.stopPodSandbox(CRIRequests.stopSandbox(sandboxID))
                _ = try await runtime.stopPodSandbox(CRIRequests.stopSandbox(sandboxID))
                _ = try await runtime.removePodSandbox(CRIRequests.removeSandbox(sandboxID))
                _ = try await runtime.removePodSandbox(CRIRequests.removeSandbox(sandboxID))

                var removeImage = Runtime_V1_RemoveImageRequest()
                removeImage.image.image = shell
                _ = try await images.removeImage(removeImage)
                _ = try await images.removeImage(removeImage)
                var shellStatus = Runtime_V1_ImageStatusRequest()
                shellStatus.image.image = shell
                #expect(try await !images.imageStatus(shellStatus).hasImage)
            }
        }
    }

    @Test("runtime handlers as containerd's: runc and the default run runc, an unconfigured one is refused with containerd's error and nothing made, Status lists runc and the default",
          .timeLimit(.minutes(1)))
    func runtimeHandlers() async throws {
        try await withHarness { harness in
            try await harness.withClients { runtime, _ in
                let status = try await runtime.status(Runtime_V1_StatusRequest())
                #expect(status.runtimeHandlers.map(\.name) == ["runc", ""])
                #expect(status.runtimeHandlers.allSatisfy { $0.hasFeatures && !$0.features.recursiveReadOnlyMounts && !$0.features.userNamespaces })

                var request = CRIRequests.run(CRIRequests.sandboxConfig(name: "kata", logDirectory: harness.root + "/pods/kata"))
                request.runtimeHandler = "kata"
                do {
                    _ = try await runtime.runPodSandbox(request)
                    Issue.record("a sandbox for an unconfigured handler was made")
                } catch let error as RPCError {
                    #expect(error.code == .unknown && error.message == #"failed to get sandbox runtime: no runtime for "kata" is configured"#, "\(error)")
                }
                #expect(try await runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest()).items.isEmpty)

                // The same pod with the runc handler: made, and the handler recorded.
                request.runtimeHandler = "runc"
                var sandboxStatus = Runtime_V1_PodSandboxStatusRequest()
                sandboxStatus.podSandboxID = try await runtime.runPodSandbox(request).podSandboxID
                #expect(try await runtime.podSandboxStatus(sandboxStatus).status.runtimeHandler == "runc")
                _ = try await runtime.stopPodSandbox(CRIRequests.stopSandbox(sandboxStatus.podSandboxID))
                _ = try await runtime.removePodSandbox(CRIRequests.removeSandbox(sandboxStatus.podSandboxID))
            }
        }
    }

    @Test("RuntimeDefault seccomp blocks unshare, no_new_privs, dropped capabilities, read-only rootfs, run-as user",
          .timeLimit(.minutes(2)))
    func security() async throws {
        try await withHarness { harness in
            let shell = "\(harness.registry)/swiftlet-test/shell:v1"
            try await harness.withClients { runtime, images in
                _ = try await images.pullImage(CRIRequests.pull(shell))
                let sandbox = CRIRequests.sandboxConfig(name: "secure", logDirectory: harness.root + "/pods/secure")
                let sandboxID = try await runtime.runPodSandbox(CRIRequests.run(sandbox)).podSandboxID

                func start(_ name: String, _ configure: (inout Runtime_V1_LinuxContainerSecurityContext) -> Void) async throws -> String {
                    var config = CRIRequests.containerConfig(name: name, image: shell, command: ["sleep", "3600"])
                    configure(&config.linux.securityContext)
                    let id = try await runtime.createContainer(CRIRequests.create(sandboxID, config, sandbox)).containerID
                    _ = try await runtime.startContainer(CRIRequests.start(id))
                    return id
                }
                func run(_ id: String, _ command: String) async throws -> (Int32, String) {
                    let response = try await runtime.execSync(CRIRequests.exec(id, ["sh", "-c", command]))
                    return (response.exitCode, String(decoding: response.stdout + response.stderr, as: UTF8.self))
                }

                let confined = try await start("confined") { security in
                    security.seccomp.profileType = .runtimeDefault
                    security.noNewPrivs = true
                    security.readonlyRootfs = true
                    security.capabilities.dropCapabilities = ["ALL"]
                    security.capabilities.addCapabilities = ["NET_BIND_SERVICE"]
                    security.runAsUser.value = 1000
                }
                let unconfined = try await start("unconfined") { security in
                    security.seccomp.profileType = .unconfined
                }
                // Creating a user namespace needs no capability; only the seccomp filter stops it.
                let (allowed, allowedOutput) = try await run(unconfined, "unshare -U true")
                #expect(allowed == 0, "unshare without seccomp: \(allowedOutput)")
                let (blocked, blockedOutput) = try await run(confined, "unshare -U true")
                #expect(blocked != 0)
                #expect(blockedOutput.contains("Operation not permitted"), "\(blockedOutput)")

                let (_, status) = try await run(confined, "grep -E '^(NoNewPrivs|CapEff|CapBnd):' /proc/self/status")
                #expect(status.contains("NoNewPrivs:\t1"), "\(status)")
                // CAP_NET_BIND_SERVICE is bit 10; everything else dropped, from the bounding set too.
                #expect(status.contains("CapBnd:\t0000000000000400"), "\(status)")
                let (_, defaults) = try await run(unconfined, "grep '^CapBnd:' /proc/self/status")
                #expect(defaults.contains("CapBnd:\t00000000a80425fb"), "containerd's default set: \(defaults)")

                let (written, writeOutput) = try await run(confined, "touch /probe")
                #expect(written != 0)
                #expect(writeOutput.contains("Read-only file system"), "\(writeOutput)")
                #expect(try await run(confined, "id -u").1 == "1000\n")
                #expect(try await run(unconfined, "touch /probe && id -u").1 == "0\n")

                // A Localhost profile naming a syscall that does not exist is refused before runc sees it.
                let profile = harness.root + "/bad-profile.json"
                try #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","no_such_syscall"],"action":"SCMP_ACT_ALLOW"}]}"#
                    .write(toFile: profile, atomically: true, encoding: .utf8)
                var bad = CRIRequests.containerConfig(name: "bad-profile", image: shell, command: ["sleep", "3600"])
                bad.linux.securityContext.seccomp.profileType = .localhost
                bad.linux.securityContext.seccomp.localhostRef = profile
                do {
                    _ = try await runtime.createContainer(CRIRequests.create(sandboxID, bad, sandbox))
                    Issue.record("a profile with an unknown syscall was accepted")
                } catch let error as RPCError {
                    #expect(error.code == .invalidArgument)
                    #expect(error.message.contains("unknown syscall \"no_such_syscall\""), "\(error.message)")
                }
            }
        }
    }

    @Test("kill -9 of the runtime leaves containers running; the restarted daemon reports them, then stops them",
          .timeLimit(.minutes(2)))
    func restart() async throws {
        try await withHarness { harness in
            let shell = "\(harness.registry)/swiftlet-test/shell:v1"
            let sandbox = CRIRequests.sandboxConfig(name: "survivor", logDirectory: harness.root + "/pods/survivor")
            let (sandboxID, longRunning, shortLived, pid) = try await harness.withClients { runtime, images in
                _ = try await images.pullImage(CRIRequests.pull(shell))
                let sandboxID = try await runtime.runPodSandbox(CRIRequests.run(sandbox)).podSandboxID
                let ticker = CRIRequests.containerConfig(name: "ticker", image: shell, command: ["sh", "-c", "while true; do echo tick; sleep 0.2; done"])
                let longRunning = try await runtime.createContainer(CRIRequests.create(sandboxID, ticker, sandbox)).containerID
                _ = try await runtime.startContainer(CRIRequests.start(longRunning))
                let brief = CRIRequests.containerConfig(name: "brief", image: shell, command: ["sh", "-c", "sleep 1; exit 7"])
                let shortLived = try await runtime.createContainer(CRIRequests.create(sandboxID, brief, sandbox)).containerID
                _ = try await runtime.startContainer(CRIRequests.start(shortLived))
                var verbose = CRIRequests.status(longRunning)
                verbose.verbose = true
                let info = try await runtime.containerStatus(verbose).info["info"] ?? ""
                return (sandboxID, longRunning, shortLived, info)
            }
            #expect(pid.contains("\"pid\":"))

            harness.killRuntime()
            // While the daemon is down the short-lived container exits and the ticker keeps logging. A writable layer on
            // the persistent root whose container the state does not know (as after a reboot emptied the tmpfs) is removed
            // at start-up; the running containers' layers stay.
            let layers = harness.root + "/runtime/writable-layers/"
            #expect(FileManager.default.fileExists(atPath: layers + longRunning + "/upper"))
            let orphan = layers + String(repeating: "0", count: 64)
            try FileManager.default.createDirectory(atPath: orphan + "/upper/tmp", withIntermediateDirectories: true)
            try await Task.sleep(for: .seconds(2))
            // An address still reserved for a pod the runtime does not know (one from before a reboot): the restarted
            // daemon's CNI GC frees it and keeps the survivor's.
            let ipam = harness.root + "/ipam/runtime-test"
            let stale = ipam + "/" + harness.subnet.split(separator: ".").prefix(3).joined(separator: ".") + ".200"
            try "stale-from-before-a-reboot\r\neth0".write(toFile: stale, atomically: true, encoding: .utf8)
            try await harness.startRuntime()
            #expect(!FileManager.default.fileExists(atPath: orphan))
            #expect(FileManager.default.fileExists(atPath: layers + longRunning + "/upper"))
            #expect(FileManager.default.fileExists(atPath: layers + shortLived + "/upper"))
            #expect(!FileManager.default.fileExists(atPath: stale), "the stale reservation was not collected")
            let reservations = try FileManager.default.contentsOfDirectory(atPath: ipam).filter { $0.first?.isNumber == true }
            #expect(reservations.count == 1, "reservations after the restart: \(reservations)")
            #expect(reservations.allSatisfy { (try? String(contentsOfFile: ipam + "/" + $0, encoding: .utf8))?.hasPrefix(sandboxID) == true })

            try await harness.withClients { runtime, _ in
                let sandboxes = try await runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest()).items
                #expect(sandboxes.map(\.id) == [sandboxID])
                #expect(sandboxes.first?.state == .sandboxReady)
                var verbose = CRIRequests.status(longRunning)
                verbose.verbose = true
                let status = try await runtime.containerStatus(verbose)
                #expect(status.status.state == .containerRunning)
                #expect(status.info["info"] == pid, "the container was restarted or replaced")
                let exited = try await runtime.containerStatus(CRIRequests.status(shortLived)).status
                #expect(exited.state == .containerExited)
                #expect(exited.exitCode == 7)
                #expect(exited.reason == "Error")

                let log = try String(contentsOfFile: status.status.logPath, encoding: .utf8)
                let before = log.components(separatedBy: "stdout F tick").count
                try await Task.sleep(for: .seconds(1))
                let after = try String(contentsOfFile: status.status.logPath, encoding: .utf8).components(separatedBy: "stdout F tick").count
                #expect(after > before, "the monitor stopped logging across the restart")
                let echo = try await runtime.execSync(CRIRequests.exec(longRunning, ["echo", "still here"]))
                #expect(String(decoding: echo.stdout, as: UTF8.self) == "still here\n")
            }
        }
    }
}

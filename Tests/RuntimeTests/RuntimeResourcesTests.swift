import CRI
import Foundation
import GRPCCore
import TestSupport
import Testing

/// Pod-level sysctls and live resource updates of `swiftlet runtime`, read back from inside the containers
/// (real runc and cgroups).
@Suite("swiftlet runtime: sandbox sysctls and UpdateContainerResources", .serialized)
struct RuntimeResourcesTests {
    @Test("sandbox sysctls reach the pod's namespaces, a node-wide one is refused; UpdateContainerResources changes a running container's cgroup limits",
          .timeLimit(.minutes(2)))
    func sysctlsAndResourceUpdates() async throws {
        try await CRIHarness.with(onFailure: { Issue.record("runtime log:\n\($0)") }) { try await scenario($0) }
    }

    private func scenario(_ harness: CRIHarness) async throws {
        let shell = "\(harness.registry)/swiftlet-test/shell:v1"
        try await harness.withClients { runtime, images in
            _ = try await images.pullImage(CRIRequests.pull(shell))
            func read(_ id: String, _ command: String) async throws -> String {
                let response = try await runtime.execSync(CRIRequests.exec(id, ["sh", "-c", command]))
                return String(decoding: response.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }

            // Namespaced sysctls (net, ipc) as the kubelet passes securityContext.sysctls.
            var sandbox = CRIRequests.sandboxConfig(name: "tuned", logDirectory: harness.root + "/pods/tuned")
            sandbox.linux.sysctls = ["net.ipv4.ip_unprivileged_port_start": "80", "kernel.shm_rmid_forced": "1"]
            let sandboxID = try await runtime.runPodSandbox(CRIRequests.run(sandbox)).podSandboxID
            var config = CRIRequests.containerConfig(name: "app", image: shell, command: ["sleep", "3600"])
            config.linux.resources.memoryLimitInBytes = 64 << 20
            config.linux.resources.cpuShares = 256
            let id = try await runtime.createContainer(CRIRequests.create(sandboxID, config, sandbox)).containerID
            _ = try await runtime.startContainer(CRIRequests.start(id))
            #expect(try await read(id, "cat /proc/sys/net/ipv4/ip_unprivileged_port_start") == "80")
            #expect(try await read(id, "cat /proc/sys/kernel/shm_rmid_forced") == "1")

            // A sysctl that is not namespaced would change the node: refused, and nothing is left behind.
            var global = CRIRequests.sandboxConfig(name: "global", logDirectory: harness.root + "/pods/global")
            global.linux.sysctls = ["vm.swappiness": "10"]
            do {
                _ = try await runtime.runPodSandbox(CRIRequests.run(global))
                Issue.record("a sandbox with vm.swappiness started")
            } catch let error as RPCError {
                #expect(error.message.contains("vm.swappiness"), "\(error.message)")
            }
            let sandboxes = try await runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest()).items
            #expect(sandboxes.map(\.metadata.name) == ["tuned"])

            // Limits as the container started with, then raised while it runs (cgroup v1 here, v2 elsewhere).
            let memory = "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max"
            let quota = "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d' ' -f1 /sys/fs/cgroup/cpu.max"
            #expect(try await read(id, memory) == "\(64 << 20)")
            var update = Runtime_V1_UpdateContainerResourcesRequest()
            update.containerID = id
            update.linux.memoryLimitInBytes = 128 << 20
            update.linux.cpuPeriod = 100_000
            update.linux.cpuQuota = 50_000
            update.linux.cpuShares = 512
            _ = try await runtime.updateContainerResources(update)
            #expect(try await read(id, memory) == "\(128 << 20)")
            #expect(try await read(id, quota) == "50000")
            // Still the same process: the update did not restart it.
            #expect(try await runtime.containerStatus(CRIRequests.status(id)).status.state == .containerRunning)

            // Unknown and exited containers.
            update.containerID = "does-not-exist"
            do {
                _ = try await runtime.updateContainerResources(update)
                Issue.record("updating an unknown container succeeded")
            } catch let error as RPCError {
                #expect(error.code == .notFound, "\(error)")
            }
            _ = try await runtime.stopContainer(CRIRequests.stop(id, timeout: 1))
            update.containerID = id
            do {
                _ = try await runtime.updateContainerResources(update)
                Issue.record("updating an exited container succeeded")
            } catch let error as RPCError {
                #expect(error.code == .failedPrecondition, "\(error)")
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
import CRI
import Foundation
import GRPCCore
import LinuxSystem
import OCI
import TestSupport
import Testing

/// StopContainer signals a container's init through a pidfd, checked against the pid and start time runc recorded,
/// instead of running `runc kill`: against the real runc, a record naming a process that is not the container's
/// init (its pid recycled) must not get the signal.
@Suite("signals straight to a container's init through a pidfd", .serialized)
struct DirectSignalTests {
    @Test("a pid whose start time is not runc's record is not signalled; the real init is, and the stop is reported as a kill",
          .timeLimit(.minutes(2)))
    func recycledPidIsNotSignalled() async throws {
        try await CRIHarness.with(.swiftlet, onFailure: { Issue.record("runtime log:\n\($0)") }) { harness in
            let shell = "\(harness.registry)/swiftlet-test/shell:v1"
            let runc = Runc(root: harness.runcRoot)
            try await harness.withClients { runtime, images in
                _ = try await images.pullImage(CRIRequests.pull(shell))
                let sandbox = CRIRequests.sandboxConfig(name: "signals", logDirectory: harness.root + "/pods/signals")
                let sandboxID = try await runtime.runPodSandbox(CRIRequests.run(sandbox)).podSandboxID
                let config = CRIRequests.containerConfig(name: "sleeper", image: shell, command: ["sh", "-c", "exec sleep 3600"])
                let id = try await runtime.createContainer(CRIRequests.create(sandboxID, config, sandbox)).containerID
                _ = try await runtime.startContainer(CRIRequests.start(id))

                // runc's record, altered to name the init's pid with another start time: what runc's state says once
                // the init has exited and the kernel has handed its pid to a new process.
                let statePath = harness.runcRoot + "/" + id + "/state.json"
                let original = try Data(contentsOf: URL(fileURLWithPath: statePath))
                var state = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
                let pid = try #require(state["init_process_pid"] as? Int)
                let start = try #require(state["init_process_start"] as? UInt64)
                #expect(ProcessStat(pid: Int32(pid))?.startTime == start, "runc's record does not match the running init")
                state["init_process_start"] = start + 1
                try JSONSerialization.data(withJSONObject: state).write(to: URL(fileURLWithPath: statePath))
                #expect(runc.signalInit(id, signal: SIGKILL, all: true) == .exited)
                #expect(runc.signalInit(id, signal: SIGTERM) == .exited)
                try await Task.sleep(for: .milliseconds(200))
                #expect(ProcessStat(pid: Int32(pid))?.isLive == true, "the process behind a mismatched record was signalled")
                #expect(try await runtime.containerStatus(CRIRequests.status(id)).status.state == .containerRunning)

                // The true record: StopContainer (timeout 0) kills the init through its pidfd.
                try original.write(to: URL(fileURLWithPath: statePath))
                _ = try await runtime.stopContainer(CRIRequests.stop(id, timeout: 0))
                let status = try await runtime.containerStatus(CRIRequests.status(id)).status
                #expect(status.state == .containerExited && status.exitCode == 137, "\(status)")
                #expect(ProcessStat(pid: Int32(pid)) == nil || ProcessStat(pid: Int32(pid))?.startTime != start)
                #expect(runc.signalInit(id, signal: SIGKILL, all: true) == .exited)
                #expect(!harness.log.contains("signalling through runc"), "StopContainer ran runc kill")

                _ = try await runtime.removePodSandbox(CRIRequests.removeSandbox(sandboxID))
            }
        }
    }
}

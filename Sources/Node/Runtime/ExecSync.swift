import CRI
import Foundation
import GRPCCore
import LinuxSystem
import Logging
import OCI

extension ContainerRuntime {
    /// CRI `ExecSync`: runs a command in a running container (`runc exec` with the container's own user,
    /// environment and capabilities) and returns its output and exit code; after `timeout` seconds the
    /// command is killed and DeadlineExceeded returned, as the kubelet's exec probes expect.
    public func execSync(_ id: String, command: [String], timeout: Int64) async throws -> Runtime_V1_ExecSyncResponse {
        guard !command.isEmpty else { throw RuntimeError.invalidArgument("exec command must not be empty") }
        let files = try execFiles(id, command: command, terminal: false)
        defer { files.remove() }
        let output = try await runc.exec(files.containerID, processFile: files.process, pidFile: files.pid,
                                         timeout: timeout > 0 ? .seconds(timeout) : nil)
        if output.timedOut {
            throw RuntimeError(.deadlineExceeded, "command \(command) timed out after \(timeout)s")
        }
        var response = Runtime_V1_ExecSyncResponse()
        response.stdout = Data(output.stdout)
        response.stderr = Data(output.stderr)
        response.exitCode = output.status
        return response
    }
}

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
        let record = try container(id)
        guard !command.isEmpty else { throw RuntimeError.invalidArgument("exec command must not be empty") }
        guard state(of: record) == .containerRunning else {
            throw RuntimeError(.failedPrecondition, "container \"\(record.id)\" is not running")
        }
        let bundle = containerDirectory(record.id)
        let spec = try JSONDecoder().decode(RuntimeSpec.self, from: Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json")))
        var process = spec.process
        process.args = command
        process.terminal = false
        let execID = UUID().uuidString.prefix(8)
        let processFile = "\(bundle)/exec-\(execID).json", pidFile = "\(bundle)/exec-\(execID).pid"
        try JSONEncoder().encode(process).write(to: URL(fileURLWithPath: processFile))
        defer {
            try? FileManager.default.removeItem(atPath: processFile)
            try? FileManager.default.removeItem(atPath: pidFile)
        }
        let output = try await runc.exec(record.id, processFile: processFile, pidFile: pidFile,
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

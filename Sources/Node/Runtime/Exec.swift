import CRI
import Foundation
import GRPCCore
import OCI

extension ContainerRuntime {
    /// CRI `Exec`: checks the request and grants it a one-time URL on the streaming server, where the caller
    /// (the kubelet) opens a `v5.channel.k8s.io` / `v4.channel.k8s.io` WebSocket that runs the command.
    public func exec(_ request: Runtime_V1_ExecRequest) async throws -> Runtime_V1_ExecResponse {
        let record = try container(request.containerID)
        guard !request.cmd.isEmpty else { throw RuntimeError.invalidArgument("exec command must not be empty") }
        guard request.stdin || request.stdout || request.stderr else {
            throw RuntimeError.invalidArgument("one of stdin, stdout, or stderr must be set")
        }
        guard !(request.tty && request.stderr) else { throw RuntimeError.invalidArgument("tty and stderr cannot both be true") }
        guard state(of: record) == .containerRunning else {
            throw RuntimeError(.failedPrecondition, "container \"\(record.id)\" is not running")
        }
        var response = Runtime_V1_ExecResponse()
        response.url = try await streaming.grant(.exec(StreamingSessions.ExecRequest(
            containerID: record.id, command: request.cmd, tty: request.tty, stdin: request.stdin,
            stdout: request.stdout, stderr: request.stderr)))
        return response
    }

    /// Writes the `runc exec --process` file for `command` in a running container: the container's own
    /// process (user, environment, capabilities, working directory) with other arguments — and `TERM=xterm` with a
    /// terminal — and the pid file path next to it. The caller removes both with ``ExecFiles/remove()``.
    /// `consoleSize`: the terminal's size when runc creates it (a streaming exec's first resize).
    func execFiles(_ id: String, command: [String], terminal: Bool, consoleSize: RuntimeSpec.ConsoleSize? = nil) throws -> ExecFiles {
        let record = try container(id)
        guard state(of: record) == .containerRunning else {
            throw RuntimeError(.failedPrecondition, "container \"\(record.id)\" is not running")
        }
        let bundle = containerDirectory(record.id)
        let spec = try JSONDecoder().decode(RuntimeSpec.self, from: Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json")))
        var process = spec.process
        process.args = command
        process.terminal = terminal
        process.consoleSize = terminal ? consoleSize : nil
        if terminal {
            // As containerd's exec with a terminal: TERM=xterm, in place of the container's own.
            process.env = process.env.filter { !$0.hasPrefix("TERM=") } + ["TERM=xterm"]
        }
        let execID = UUID().uuidString.prefix(8).lowercased()
        let files = ExecFiles(containerID: record.id, process: "\(bundle)/exec-\(execID).json", pid: "\(bundle)/exec-\(execID).pid")
        try JSONEncoder().encode(process).write(to: URL(fileURLWithPath: files.process))
        return files
    }
}

/// The files of one `runc exec`: its process description and the pid file runc writes.
struct ExecFiles: Sendable {
    let containerID: String
    let process: String
    let pid: String

    /// The exec'd process, once runc has written the pid file.
    /// The exec's own ID (its files are `exec-<id>.json|pid` in the bundle), as containerd names an exec in errors.
    var execID: String { String(URL(fileURLWithPath: process).deletingPathExtension().lastPathComponent.dropFirst("exec-".count)) }

    var processID: pid_t? {
        (try? String(contentsOfFile: pid, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    func remove() {
        for path in [process, pid] { try? FileManager.default.removeItem(atPath: path) }
    }
}

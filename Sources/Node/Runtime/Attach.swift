import CRI
import Foundation
import GRPCCore

extension ContainerRuntime {
    /// CRI `Attach`: checks the request and grants it a one-time URL on the streaming server, where the caller
    /// (the kubelet) opens a remote-command stream joined to the running container's stdio through its monitor's
    /// attach socket.
    public func attach(_ request: Runtime_V1_AttachRequest) async throws -> Runtime_V1_AttachResponse {
        let record = try container(request.containerID)
        guard request.stdin || request.stdout || request.stderr else {
            throw RuntimeError.invalidArgument("one of stdin, stdout, and stderr must be set")
        }
        guard !(request.tty && request.stderr) else { throw RuntimeError.invalidArgument("tty and stderr cannot both be true") }
        guard state(of: record) == .containerRunning else {
            throw RuntimeError(.failedPrecondition, "container \"\(record.id)\" is not running")
        }
        let config = record.containerConfig
        var response = Runtime_V1_AttachResponse()
        response.url = try await streaming.grant(.attach(StreamingSessions.AttachRequest(
            containerID: record.id, bundle: containerDirectory(record.id), stdin: request.stdin, stdout: request.stdout,
            stderr: request.stderr, tty: config.tty, containerStdin: config.stdin, stdinOnce: config.stdinOnce)))
        return response
    }
}

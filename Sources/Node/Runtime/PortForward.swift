import CRI
import Foundation
import GRPCCore

extension ContainerRuntime {
    /// CRI `PortForward`: grants a one-time URL on the streaming server where the caller (the kubelet) opens a
    /// `SPDY/3.1+portforward.k8s.io` tunnel whose streams reach ports on the sandbox's loopback.
    public func portForward(_ request: Runtime_V1_PortForwardRequest) async throws -> Runtime_V1_PortForwardResponse {
        let record = try sandbox(request.podSandboxID)
        guard record.state == .ready else {
            throw RuntimeError(.failedPrecondition, "sandbox \"\(record.id)\" is not running")
        }
        if let bad = request.port.first(where: { !(1...65535).contains($0) }) {
            throw RuntimeError.invalidArgument("invalid port \(bad)")
        }
        var response = Runtime_V1_PortForwardResponse()
        response.url = try await streaming.grant(.portForward(StreamingSessions.PortForwardRequest(
            sandboxID: record.id, networkNamespace: record.networkNamespace, ports: request.port)))
        return response
    }
}

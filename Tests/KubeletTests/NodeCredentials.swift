import KubeAPI
import KubeClient
import Logging
import TestSupport

/// Runs `body` against a fresh API server with two clients: the admin's, and the node `n1`'s (`system:node:n1` in
/// `system:nodes`, what the agent runs as, so the Node authorizer and NodeRestriction apply); the Node `n1` exists.
/// Both clients and the server are shut down afterwards, whatever happens.
func withNodeCredentials(_ body: (_ server: ServerProcess, _ admin: KubeClient, _ node: KubeClient) async throws -> Void) async throws {
    let server = try await ServerProcess()
    defer { server.stop() }
    let admin = try KubeClient(configuration: server.clientConfiguration(), logger: Logger(label: "test"))
    let node = try KubeClient(configuration: server.clientConfiguration(user: "system:node:n1", groups: ["system:nodes"]), logger: Logger(label: "n1"))
    do {
        _ = try await admin.create(Node(metadata: ObjectMeta(name: "n1")))
        try await body(server, admin, node)
    } catch {
        try? await node.shutdown()
        try? await admin.shutdown()
        throw error
    }
    try? await node.shutdown()
    try? await admin.shutdown()
}

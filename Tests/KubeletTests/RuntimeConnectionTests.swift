import CRI
import Foundation
import Kubelet
import TestSupport
import Testing

/// The kubelet's CRI connection against containerd, whose grpc-go server resets unary streams: the HTTP/2
/// stack's rapid-reset guard drops the connection every ~200 calls, and the idempotent calls must ride it out.
@Suite("kubelet runtime connection", .serialized)
struct RuntimeConnectionTests {
    @Test("2,000 status and list calls on one connection to containerd: none fails", .timeLimit(.minutes(2)))
    func manyCallsAgainstContainerd() async throws {
        let harness = try await CRIHarness(.containerd)
        let connection = try RuntimeConnection(socketPath: harness.socket)
        let running = Task { try await connection.run() }
        var failures: [String] = []
        for call in 0..<1000 {
            do {
                _ = try await connection.runtime.version(Runtime_V1_VersionRequest())
                _ = try await connection.runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest())
            } catch {
                failures.append("call \(call): \(error)")
            }
        }
        running.cancel()
        await harness.stop()
        #expect(failures.isEmpty, "\(failures.count) failed calls, first: \(failures.prefix(3))")
    }
}

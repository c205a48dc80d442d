import CRI
import Foundation
import Kubelet
import TestSupport
import Synchronization
import Testing

/// The kubelet's CRI connection against containerd, whose grpc-go server resets unary streams: the HTTP/2
/// stack's rapid-reset guard drops the connection every ~200 calls, the idempotent calls must ride it out, and the
/// calls that are not sent again must not be on that connection.
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

    @Test("sandboxes made on the lifecycle connection while reads reset the other one: none is cut short", .timeLimit(.minutes(3)))
    func sandboxesSurviveTheReadsResets() async throws {
        let harness = try await CRIHarness(.containerd)
        let connection = try RuntimeConnection(socketPath: harness.socket)
        let running = Task { try await connection.run() }
        // 3,200 reads as a burst's pod syncs make them, 8 at a time: containerd resets their streams, and every ~200
        // resets the client's HTTP/2 stack closes the reads' connection (and every call in flight on it). Sandboxes
        // are made one after the other until the reads are done.
        let readsDone = Flag()
        let reads = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        for _ in 0..<400 { _ = try? await connection.runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest()) }
                    }
                }
            }
            readsDone.set()
        }
        var failures: [String] = []
        var made: [String] = []
        var index = 0
        repeat {
            let config = CRIRequests.sandboxConfig(name: "lifecycle-\(index)", logDirectory: harness.root + "/pods/lifecycle-\(index)")
            do {
                made.append(try await connection.lifecycle.runPodSandbox(CRIRequests.run(config)).podSandboxID)
            } catch {
                failures.append("sandbox \(index): \(error)")
            }
            index += 1
        } while !readsDone.isSet
        await reads.value
        for id in made {
            _ = try? await connection.runtime.stopPodSandbox(CRIRequests.stopSandbox(id))
            _ = try? await connection.runtime.removePodSandbox(CRIRequests.removeSandbox(id))
        }
        running.cancel()
        await harness.stop()
        #expect(failures.isEmpty, "\(failures.count) of \(index) sandboxes failed, first: \(failures.prefix(2))")
    }
}

/// Set once, read from any task.
private final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

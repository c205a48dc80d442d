import Foundation
import GRPCCore
import LinuxSystem
import Logging
import OCI

extension ContainerRuntime {
    /// CRI `StartContainer`: lets the created container's process run (what `runc start` does, without its process:
    /// ``Runc/start(_:initPID:)``).
    public func startContainer(_ id: String) async throws {
        var record = try container(id)
        guard record.startedAt == nil, exit(ofBundle: containerDirectory(record.id)) == nil else {
            throw RuntimeError(.failedPrecondition, "container \"\(record.id)\" is not in created state")
        }
        do {
            try await runc.start(record.id, initPID: pid(ofBundle: containerDirectory(record.id)))
        } catch {
            throw RuntimeError(.unknown, "failed to start container \"\(record.id)\": \(error)")
        }
        record.startedAt = Self.now()
        containers[record.id] = record
        try persist(record)
    }
}

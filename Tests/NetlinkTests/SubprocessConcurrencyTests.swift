import Foundation
import LinuxSystem
import Testing

/// Blocking waits for children run on threads of their own: many commands at once all run side by side, however
/// few CPUs (Dispatch's global pool on Linux is as wide as the CPUs, and the runtime starts thirty pods' runc calls
/// at once).
@Suite("Subprocess concurrency")
struct SubprocessConcurrencyTests {
    @Test("eight commands that each wait until all eight have started finish together")
    func manyAtOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("subprocess-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let count = 8
        // Each marks its start, then waits (up to 60 s) until every one has: possible only if all run at once.
        let script = "touch \"$0/$1\"; i=0; while [ $(ls \"$0\" | wc -l) -lt \(count) ]; do i=$((i+1)); [ $i -gt 600 ] && exit 1; sleep 0.1; done"
        let statuses = try await withThrowingTaskGroup(of: Int32.self) { group in
            for index in 0..<count {
                group.addTask { try await Subprocess.output("/bin/sh", arguments: ["-c", script, directory, "\(index)"]).status }
            }
            return try await group.reduce(into: [Int32]()) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 0, count: count))
    }
}

import Foundation
import LinuxSystem
import Testing

@Suite("Mount table")
struct MountTableTests {
    /// 80 tmpfs mounts (one with a space in its path) below a fresh directory push the mount table past the 4 KiB a
    /// single read of /proc/self/mountinfo returns: every one of them is listed, the directory itself and its
    /// siblings are not, and nothing is left mounted afterwards.
    @Test func listsEveryMountBelowADirectoryOfALongTable() throws {
        let top = NSTemporaryDirectory() + "swiftlet-mounts-\(UUID().uuidString.prefix(8))"
        let sibling = top + "-sibling"
        let targets = (1...80).map { "\(top)/m \($0)" }
        for path in targets + [sibling] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        defer {
            for path in targets.reversed() { try? Mount.unmount(path, detach: true) }
            try? Mount.unmount(sibling, detach: true)
            try? FileManager.default.removeItem(atPath: top)
            try? FileManager.default.removeItem(atPath: sibling)
        }
        for path in targets + [sibling] { try Mount.tmpfs(at: path, size: 4096) }

        #expect(try Mount.points(below: top) == targets)
        #expect(try Mount.points(below: top + "/") == targets)
        for path in targets { try Mount.unmount(path) }
        #expect(try Mount.points(below: top).isEmpty)
    }
}

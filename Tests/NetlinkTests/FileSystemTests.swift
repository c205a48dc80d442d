import Foundation
import LinuxSystem
import Testing

/// LinuxSystem's Foundation-free file calls, which host-local's store and the monitor use.
@Suite struct FileSystemTests {
    @Test func makeDirectoriesCreatesParentsAndRefusesAFileInTheWay() throws {
        let root = NSTemporaryDirectory() + "swiftlet-fs-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let deep = root + "/a/b/c"
        try FileSystem.makeDirectories(deep, mode: 0o750)
        try FileSystem.makeDirectories(deep, mode: 0o750)
        let attributes = try FileManager.default.attributesOfItem(atPath: deep)
        #expect(attributes[.type] as? FileAttributeType == .typeDirectory)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o777 & ~0o022 } == 0o750 & ~0o022)
        #expect(FileSystem.entries(of: root + "/a") == ["b"])
        #expect(FileSystem.entries(of: root + "/missing") == [])

        FileManager.default.createFile(atPath: root + "/file", contents: Data("x\ny".utf8))
        #expect(try FileSystem.contents(of: root + "/file") == Array("x\ny".utf8))
        do {
            try FileSystem.makeDirectories(root + "/file/sub", mode: 0o755)
            Issue.record("made a directory below a file")
        } catch {
            #expect(error.errno == ENOTDIR, "\(error)")
        }
        #expect(throws: SystemError.self) { try FileSystem.makeDirectories(root + "/file", mode: 0o755) }
        #expect(throws: SystemError.self) { try FileSystem.contents(of: root + "/missing") }
    }

    @Test func createEmptyFileHasExactlyItsModeAndNeverReplacesOne() throws {
        let root = NSTemporaryDirectory() + "swiftlet-fs-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileSystem.makeDirectories(root, mode: 0o755)
        // The process's umask (022 here) would leave 0644 without the explicit mode.
        try FileSystem.createEmptyFile(root + "/message", mode: 0o666)
        let attributes = try FileManager.default.attributesOfItem(atPath: root + "/message")
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o666)
        #expect(attributes[.size] as? Int == 0)
        do {
            try FileSystem.createEmptyFile(root + "/message", mode: 0o666)
            Issue.record("created a file that existed")
        } catch let error as SystemError {
            #expect(error.errno == EEXIST, "\(error)")
        }
    }
}

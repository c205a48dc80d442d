import Foundation
import Logging
import TestSupport
@testable import Images
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway directory removed by `remove()` (call it in a `defer`).
struct TemporaryDirectory {
    let path: String

    init(_ name: String = "images") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-\(name)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs a Python script (tarfile, gzip) with `arguments` to build a fixture; fails the test on error.
func python(_ script: String, _ arguments: [String]) async throws {
    let result = try await runCommand("/usr/bin/python3", ["-c", script] + arguments)
    guard result.status == 0 else { throw TestSupportError("python fixture failed: \(result)") }
}

func shell(_ command: String) async throws {
    let result = try await runCommand("/bin/sh", ["-c", command])
    guard result.status == 0 else { throw TestSupportError("\(command) failed: \(result)") }
}

func lstatOf(_ path: String) -> stat? {
    var info = stat()
    return lstat(path, &info) == 0 ? info : nil
}

func xattr(_ path: String, _ name: String) -> String? {
    var buffer = [UInt8](repeating: 0, count: 256)
    let n = ExtendedAttribute.lget(path, name, &buffer, buffer.count)
    return n >= 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
}

func fileText(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

let testLogger: Logger = {
    var logger = Logger(label: "swiftlet.images.test")
    logger.logLevel = ProcessInfo.processInfo.environment["SWIFTLET_TEST_LOG"] != nil ? .debug : .critical
    return logger
}()

#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import OCI
import Testing

/// StartContainer's way of starting a created container: reading the byte runc's init writes into `exec.fifo`,
/// as `runc start` does (the runtime's lifecycle tests start real containers this way; these are the edges).
@Suite("runc's exec fifo read as runc start reads it")
struct ExecFifoTests {
    /// A fresh directory holding a fifo named `exec.fifo`.
    private func fifo() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("execfifo-" + UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/exec.fifo"
        #expect(mkfifo(path, 0o622) == 0)
        return path
    }

    @Test("the byte of a waiting init starts it and the fifo is removed, even when init opens its end late")
    func startsAWaitingInit() throws {
        let path = try fifo()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        // Init opens its end after the reader is there (blocking until then) and writes one byte, like runc's.
        let writer = Thread {
            usleep(150_000)
            let descriptor = open(path, O_WRONLY | O_CLOEXEC)
            var byte: UInt8 = 0x30
            _ = write(descriptor, &byte, 1)
            close(descriptor)
        }
        writer.start()
        #expect(Runc.readExecFifo(path, initPID: getpid()) == .started)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("an init that died before it was started is an error, not a wait; no fifo means runc start decides")
    func deadInitAndMissingFifo() throws {
        let path = try fifo()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        #expect(Runc.readExecFifo(path, initPID: gone.processIdentifier) == .failed("container process is already dead"))
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(Runc.readExecFifo(path + ".missing", initPID: nil) == .noFifo)
    }
}

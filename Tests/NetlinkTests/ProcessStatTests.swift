import Foundation
import Glibc
import LinuxSystem
import Testing

@Suite("Process stat")
struct ProcessStatTests {
    @Test func ownProcessIsLiveWithAStableStartTimeAndAZombieIsNot() throws {
        let own = try #require(ProcessStat(pid: getpid()))
        #expect(own.isLive && own.startTime > 0)
        #expect(ProcessStat(pid: getpid())?.startTime == own.startTime)

        // A child that exited and is not yet waited for is a zombie; once reaped, its pid reads as gone.
        var child: pid_t = 0
        let arguments: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { arguments.forEach { free($0) } }
        #expect(posix_spawn(&child, "/bin/true", nil, nil, arguments, environ) == 0)
        let deadline = ContinuousClock.now + .seconds(10)
        while ProcessStat(pid: child)?.isLive == true, ContinuousClock.now < deadline { usleep(10_000) }
        #expect(ProcessStat(pid: child)?.state == "Z")
        var status: Int32 = 0
        #expect(waitpid(child, &status, 0) == child)
        #expect(ProcessStat(pid: child) == nil)
        #expect(ProcessStat(pid: 0) == nil)
    }
}

@Suite("Signals through a pidfd")
struct ProcessSignalTests {
    @Test("only the process with the recorded start time is signalled; an exited one is gone")
    func signalsOnlyTheRecordedProcess() throws {
        var child: pid_t = 0
        let arguments: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("60"), nil]
        defer { arguments.forEach { free($0) } }
        try #require(posix_spawn(&child, "/bin/sleep", nil, nil, arguments, environ) == 0)
        let start = try #require(ProcessStat(pid: child)?.startTime)

        // The same pid recorded with another start time (as when the pid was recycled): nothing is sent.
        #expect(ProcessSignal.send(SIGKILL, to: child, startedAt: start + 1) == .gone)
        #expect(ProcessSignal.send(SIGKILL, to: child, startedAt: start - 1) == .gone)
        var status: Int32 = 0
        usleep(100_000)
        #expect(waitpid(child, &status, WNOHANG) == 0, "the child was signalled")

        // SIGKILL: the test runner's ignored signals (SIGTERM among them) stay ignored in a spawned child.
        #expect(ProcessSignal.send(SIGKILL, to: child, startedAt: start) == .signalled)
        #expect(waitpid(child, &status, 0) == child)
        #expect(status & 0x7f == SIGKILL, "wait status \(status)")
        // Reaped: its pid names nothing (or, after a wrap, someone else with another start time).
        #expect(ProcessSignal.send(SIGKILL, to: child, startedAt: start) == .gone)
        #expect(ProcessSignal.send(SIGKILL, to: 0, startedAt: 0) == .gone)
    }
}

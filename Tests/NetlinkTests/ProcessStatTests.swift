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

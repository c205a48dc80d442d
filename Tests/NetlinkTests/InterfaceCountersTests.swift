import Foundation
import Glibc
import LinuxSystem
import Testing

@Suite("Interface counters")
struct InterfaceCountersTests {
    @Test("/proc/net/dev's sixteen columns map to cAdvisor's eight counters")
    func parsesTheKernelsTable() {
        let text = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:     140       2    0    0    0     0          0         0      140       2    0    0    0     0       0          0
              eth0: 1234567    8901    3    4    0     0          0         5   765432    1098    6    7    0     0       0          0
            """
        let counters = InterfaceCounters.parse(text)
        #expect(counters.map(\.name) == ["lo", "eth0"])
        #expect(counters.last == InterfaceCounters(name: "eth0", rxBytes: 1_234_567, rxPackets: 8901, rxErrors: 3, rxDropped: 4,
                                                   txBytes: 765_432, txPackets: 1098, txErrors: 6, txDropped: 7))
    }

    @Test("this process's namespace read from /proc, lo left out as cAdvisor leaves it out; a cgroup's first process")
    func readsAProcessNamespaceAndACgroupsProcess() throws {
        let own = try #require(InterfaceCounters.read(pid: getpid()))
        #expect(!own.contains { $0.name == "lo" })
        #expect(InterfaceCounters.read(pid: -1) == nil)
        // Our own cgroup (v2: the "0::" line) holds at least this process.
        let cgroup = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
        if Cgroupfs.isUnified, let line = cgroup.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) {
            let path = String(line.dropFirst(3))
            let first = try #require(InterfaceCounters.firstProcess(inCgroup: path == "/" ? "" : path))
            #expect(first > 0)
        }
        #expect(InterfaceCounters.firstProcess(inCgroup: "/no-such-cgroup-\(getpid())") == nil)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// One network interface's cumulative counters as the kernel gives them in `/proc/<pid>/net/dev` (for the network
/// namespace that process is in): what cAdvisor reads for a container's network and the kubelet reports.
public struct InterfaceCounters: Sendable, Equatable {
    public var name: String
    public var rxBytes: UInt64, rxPackets: UInt64, rxErrors: UInt64, rxDropped: UInt64
    public var txBytes: UInt64, txPackets: UInt64, txErrors: UInt64, txDropped: UInt64

    public init(name: String, rxBytes: UInt64 = 0, rxPackets: UInt64 = 0, rxErrors: UInt64 = 0, rxDropped: UInt64 = 0,
                txBytes: UInt64 = 0, txPackets: UInt64 = 0, txErrors: UInt64 = 0, txDropped: UInt64 = 0) {
        self.name = name
        (self.rxBytes, self.rxPackets, self.rxErrors, self.rxDropped) = (rxBytes, rxPackets, rxErrors, rxDropped)
        (self.txBytes, self.txPackets, self.txErrors, self.txDropped) = (txBytes, txPackets, txErrors, txDropped)
    }

    /// cAdvisor leaves out interfaces whose name starts with these (case-insensitive): loopback, the host ends of
    /// veth pairs, Docker's and nerdctl's bridges.
    public static let ignoredPrefixes = ["lo", "veth", "docker", "nerdctl"]

    /// Parses `/proc/net/dev`: two header lines, then `name: ` and sixteen numbers — bytes, packets, errs, drop,
    /// fifo, frame, compressed, multicast received; bytes, packets, errs, drop, fifo, colls, carrier, compressed sent.
    /// Lines that do not have that shape are skipped.
    public static func parse(_ text: String) -> [InterfaceCounters] {
        text.split(separator: "\n").dropFirst(2).compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let fields = line[line.index(after: colon)...].split(separator: " ").compactMap { UInt64($0) }
            guard fields.count >= 16 else { return nil }
            return InterfaceCounters(name: String(line[..<colon].drop { $0 == " " }),
                                     rxBytes: fields[0], rxPackets: fields[1], rxErrors: fields[2], rxDropped: fields[3],
                                     txBytes: fields[8], txPackets: fields[9], txErrors: fields[10], txDropped: fields[11])
        }
    }

    /// The interfaces of process `pid`'s network namespace, in the kernel's order, without those cAdvisor ignores;
    /// nil when the process is gone or the file cannot be read.
    public static func read(pid: Int32) -> [InterfaceCounters]? {
        guard let data = try? FileSystem.contents(of: "/proc/\(pid)/net/dev") else { return nil }
        return parse(String(decoding: data, as: UTF8.self)).filter { counters in
            !ignoredPrefixes.contains { counters.name.lowercased().hasPrefix($0) }
        }
    }

    /// The first process in cgroup `cgroupsPath` (as runc's `cgroupsPath`, below the hierarchy's mount; v2, or v1's
    /// memory controller), nil when it has none.
    public static func firstProcess(inCgroup cgroupsPath: String) -> Int32? {
        guard let data = try? FileSystem.contents(of: Cgroupfs.memoryDirectory(cgroupsPath) + "/cgroup.procs") else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").lazy.compactMap { Int32($0) }.first
    }
}

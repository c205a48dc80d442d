#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KubeAPI

/// What the node reports about the machine it runs on: capacity (cpu, memory, ephemeral storage, pods),
/// addresses and system info, read from the kernel as cAdvisor does for the upstream kubelet.
struct MachineInfo: Sendable {
    var cpus: Int
    var memoryBytes: Int64
    var ephemeralStorageBytes: Int64
    var kernelVersion: String
    var osImage: String
    var machineID: String
    var bootID: String
    var architecture: String
    var hostname: String

    static func collect(rootDirectory: String) -> MachineInfo {
        func read(_ path: String) -> String {
            ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let totalKiB = meminfoKiB("MemTotal") ?? 0
        var filesystem = statvfs()
        try? FileManager.default.createDirectory(atPath: rootDirectory, withIntermediateDirectories: true)
        let storage = statvfs(rootDirectory, &filesystem) == 0 ? Int64(filesystem.f_blocks) * Int64(filesystem.f_frsize) : 0
        var names = utsname()
        uname(&names)
        let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let machine = withUnsafeBytes(of: &names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let osRelease = read("/etc/os-release").split(separator: "\n")
        let pretty = osRelease.first { $0.hasPrefix("PRETTY_NAME=") }
            .map { String($0.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) } ?? "Linux"
        return MachineInfo(
            cpus: ProcessInfo.processInfo.activeProcessorCount, memoryBytes: totalKiB * 1024, ephemeralStorageBytes: storage,
            kernelVersion: release, osImage: pretty, machineID: read("/etc/machine-id"), bootID: read("/proc/sys/kernel/random/boot_id"),
            architecture: machine == "x86_64" ? "amd64" : machine == "aarch64" ? "arm64" : machine,
            hostname: ProcessInfo.processInfo.hostName)
    }

    /// A `/proc/meminfo` field in KiB (`MemTotal`, `MemAvailable`); nil when the kernel does not report it.
    static func meminfoKiB(_ field: String) -> Int64? {
        let text = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").first { $0.hasPrefix(field + ":") }
            .flatMap { Int64($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
    }

    /// Capacity as the kubelet reports it (`pods` from `--max-pods`).
    func capacity(maxPods: Int) -> [String: Quantity] {
        [
            "cpu": Quantity(stringLiteral: String(cpus)),
            "memory": Quantity(stringLiteral: "\(memoryBytes / 1024)Ki"),
            "ephemeral-storage": Quantity(stringLiteral: "\(ephemeralStorageBytes / 1024)Ki"),
            "pods": Quantity(stringLiteral: String(maxPods)),
        ]
    }

    /// The first global IPv4 address of an interface that is up (the node's InternalIP when none is given).
    static func primaryIPv4() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var candidate: String?
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == UInt16(AF_INET),
                  entry.pointee.ifa_flags & UInt32(IFF_UP) != 0, entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK) == 0 else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            guard getnameinfo(address, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            candidate = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            break
        }
        return candidate
    }
}

import CRI
import Foundation
import KubeAPI
import LinuxSystem
import Synchronization

/// The kubelet's Summary API (`/stats/summary`, stats/v1alpha1) — what metrics-server and `kubectl get --raw
/// /api/v1/nodes/N/proxy/stats/summary` read: the node's CPU, memory, filesystem and process counts from the
/// kernel, and per pod its running containers' CPU, memory and writable layer from CRI `ListContainerStats` (so it
/// works against containerd too). `usageNanoCores` is the rate since the previous summary, as upstream's
/// cached rate; it is absent on the first one.
struct StatsSummary: Codable, Sendable {
    var node: NodeStats
    var pods: [PodStats]

    struct NodeStats: Codable, Sendable {
        var nodeName: String
        var startTime: String?
        var cpu: CPUStats?
        var memory: MemoryStats?
        var network: NetworkStats?
        var fs: FsStats?
        var rlimit: RlimitStats?
    }

    struct PodReference: Codable, Sendable {
        var name: String
        var namespace: String
        var uid: String
    }

    struct PodStats: Codable, Sendable {
        var podRef: PodReference
        var startTime: String?
        var containers: [ContainerStats]
        var cpu: CPUStats?
        var memory: MemoryStats?
        var network: NetworkStats?
        var ephemeralStorage: FsStats?
        var processStats: ProcessStats?

        enum CodingKeys: String, CodingKey {
            case podRef, startTime, containers, cpu, memory, network
            case ephemeralStorage = "ephemeral-storage", processStats = "process_stats"
        }
    }

    struct ContainerStats: Codable, Sendable {
        var name: String
        var startTime: String?
        var cpu: CPUStats?
        var memory: MemoryStats?
        var rootfs: FsStats?
    }

    struct CPUStats: Codable, Sendable {
        var time: String
        var usageNanoCores: UInt64?
        var usageCoreNanoSeconds: UInt64?
    }

    struct MemoryStats: Codable, Sendable {
        var time: String
        var availableBytes: UInt64?
        var usageBytes: UInt64?
        var workingSetBytes: UInt64?
        var rssBytes: UInt64?
    }

    /// A network namespace's interfaces, and inline the default one's (`eth0`; its `name` empty when there is none),
    /// as upstream's `NetworkStats` with its embedded `InterfaceStats`.
    struct NetworkStats: Codable, Sendable {
        var time: String
        var name: String
        var rxBytes: UInt64?
        var rxErrors: UInt64?
        var txBytes: UInt64?
        var txErrors: UInt64?
        var interfaces: [InterfaceStats]?

        /// Upstream's `network.DefaultInterfaceName`.
        static let defaultInterface = "eth0"

        init?(time: String, _ counters: [InterfaceCounters]?) {
            guard let counters else { return nil }
            let interfaces = counters.map { InterfaceStats(name: $0.name, rxBytes: $0.rxBytes, rxErrors: $0.rxErrors, txBytes: $0.txBytes, txErrors: $0.txErrors) }
            let primary = interfaces.first { $0.name == Self.defaultInterface }
            self.time = time
            name = primary?.name ?? ""
            (rxBytes, rxErrors, txBytes, txErrors) = (primary?.rxBytes, primary?.rxErrors, primary?.txBytes, primary?.txErrors)
            self.interfaces = interfaces.isEmpty ? nil : interfaces
        }
    }

    struct InterfaceStats: Codable, Sendable {
        var name: String
        var rxBytes: UInt64?
        var rxErrors: UInt64?
        var txBytes: UInt64?
        var txErrors: UInt64?
    }

    struct FsStats: Codable, Sendable {
        var time: String
        var availableBytes: UInt64?
        var capacityBytes: UInt64?
        var usedBytes: UInt64?
        var inodesFree: UInt64?
        var inodes: UInt64?
        var inodesUsed: UInt64?
    }

    struct RlimitStats: Codable, Sendable {
        var time: String
        var maxpid: Int64?
        var curproc: Int64?
    }

    struct ProcessStats: Codable, Sendable {
        var processCount: UInt64?
        enum CodingKeys: String, CodingKey { case processCount = "process_count" }
    }
}

/// Builds `StatsSummary` on request, keeping the previous CPU counters to derive `usageNanoCores`.
final class StatsSummaryProvider: Sendable {
    let nodeName: String
    let rootDirectory: String
    let connection: RuntimeConnection
    /// `--cgroup-root`: pod cgroups live below `<cgroupRoot>/kubepods`.
    let cgroupRoot: String
    /// Cumulative CPU nanoseconds and when they were read, by "node" or container ID.
    private let cpuSamples = Mutex<[String: (nanoseconds: UInt64, at: ContinuousClock.Instant)]>([:])

    init(nodeName: String, rootDirectory: String, connection: RuntimeConnection, cgroupRoot: String) {
        self.nodeName = nodeName
        self.rootDirectory = rootDirectory
        self.connection = connection
        self.cgroupRoot = cgroupRoot
    }

    /// The running containers, their CRI stats by container ID, and `pods` by UID: what every stats endpoint starts from.
    func runningContainers(pods: [Pod]) async throws -> (containers: [Runtime_V1_Container], stats: [String: Runtime_V1_ContainerStats],
                                                        pods: [String: Pod]) {
        var running = Runtime_V1_ListContainersRequest()
        running.filter.state.state = .containerRunning
        let containers = try await connection.runtime.listContainers(running, options: RuntimeConnection.options(.seconds(10))).containers
        let stats = try await connection.runtime.listContainerStats(Runtime_V1_ListContainerStatsRequest(),
                                                                    options: RuntimeConnection.options(.seconds(10))).stats
        return (containers, Dictionary(stats.map { ($0.attributes.id, $0) }, uniquingKeysWith: { first, _ in first }),
                Dictionary(pods.compactMap { pod in pod.metadata.uid.map { ($0, pod) } }, uniquingKeysWith: { first, _ in first }))
    }

    func summary(pods: [Pod]) async throws -> StatsSummary {
        let now = RFC3339.format(Date(), fractionalDigits: 0)
        let (containers, statsByID, podsByUID) = try await runningContainers(pods: pods)
        var podStats: [String: StatsSummary.PodStats] = [:]
        for container in containers {
            let labels = container.labels
            guard let uid = labels[PodLabels.podUID], let name = labels[PodLabels.podName],
                  let namespace = labels[PodLabels.podNamespace] else { continue }
            var pod = podStats[uid] ?? StatsSummary.PodStats(
                podRef: .init(name: name, namespace: namespace, uid: uid),
                startTime: podsByUID[uid]?.status?.startTime?.description, containers: [])
            if pod.network == nil, let object = podsByUID[uid] {
                // The pod's network namespace, through one of its containers' processes (they all share it).
                let cgroup = QOSClass(object).cgroupParent(podUID: uid, cgroupRoot: cgroupRoot) + "/" + container.id
                pod.network = StatsSummary.NetworkStats(time: now, InterfaceCounters.firstProcess(inCgroup: cgroup).flatMap(InterfaceCounters.read(pid:)))
            }
            let created = Date(timeIntervalSince1970: Double(container.createdAt) / 1e9)
            var entry = StatsSummary.ContainerStats(name: container.metadata.name, startTime: RFC3339.format(created, fractionalDigits: 0))
            if let stat = statsByID[container.id] {
                if stat.hasCpu {
                    let total = stat.cpu.usageCoreNanoSeconds.value
                    entry.cpu = .init(time: now, usageNanoCores: rate(container.id, total), usageCoreNanoSeconds: total)
                }
                if stat.hasMemory {
                    entry.memory = .init(time: now, workingSetBytes: stat.memory.workingSetBytes.value,
                                         rssBytes: stat.memory.hasRssBytes ? stat.memory.rssBytes.value : nil)
                }
                if stat.hasWritableLayer {
                    entry.rootfs = .init(time: now, usedBytes: stat.writableLayer.usedBytes.value,
                                         inodesUsed: stat.writableLayer.inodesUsed.value)
                }
            }
            pod.containers.append(entry)
            podStats[uid] = pod
        }
        let result = podStats.values.map { pod -> StatsSummary.PodStats in
            var pod = pod
            pod.containers.sort { $0.name < $1.name }
            let cpus = pod.containers.compactMap(\.cpu), memories = pod.containers.compactMap(\.memory)
            if !cpus.isEmpty {
                pod.cpu = .init(time: now, usageNanoCores: cpus.allSatisfy { $0.usageNanoCores != nil } ? cpus.compactMap(\.usageNanoCores).reduce(0, +) : nil,
                                usageCoreNanoSeconds: cpus.compactMap(\.usageCoreNanoSeconds).reduce(0, +))
            }
            if !memories.isEmpty {
                pod.memory = .init(time: now, workingSetBytes: memories.compactMap(\.workingSetBytes).reduce(0, +),
                                   rssBytes: memories.compactMap(\.rssBytes).reduce(0, +))
            }
            let rootfs = pod.containers.compactMap(\.rootfs)
            pod.ephemeralStorage = .init(time: now, usedBytes: rootfs.compactMap(\.usedBytes).reduce(0, +),
                                         inodesUsed: rootfs.compactMap(\.inodesUsed).reduce(0, +))
            return pod
        }.sorted { ($0.podRef.namespace, $0.podRef.name) < ($1.podRef.namespace, $1.podRef.name) }
        return StatsSummary(node: nodeStats(now: now), pods: result)
    }

    /// Nanocores since the previous sample of `key`, recording this one.
    private func rate(_ key: String, _ total: UInt64) -> UInt64? {
        let now = ContinuousClock.now
        return cpuSamples.withLock { samples in
            defer { samples[key] = (total, now) }
            guard let previous = samples[key], total >= previous.nanoseconds else { return nil }
            let elapsed = now - previous.at
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            guard seconds > 0 else { return nil }
            return UInt64(Double(total - previous.nanoseconds) / seconds)
        }
    }

    func nodeStats(now: String) -> StatsSummary.NodeStats {
        func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        var node = StatsSummary.NodeStats(nodeName: nodeName)
        // Boot time from /proc/stat's btime; CPU time from its first line (USER_HZ ticks of 10 ms).
        let stat = read("/proc/stat").split(separator: "\n")
        if let btime = stat.first(where: { $0.hasPrefix("btime ") }).flatMap({ TimeInterval($0.dropFirst(6)) }) {
            node.startTime = RFC3339.format(Date(timeIntervalSince1970: btime), fractionalDigits: 0)
        }
        if let cpuLine = stat.first(where: { $0.hasPrefix("cpu ") }) {
            let ticks = cpuLine.split(separator: " ").dropFirst().compactMap { UInt64($0) }
            if ticks.count >= 5 {
                // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
                let busy = ticks.enumerated().filter { $0.offset != 3 && $0.offset != 4 && $0.offset < 8 }.map(\.element).reduce(0, +)
                let total = busy * 10_000_000
                node.cpu = .init(time: now, usageNanoCores: rate("node", total), usageCoreNanoSeconds: total)
            }
        }
        var meminfo: [String: UInt64] = [:]
        for line in read("/proc/meminfo").split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kib = UInt64(fields[1]) { meminfo[String(fields[0].dropLast())] = kib * 1024 }
        }
        if let total = meminfo["MemTotal"], let free = meminfo["MemFree"] {
            let usage = total - min(free, total)
            let inactiveFile = meminfo["Inactive(file)"] ?? 0
            node.memory = .init(time: now, availableBytes: meminfo["MemAvailable"], usageBytes: usage,
                                workingSetBytes: usage - min(inactiveFile, usage),
                                rssBytes: meminfo["AnonPages"])
        }
        var filesystem = statvfs()
        if statvfs(rootDirectory, &filesystem) == 0 {
            let block = UInt64(filesystem.f_frsize)
            let capacity = UInt64(filesystem.f_blocks) * block
            node.fs = .init(time: now, availableBytes: UInt64(filesystem.f_bavail) * block, capacityBytes: capacity,
                            usedBytes: capacity - UInt64(filesystem.f_bfree) * block, inodesFree: UInt64(filesystem.f_ffree),
                            inodes: UInt64(filesystem.f_files), inodesUsed: UInt64(filesystem.f_files) - UInt64(filesystem.f_ffree))
        }
        let processes = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { Int($0) != nil }.count
        node.network = StatsSummary.NetworkStats(time: now, InterfaceCounters.read(pid: 1))
        node.rlimit = .init(time: now, maxpid: Int64(read("/proc/sys/kernel/pid_max").trimmingCharacters(in: .whitespacesAndNewlines)),
                            curproc: Int64(processes))
        return node
    }
}

extension StatsSummary {
    /// The kubelet's `/metrics/resource` (what metrics-server scrapes for `kubectl top`): CPU seconds and working set
    /// of the node, each pod and each container, and the containers' start times, in the Prometheus text format with
    /// upstream's names and sample timestamps (milliseconds).
    func resourceMetrics() -> String {
        func milliseconds(_ time: String?) -> String {
            time.flatMap(RFC3339.parse).map { String(Int64($0.timeIntervalSince1970 * 1000)) } ?? ""
        }
        func sample(_ name: String, _ labels: [(String, String)], _ value: Double, _ time: String?) -> String {
            let rendered = labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
            let stamp = milliseconds(time)
            return "\(name)\(rendered) \(value)\(stamp.isEmpty ? "" : " " + stamp)\n"
        }
        var families: [(name: String, help: String, type: String, samples: [String])] = [
            ("container_cpu_usage_seconds_total", "[STABLE] Cumulative cpu time consumed by the container in core-seconds", "counter", []),
            ("container_memory_working_set_bytes", "[STABLE] Current working set of the container in bytes", "gauge", []),
            ("container_start_time_seconds", "[STABLE] Start time of the container since unix epoch in seconds", "gauge", []),
            ("node_cpu_usage_seconds_total", "[STABLE] Cumulative cpu time consumed by the node in core-seconds", "counter", []),
            ("node_memory_working_set_bytes", "[STABLE] Current working set of the node in bytes", "gauge", []),
            ("pod_cpu_usage_seconds_total", "[STABLE] Cumulative cpu time consumed by the pod in core-seconds", "counter", []),
            ("pod_memory_working_set_bytes", "[STABLE] Current working set of the pod in bytes", "gauge", []),
            ("resource_scrape_error", "[STABLE] 1 if there was an error while getting container metrics, 0 otherwise", "gauge", ["resource_scrape_error 0\n"]),
        ]
        func add(_ index: Int, _ line: String) { families[index].samples.append(line) }
        for pod in pods {
            let podLabels = [("namespace", pod.podRef.namespace), ("pod", pod.podRef.name)]
            for container in pod.containers {
                let labels = [("container", container.name)] + podLabels
                if let cpu = container.cpu, let total = cpu.usageCoreNanoSeconds { add(0, sample(families[0].name, labels, Double(total) / 1e9, cpu.time)) }
                if let memory = container.memory, let bytes = memory.workingSetBytes { add(1, sample(families[1].name, labels, Double(bytes), memory.time)) }
                if let started = container.startTime.flatMap(RFC3339.parse) {
                    add(2, sample(families[2].name, labels, started.timeIntervalSince1970, nil))
                }
            }
            if let cpu = pod.cpu, let total = cpu.usageCoreNanoSeconds { add(5, sample(families[5].name, podLabels, Double(total) / 1e9, cpu.time)) }
            if let memory = pod.memory, let bytes = memory.workingSetBytes { add(6, sample(families[6].name, podLabels, Double(bytes), memory.time)) }
        }
        if let cpu = node.cpu, let total = cpu.usageCoreNanoSeconds { add(3, sample(families[3].name, [], Double(total) / 1e9, cpu.time)) }
        if let memory = node.memory, let bytes = memory.workingSetBytes { add(4, sample(families[4].name, [], Double(bytes), memory.time)) }
        return families.map { family in
            "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.type)\n" + family.samples.joined()
        }.joined()
    }

    private static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}

import CRI
import Foundation
import KubeAPI
import LinuxSystem

/// The kubelet's `/metrics/cadvisor`: cAdvisor's container metrics under its names, help texts and labels as the kubelet
/// exports them — `container`, `id` (the cgroup), `image`, `name` (the container ID), `namespace`, `pod` — for each
/// running container (CPU and memory from CRI `ListContainerStats`, so containerd's figures when it is the runtime; the
/// limit from the container's cgroup), each pod's cgroup (`container=""`, read from cgroupfs: the sandbox is counted
/// as cAdvisor counts it) and the machine (`id="/"`, from the kernel as `/stats/summary`'s node). The pod's series and
/// the machine's carry cAdvisor's network counters per `interface` (of the pod's network namespace, or the host's),
/// without the interfaces cAdvisor ignores (lo, veth…); with containerd, cAdvisor itself puts a pod's on its sandbox
/// container's series, which share the pod's `namespace` and `pod` labels. Samples carry the
/// time they were read in milliseconds, except the spec and start-time gauges; `container_scrape_error` is 1 when the
/// runtime could not be asked.
struct CadvisorMetrics: Sendable {
    let summary: StatsSummaryProvider
    /// `--cgroup-root`: pod cgroups live below `<cgroupRoot>/kubepods`.
    let cgroupRoot: String

    private static let families: [(name: String, help: String, type: String)] = [
        ("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", "counter"),
        ("container_memory_rss", "Size of RSS in bytes.", "gauge"),
        ("container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed", "gauge"),
        ("container_memory_working_set_bytes", "Current working set in bytes.", "gauge"),
        ("container_network_receive_bytes_total", "Cumulative count of bytes received", "counter"),
        ("container_network_receive_errors_total", "Cumulative count of errors encountered while receiving", "counter"),
        ("container_network_receive_packets_dropped_total", "Cumulative count of packets dropped while receiving", "counter"),
        ("container_network_receive_packets_total", "Cumulative count of packets received", "counter"),
        ("container_network_transmit_bytes_total", "Cumulative count of bytes transmitted", "counter"),
        ("container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting", "counter"),
        ("container_network_transmit_packets_dropped_total", "Cumulative count of packets dropped while transmitting", "counter"),
        ("container_network_transmit_packets_total", "Cumulative count of packets transmitted", "counter"),
        ("container_scrape_error", "1 if there was an error while getting container metrics, 0 otherwise", "gauge"),
        ("container_spec_memory_limit_bytes", "Memory limit for the container.", "gauge"),
        ("container_start_time_seconds", "Start time of the container since unix epoch in seconds.", "gauge"),
    ]

    /// One cgroup's figures and labels.
    private struct Row {
        var container = "", id: String, image = "", name = "", namespace = "", pod = ""
        var cpuNanoseconds: UInt64?
        var memoryUsage: UInt64?, workingSet: UInt64?, rss: UInt64?
        /// nil: no spec gauge; 0: unlimited, as cAdvisor reports it.
        var memoryLimit: UInt64?
        var startTime: Date?
        /// The interfaces of the network namespace the cgroup's processes are in (pods and the machine only).
        var network: [InterfaceCounters] = []
        var timestamp: Int64

        var labels: [(String, String)] {
            [("container", container), ("id", id), ("image", image), ("name", name), ("namespace", namespace), ("pod", pod)]
        }
    }

    func render(pods: [Pod]) async -> String {
        let now = Date()
        let stamp = PrometheusText.milliseconds(now)
        var rows: [Row] = []
        var scrapeError = false
        do {
            rows = try await podRows(pods: pods, stamp: stamp)
        } catch {
            scrapeError = true
        }
        let node = summary.nodeStats(now: RFC3339.format(now, fractionalDigits: 0))
        var root = Row(id: "/", timestamp: stamp)
        root.cpuNanoseconds = node.cpu?.usageCoreNanoSeconds
        root.memoryUsage = node.memory?.usageBytes
        root.workingSet = node.memory?.workingSetBytes
        root.rss = node.memory?.rssBytes
        root.startTime = node.startTime.flatMap(RFC3339.parse)
        root.network = InterfaceCounters.read(pid: 1) ?? []
        rows.insert(root, at: 0)

        var text = PrometheusText()
        for family in Self.families { text.family(family.name, help: family.help, type: family.type) }
        for row in rows {
            let labels = row.labels
            if let cpu = row.cpuNanoseconds {
                // Per-CPU usage is off in the kubelet's cAdvisor: one `cpu="total"` series.
                var withCPU = labels
                withCPU.insert(("cpu", "total"), at: 1)
                text.add("container_cpu_usage_seconds_total", withCPU, Double(cpu) / 1e9, timestamp: row.timestamp)
            }
            if let rss = row.rss { text.add("container_memory_rss", labels, Double(rss), timestamp: row.timestamp) }
            if let usage = row.memoryUsage { text.add("container_memory_usage_bytes", labels, Double(usage), timestamp: row.timestamp) }
            if let workingSet = row.workingSet { text.add("container_memory_working_set_bytes", labels, Double(workingSet), timestamp: row.timestamp) }
            if let limit = row.memoryLimit { text.add("container_spec_memory_limit_bytes", labels, Double(limit)) }
            if let started = row.startTime { text.add("container_start_time_seconds", labels, started.timeIntervalSince1970.rounded(.down)) }
            for interface in row.network {
                var withInterface = labels
                withInterface.insert(("interface", interface.name), at: 3)
                for (name, value) in [("container_network_receive_bytes_total", interface.rxBytes),
                                      ("container_network_receive_errors_total", interface.rxErrors),
                                      ("container_network_receive_packets_dropped_total", interface.rxDropped),
                                      ("container_network_receive_packets_total", interface.rxPackets),
                                      ("container_network_transmit_bytes_total", interface.txBytes),
                                      ("container_network_transmit_errors_total", interface.txErrors),
                                      ("container_network_transmit_packets_dropped_total", interface.txDropped),
                                      ("container_network_transmit_packets_total", interface.txPackets)] {
                    text.add(name, withInterface, Double(value), timestamp: row.timestamp)
                }
            }
        }
        text.add("container_scrape_error", [], scrapeError ? 1 : 0)
        return text.text
    }

    /// The running containers and their pods' cgroups.
    private func podRows(pods: [Pod], stamp: Int64) async throws -> [Row] {
        let (containers, statsByID, podsByUID) = try await summary.runningContainers(pods: pods)
        var rows: [Row] = []
        var podCgroups: [String: Row] = [:]
        for container in containers {
            let labels = container.labels
            guard let uid = labels[PodLabels.podUID], let podName = labels[PodLabels.podName],
                  let namespace = labels[PodLabels.podNamespace], let pod = podsByUID[uid] else { continue }
            let parent = QOSClass(pod).cgroupParent(podUID: uid, cgroupRoot: cgroupRoot)
            let cgroup = CgroupUsage(cgroupsPath: parent + "/" + container.id)
            let name = container.metadata.name
            let specImage = (pod.spec?.containers ?? []).first { $0.name == name }?.image
                ?? (pod.spec?.initContainers ?? []).first { $0.name == name }?.image
            var row = Row(container: name, id: parent + "/" + container.id,
                          image: specImage ?? (container.image.userSpecifiedImage.isEmpty ? container.image.image : container.image.userSpecifiedImage),
                          name: container.id, namespace: namespace, pod: podName, timestamp: stamp)
            row.startTime = Date(timeIntervalSince1970: Double(container.createdAt) / 1e9)
            if let stat = statsByID[container.id] {
                if stat.hasCpu {
                    row.cpuNanoseconds = stat.cpu.usageCoreNanoSeconds.value
                    if stat.cpu.timestamp > 0 { row.timestamp = stat.cpu.timestamp / 1_000_000 }
                }
                if stat.hasMemory {
                    row.workingSet = stat.memory.workingSetBytes.value
                    if stat.memory.hasRssBytes { row.rss = stat.memory.rssBytes.value }
                    if stat.memory.hasUsageBytes { row.memoryUsage = stat.memory.usageBytes.value }
                }
            }
            // What CRI does not carry (or a runtime leaves out) from the container's own cgroup, when it is there.
            if cgroup.memoryUsage != nil {
                row.memoryUsage = row.memoryUsage ?? cgroup.memoryUsage
                row.rss = row.rss ?? cgroup.memoryRSS
                row.memoryLimit = cgroup.memoryLimit ?? 0
            }
            rows.append(row)
            if podCgroups[uid] == nil {
                let usage = CgroupUsage(cgroupsPath: parent)
                var podRow = Row(id: parent, namespace: namespace, pod: podName, timestamp: stamp)
                podRow.cpuNanoseconds = usage.cpuNanoseconds
                podRow.memoryUsage = usage.memoryUsage
                podRow.workingSet = usage.memoryWorkingSet
                podRow.rss = usage.memoryRSS
                if usage.memoryUsage != nil { podRow.memoryLimit = usage.memoryLimit ?? 0 }
                // The pod's network namespace, through one of its containers' processes (they all share it).
                podRow.network = InterfaceCounters.firstProcess(inCgroup: parent + "/" + container.id).flatMap(InterfaceCounters.read(pid:)) ?? []
                podCgroups[uid] = podRow
            }
        }
        return (rows + podCgroups.values).sorted { ($0.namespace, $0.pod, $0.container) < ($1.namespace, $1.pod, $1.container) }
    }
}

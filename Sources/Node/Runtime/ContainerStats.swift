import CRI
import Foundation
import GRPCCore
import LinuxSystem
import Logging
import OCI

extension ContainerRuntime {
    /// CRI `ContainerStats`: CPU time and memory (usage, working set, RSS) from the container's cgroup, and the bytes
    /// and inodes of its writable layer.
    public func containerStats(_ id: String) throws -> Runtime_V1_ContainerStats {
        try stats(of: container(id))
    }

    /// CRI `ListContainerStats` with its filter.
    public func listContainerStats(_ filter: Runtime_V1_ContainerStatsFilter?) -> [Runtime_V1_ContainerStats] {
        containers.values.filter { record in
            guard let filter else { return true }
            if !filter.id.isEmpty, !record.id.hasPrefix(filter.id) { return false }
            if !filter.podSandboxID.isEmpty, !record.sandboxID.hasPrefix(filter.podSandboxID) { return false }
            return filter.labelSelector.allSatisfy { record.containerConfig.labels[$0.key] == $0.value }
        }.map(stats(of:))
    }

    func stats(of record: ContainerRecord) -> Runtime_V1_ContainerStats {
        let config = record.containerConfig
        var stats = Runtime_V1_ContainerStats()
        stats.attributes.id = record.id
        stats.attributes.metadata = config.metadata
        stats.attributes.labels = config.labels
        stats.attributes.annotations = config.annotations
        let now = Self.now()
        let usage = CgroupUsage(cgroupsPath: record.cgroupsPath)
        if let cpu = usage.cpuNanoseconds {
            stats.cpu.timestamp = now
            stats.cpu.usageCoreNanoSeconds.value = cpu
        }
        if let memory = usage.memoryWorkingSet {
            stats.memory.timestamp = now
            stats.memory.workingSetBytes.value = memory
            if let rss = usage.memoryRSS { stats.memory.rssBytes.value = rss }
            if let bytes = usage.memoryUsage { stats.memory.usageBytes.value = bytes }
        }
        let (bytes, inodes) = FileSystem.usage(below: writableLayer(record.id) + "/upper")
        stats.writableLayer.timestamp = now
        stats.writableLayer.fsID.mountpoint = configuration.root
        stats.writableLayer.usedBytes.value = bytes
        stats.writableLayer.inodesUsed.value = inodes
        return stats
    }
}

extension ContainerRuntime {
    /// CRI `PodSandboxStats`: the sandbox's containers' stats and their CPU and memory summed.
    public func podSandboxStats(_ id: String) throws -> Runtime_V1_PodSandboxStats {
        sandboxStats(of: try sandbox(id))
    }

    /// CRI `ListPodSandboxStats` with its filter.
    public func listPodSandboxStats(_ filter: Runtime_V1_PodSandboxStatsFilter?) -> [Runtime_V1_PodSandboxStats] {
        sandboxes.values.filter { record in
            guard let filter else { return true }
            if !filter.id.isEmpty, !record.id.hasPrefix(filter.id) { return false }
            return filter.labelSelector.allSatisfy { record.sandboxConfig.labels[$0.key] == $0.value }
        }.map(sandboxStats(of:))
    }

    func sandboxStats(of record: PodSandboxRecord) -> Runtime_V1_PodSandboxStats {
        let config = record.sandboxConfig
        var stats = Runtime_V1_PodSandboxStats()
        stats.attributes.id = record.id
        stats.attributes.metadata = config.metadata
        stats.attributes.labels = config.labels
        stats.attributes.annotations = config.annotations
        let members = containers.values.filter { $0.sandboxID == record.id }.map(stats(of:))
        stats.linux.containers = members
        let now = Self.now()
        stats.linux.cpu.timestamp = now
        stats.linux.cpu.usageCoreNanoSeconds.value = members.reduce(0) { $0 + $1.cpu.usageCoreNanoSeconds.value }
        stats.linux.memory.timestamp = now
        stats.linux.memory.workingSetBytes.value = members.reduce(0) { $0 + $1.memory.workingSetBytes.value }
        return stats
    }
}

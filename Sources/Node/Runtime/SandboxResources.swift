import CRI
import OCI

/// CRI Linux resources to OCI cgroup resources (cgroup v1 and v2 alike; runc maps them).
enum SandboxResources {
    static func resources(_ resources: Runtime_V1_LinuxContainerResources, devices: [RuntimeSpec.DeviceRule]) -> RuntimeSpec.Resources {
        var result = RuntimeSpec.Resources()
        result.devices = devices
        var cpu = RuntimeSpec.CPU()
        if resources.cpuShares > 0 { cpu.shares = UInt64(resources.cpuShares) }
        if resources.cpuQuota > 0 { cpu.quota = resources.cpuQuota }
        if resources.cpuPeriod > 0 { cpu.period = UInt64(resources.cpuPeriod) }
        if !resources.cpusetCpus.isEmpty { cpu.cpus = resources.cpusetCpus }
        if !resources.cpusetMems.isEmpty { cpu.mems = resources.cpusetMems }
        if cpu != RuntimeSpec.CPU() { result.cpu = cpu }
        if resources.memoryLimitInBytes > 0 {
            var memory = RuntimeSpec.Memory()
            memory.limit = resources.memoryLimitInBytes
            if resources.memorySwapLimitInBytes > 0 { memory.swap = resources.memorySwapLimitInBytes }
            result.memory = memory
        }
        if !resources.hugepageLimits.isEmpty {
            result.hugepageLimits = resources.hugepageLimits.map { RuntimeSpec.HugepageLimit(pageSize: $0.pageSize, limit: $0.limit) }
        }
        if !resources.unified.isEmpty { result.unified = resources.unified }
        return result
    }
}

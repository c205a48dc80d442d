/// A pod's sysctls (CRI `LinuxPodSandboxConfig.sysctls`) sorted by the namespace they are set in, and checked as
/// runc checks a container's: only namespaced keys, and only when the pod has that namespace of its own. A pod
/// without an infra container has them set by the runtime itself — the IPC ones (and `kernel.domainname`) in the
/// thread that pins the ipc/uts namespaces, the `net.*` ones in the network namespace once CNI attached it (as
/// containerd's pause container gets them after the network is set up, so per-interface keys exist).
struct SandboxSysctls: Sendable, Equatable {
    struct Setting: Sendable, Equatable {
        var key: String
        var value: String
    }

    /// Set inside the pinned ipc/uts namespaces.
    var pinned: [Setting] = []
    /// Set inside the network namespace.
    var network: [Setting] = []

    /// runc's list of IPC keys (`fs.mqueue.*` too).
    static let ipcKeys: Set<String> = [
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
        "kernel.shm_rmid_forced",
    ]

    /// Sorts `sysctls` (dotted or slash-separated keys, as the kubelet may pass either); throws InvalidArgument
    /// with runc's wording for a key that would change the node.
    init(_ sysctls: [String: String], ownIPC: Bool, ownNetwork: Bool, ownUTS: Bool) throws {
        for (key, value) in sysctls.sorted(by: { $0.key < $1.key }) {
            // `net/ipv4/conf/eth0.100/forwarding` keeps its dots in the interface name; only the prefix is classified.
            let dotted = key.contains("/") ? String(key.map { $0 == "/" ? "." : $0 }) : key
            let setting = Setting(key: key, value: value)
            if Self.ipcKeys.contains(dotted) || dotted.hasPrefix("fs.mqueue.") {
                guard ownIPC else { throw RuntimeError.invalidArgument("sysctl \"\(key)\" is not allowed in the hosts ipc namespace") }
                pinned.append(setting)
            } else if dotted.hasPrefix("net.") {
                guard ownNetwork else { throw RuntimeError.invalidArgument("sysctl \"\(key)\" is not allowed in the hosts network namespace") }
                network.append(setting)
            } else if ownUTS, dotted == "kernel.domainname" {
                pinned.append(setting)
            } else if ownUTS, dotted == "kernel.hostname" {
                throw RuntimeError.invalidArgument("sysctl \"\(key)\" is not allowed as it conflicts with the OCI \"hostname\" field")
            } else {
                throw RuntimeError.invalidArgument("sysctl \"\(key)\" is not in a separate kernel namespace")
            }
        }
    }
}

import KubeAPI

/// Which sysctls a pod may set (upstream's kubelet `sysctl` allowlist): the safe ones, which the kernel namespaces
/// and which cannot affect other pods or the node, and those `--allowed-unsafe-sysctls` adds (names, or prefixes
/// ending in `*`) from the IPC and network namespaces. A pod that shares the host's network or IPC namespace may not
/// set that namespace's sysctls. A pod asking for another is refused at admission with reason `SysctlForbidden`.
public struct SysctlAllowlist: Sendable, Hashable {
    /// A kernel namespace that owns sysctls.
    enum Namespace: String, Sendable {
        case ipc = "IPC", net = "Net"
    }

    /// Upstream's safe sysctls (1.32, for this kernel).
    public static let safe = [
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
    ]
    /// The sysctls the IPC namespace owns by name.
    private static let ipcNames: Set<String> = ["kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
                                                "kernel.shm", "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.msg"]

    /// The safe sysctls alone (what a kubelet allows without `--allowed-unsafe-sysctls`).
    public static let safeOnly = try! SysctlAllowlist()  // The safe list is namespaced: the force-try documents that.

    private var names: [String: Namespace] = [:]
    private var prefixes: [String: Namespace] = [:]
    /// The patterns `--allowed-unsafe-sysctls` added, as given.
    public let unsafe: [String]

    /// The safe sysctls and `unsafe` (`--allowed-unsafe-sysctls`); a pattern outside the namespaced sysctls is refused.
    public init(unsafe: [String] = []) throws(KubeletFlagError) {
        self.unsafe = unsafe
        for pattern in Self.safe + unsafe {
            var name = Self.normalize(pattern)
            let prefixed = name.firstIndex(of: "*").map { star in
                name = String(name[..<star])
                return true
            } ?? false
            guard let namespace = Self.namespace(of: name) else {
                throw KubeletFlagError(description: "the sysctls \"\(name)\" are not known to be namespaced")
            }
            if prefixed { prefixes[name] = namespace } else { names[name] = namespace }
        }
    }

    /// Why the pod may not run here (nil when it may): its first sysctl that is not allowed.
    func forbidden(_ pod: Pod) -> String? {
        let spec = pod.spec
        for sysctl in spec?.securityContext?.sysctls ?? [] {
            let name = Self.normalize(sysctl.name)
            let namespace = names[name] ?? prefixes.first { name.hasPrefix($0.key) }?.value
            guard let namespace else { return "forbidden sysctl: \"\(name)\" not allowlisted" }
            if (namespace == .ipc && spec?.hostIPC == true) || (namespace == .net && spec?.hostNetwork == true) {
                return "forbidden sysctl: \"\(name)\" not allowed with host \(namespace.rawValue) enabled"
            }
        }
        return nil
    }

    /// The namespace that owns a sysctl (or a prefix of sysctls); nil when it is not known to be namespaced.
    static func namespace(of name: String) -> Namespace? {
        if ipcNames.contains(name) { return .ipc }
        if name.hasPrefix("net.") { return .net }
        if name.hasPrefix("fs.mqueue.") { return .ipc }
        return nil
    }

    /// Upstream's `NormalizeName`: a name written with `/` separators (`net/ipv4/conf/eth0.100/rp_filter`) in the
    /// dotted form, dots and slashes swapped.
    static func normalize(_ name: String) -> String {
        guard let first = name.first(where: { $0 == "." || $0 == "/" }), first == "/" else { return name }
        return String(name.map { $0 == "." ? "/" : $0 == "/" ? "." : $0 })
    }
}

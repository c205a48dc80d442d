/// Linux capability sets for a container, in the OCI spec's `CAP_` names.
enum Capabilities {
    /// containerd's (and Docker's) default set for an unprivileged container.
    static let defaults = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// Every capability of the running kernel generation (Linux 5.9+), for privileged containers.
    static let all = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// The defaults with the CRI's `add` and `drop` lists applied (names with or without `CAP_`, and
    /// `ALL`), drop first as containerd does, so `drop: [ALL], add: [NET_BIND_SERVICE]` keeps exactly one.
    static func resolve(add: [String], drop: [String]) throws -> [String] {
        let added = try add.map(normalized), dropped = try drop.map(normalized)
        var set = dropped.contains("CAP_ALL") ? [] : defaults.filter { !dropped.contains($0) }
        for name in added {
            if name == "CAP_ALL" { set = all; continue }
            if !set.contains(name) { set.append(name) }
        }
        return set
    }

    private static func normalized(_ name: String) throws -> String {
        let upper = name.uppercased()
        let full = upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
        guard full == "CAP_ALL" || all.contains(full) else {
            throw RuntimeError.invalidArgument("unknown capability \"\(name)\"")
        }
        return full
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The cgroup file system as runc and the kubelet's cgroupfs driver address it: the unified (v2) tree at
/// `/sys/fs/cgroup`, or on a v1 machine one hierarchy per controller below it. A cgroupfs path such as
/// `/kubepods/besteffort/pod<uid>/<id>` names the same group in every hierarchy.
public enum Cgroupfs {
    public static let mountPoint = "/sys/fs/cgroup"

    /// Whether a cgroup file system is reachable here — the v2 tree at ``mountPoint``, or a v1 hierarchy below it (each
    /// root has a `cgroup.procs`) — as runc needs to create containers. `ip netns exec` replaces `/sys` with a fresh
    /// sysfs, which has none.
    public static var isMounted: Bool {
        func isGroup(_ path: String) -> Bool { access(path + "/cgroup.procs", F_OK) == 0 }
        return isGroup(mountPoint) || FileSystem.entries(of: mountPoint).contains { isGroup(mountPoint + "/" + $0) }
    }

    /// Whether the machine runs the unified (v2) hierarchy.
    public static var isUnified: Bool { access(mountPoint + "/cgroup.controllers", F_OK) == 0 }

    /// Every hierarchy's directory: the v2 root, or each v1 controller's (with the `cpu` → `cpu,cpuacct` style
    /// links, so a group may be reached twice through them).
    public static var hierarchies: [String] {
        isUnified ? [mountPoint] : FileSystem.entries(of: mountPoint).sorted().map { mountPoint + "/" + $0 }
    }

    /// The directory of `cgroupsPath` in the memory controller's hierarchy (v2: the tree itself).
    public static func memoryDirectory(_ cgroupsPath: String) -> String {
        (isUnified ? mountPoint : mountPoint + "/memory") + cgroupsPath
    }

    /// Creates `cgroupsPath` in the pids controller — its v1 hierarchy, or the v2 tree with `pids` enabled for the
    /// children of every group above it — and caps the processes and threads in it (and below) at `limit`
    /// (`pids.max`), as the kubelet's pod container manager does for `--pod-max-pids`.
    public static func limitPids(_ cgroupsPath: String, to limit: Int64) throws(SystemError) {
        var directory: String
        if isUnified {
            directory = mountPoint
            for component in cgroupsPath.split(separator: "/") {
                try FileSystem.writeControlFile(directory + "/cgroup.subtree_control", "+pids")
                directory += "/" + component
                if mkdir(directory, 0o755) != 0, errno != EEXIST { throw SystemError.lastError("mkdir", context: directory) }
            }
        } else {
            directory = mountPoint + "/pids" + cgroupsPath
            try FileSystem.makeDirectories(directory, mode: 0o755)
        }
        try FileSystem.writeControlFile(directory + "/pids.max", String(limit))
    }

    /// Removes `cgroupsPath` from every hierarchy where it is empty: `rmdir`, which the kernel refuses for a group
    /// that still has processes or sub-groups, so nothing in use is touched.
    public static func removeIfEmpty(_ cgroupsPath: String) {
        for hierarchy in hierarchies { rmdir(hierarchy + cgroupsPath) }
    }
}

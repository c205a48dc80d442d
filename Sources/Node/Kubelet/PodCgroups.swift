import Foundation

/// The pod-level cgroups the runtime creates below `/kubepods` for a pod's QoS class; removed with the pod
/// (in every v1 hierarchy, or the v2 tree), as the kubelet's pod container manager does.
enum PodCgroups {
    static let root = "/sys/fs/cgroup"
    static let parents = ["/kubepods", "/kubepods/burstable", "/kubepods/besteffort"]

    /// Every mounted hierarchy: the v2 root, or each v1 controller directory.
    private static var hierarchies: [String] {
        let manager = FileManager.default
        return manager.fileExists(atPath: root + "/cgroup.controllers")
            ? [root]
            : ((try? manager.contentsOfDirectory(atPath: root)) ?? []).map { root + "/" + $0 }
    }

    static func remove(podUID uid: String) {
        for hierarchy in hierarchies {
            for parent in parents {
                // rmdir, not a recursive removal: a cgroup directory goes only once it is empty.
                rmdir(hierarchy + parent + "/pod" + uid)
            }
        }
    }

    /// The UIDs of the pod cgroups that exist (from the memory hierarchy, or the v2 root).
    static func podUIDs() -> Set<String> {
        let base = FileManager.default.fileExists(atPath: root + "/cgroup.controllers") ? root : root + "/memory"
        var uids: Set<String> = []
        for parent in parents {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: base + parent)) ?? [] where entry.hasPrefix("pod") {
                uids.insert(String(entry.dropFirst(3)))
            }
        }
        return uids
    }
}

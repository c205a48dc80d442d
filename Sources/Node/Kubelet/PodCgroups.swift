import Foundation
import LinuxSystem

/// The pod-level cgroups the runtime creates below `<cgroup root>/kubepods` for a pod's QoS class; removed with the
/// pod (in every v1 hierarchy, or the v2 tree), as the kubelet's pod container manager does. Each kubelet on a
/// machine with several (a lab) has a cgroup root of its own, so none ever sees another's pods as orphans.
enum PodCgroups {
    /// `<cgroupRoot>/kubepods`, with one slash between.
    static func kubepods(cgroupRoot: String) -> String {
        let trimmed = cgroupRoot.hasSuffix("/") ? String(cgroupRoot.dropLast()) : cgroupRoot
        return trimmed + "/kubepods"
    }

    static func parents(cgroupRoot: String) -> [String] {
        let kubepods = kubepods(cgroupRoot: cgroupRoot)
        return [kubepods, kubepods + "/burstable", kubepods + "/besteffort"]
    }

    static func remove(podUID uid: String, cgroupRoot: String) {
        for parent in parents(cgroupRoot: cgroupRoot) { Cgroupfs.removeIfEmpty(parent + "/pod" + uid) }
    }

    /// Removes the (empty) QoS parents and the cgroup root's own directories down from `kubepods`, leaving `/`
    /// alone: a node shutting down for good (`--clean-up-on-exit`).
    static func removeParents(cgroupRoot: String) {
        var directories = parents(cgroupRoot: cgroupRoot).reversed().map { $0 }
        var above = (cgroupRoot as NSString).standardizingPath
        while above != "/" && !above.isEmpty {
            directories.append(above)
            above = (above as NSString).deletingLastPathComponent
        }
        for directory in directories { Cgroupfs.removeIfEmpty(directory) }
    }

    /// The UIDs of the pod cgroups that exist (from the memory hierarchy, or the v2 root).
    static func podUIDs(cgroupRoot: String) -> Set<String> {
        var uids: Set<String> = []
        for parent in parents(cgroupRoot: cgroupRoot) {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: Cgroupfs.memoryDirectory(parent))) ?? [] where entry.hasPrefix("pod") {
                uids.insert(String(entry.dropFirst(3)))
            }
        }
        return uids
    }
}

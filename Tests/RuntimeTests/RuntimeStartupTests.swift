import Foundation
import TestSupport
import Testing

/// What `swiftlet runtime serve` checks before it serves.
@Suite("swiftlet runtime: start-up checks")
struct RuntimeStartupTests {
    /// Under `ip netns exec` (a private mount namespace in another network namespace, `/sys` replaced by a fresh
    /// sysfs) no cgroup file system is reachable, and runc would fail every container ("no cgroup mount found in
    /// mountinfo"): the daemon refuses to start and says why, before it makes any state — whether the old `/sys` was
    /// unmounted first, as `ip netns exec` does, or is only covered. Every other runtime test shows it starts where
    /// cgroups are mounted.
    @Test(.timeLimit(.minutes(1)), arguments: ["umount -l /sys && mount -t sysfs sysfs /sys", "mount -t sysfs sysfs /sys"])
    func refusesToServeWhereNoCgroupFileSystemIsReachable(replacingSys: String) async throws {
        let directory = NSTemporaryDirectory() + "swiftlet-nocgroup-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let swiftlet = try BuiltProducts.path(of: "swiftlet")
        let serve = "exec \"$0\" runtime serve --root \"$1/root\" --listen \"unix://$1/cri.sock\" --cni-conf-dir \"$1\" --cni-bin-dir \"$1\""
        let result = try await runCommand("/usr/bin/unshare", ["--mount", "--net", "--propagation", "private", "/bin/sh", "-c",
                                                               replacingSys + " && " + serve, swiftlet, directory], timeout: 30)
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("no cgroup file system is mounted at /sys/fs/cgroup, so runc cannot create containers"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/root"), "state was made before the check")
        #expect(!FileManager.default.fileExists(atPath: directory + "/cri.sock"))
    }
}

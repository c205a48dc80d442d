import Foundation
import LinuxSystem
import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// A `swiftlet lab up --nodes N` run inside a throwaway outer network namespace that plays the host (bridge,
/// veths and the host's routes live there; the nodes' namespaces are named `<prefix>-<i>` with a random prefix),
/// taken down with `swiftlet lab down` after the body — also when the body throws — and checked for anything left
/// behind. The end-to-end suite and `hack/bench/cluster` both run on it.
///
///     let (_, teardown) = try await LabCluster.run(nodes: 3) { lab in
///         try await lab.harness.kubectl(["get", "nodes"])
///     }
///     #expect(teardown.leftovers.isEmpty)
public struct LabCluster: Sendable {
    public let harness: ClusterHarness
    /// Node names are `<prefix>-1` … `<prefix>-N`.
    public let prefix: String
    public let nodes: [String]
    /// The nodes' InternalIPs, in node order; the host (outer namespace) is `gateway` on the same bridge.
    public let addresses: [String]
    public let gateway: String
    /// What `lab up` printed.
    public let upOutput: String
    /// How long `lab up` took (network, image import, daemons, every node Ready).
    public let upDuration: Duration

    /// What `lab down` did and what it left behind.
    public struct Teardown: Sendable {
        public var status: Int32
        public var output: String
        public var duration: Duration
        /// Pod network namespaces the runtimes had just before `lab down` (to show the check had something to check).
        public var sandboxCount: Int
        /// One line per thing still there: links/routes/tables in the outer namespace, node namespaces, pod
        /// namespaces, processes, mounts, the directory, cgroups. Empty when the host is as before.
        public var leftovers: [String]
        /// With leftovers: the last lines of every daemon's log (`lab down --keep-logs` kept them for this), so a
        /// failed teardown on CI can be read afterwards; empty otherwise.
        public var logTails: String
    }

    /// Brings up the lab, runs `body`, takes the lab down and returns the body's result with the teardown report.
    /// A failing `lab up` or body still takes everything down before the error is rethrown.
    /// `zones` > 0 spreads the nodes over that many zones (`lab up --zones`).
    public static func run<R>(nodes count: Int, zones: Int = 0, serverArguments: [String] = [], readyTimeout: Duration = .seconds(180),
                              isolation: isolated (any Actor)? = #isolation,
                              _ body: (LabCluster) async throws -> R) async throws -> (R, Teardown) {
        let archives = try await ClusterHarness.imageArchives()
        return try await withThrowawayNetworkNamespace(prefix: "swlab") { outer in
            try RouteNetlink(in: outer).setUp(.name("lo"))
            let prefix = "l" + String(UInt16.random(in: .min ... .max), radix: 16)
            let harness = ClusterHarness(outer: outer, directory: ClusterHarness.freshDirectory("swlab"))
            let before = try harness.snapshot()
            let started = ContinuousClock.now
            let lab: LabCluster
            do {
                let up = try await harness.swiftlet(["lab", "up", "--nodes", "\(count)", "--dir", harness.directory, "--prefix", prefix,
                                                     "--bridge", "br" + prefix, "--network", "172.31.7.0/24", "--cni-bin-dir", ClusterHarness.binaries,
                                                     "--ready-timeout", "\(readyTimeout.components.seconds)", "--zones", "\(zones)"]
                                                    + archives.flatMap { ["--image-archive", $0] } + serverArguments.map { "--server-arg=" + $0 },
                                                    timeout: readyTimeout + .seconds(120))
                guard up.status == 0 else { throw TestSupportError("swiftlet lab up failed (\(up.status)): \(up.standardOutput) \(up.standardError)") }
                lab = LabCluster(harness: harness, prefix: prefix, nodes: (1...count).map { "\(prefix)-\($0)" },
                                 addresses: (1...count).map { "172.31.7.\(10 + $0)" }, gateway: "172.31.7.1",
                                 upOutput: up.standardOutput, upDuration: ContinuousClock.now - started)
            } catch {
                _ = try? await harness.swiftlet(["lab", "down", "--dir", harness.directory])
                try? FileManager.default.removeItem(atPath: harness.directory)
                throw error
            }
            let result: R
            do {
                result = try await body(lab)
            } catch {
                _ = await lab.down(before: before)
                throw error
            }
            return (result, await lab.down(before: before))
        }
    }

    /// The pid `lab up` recorded for a daemon: `"<node> agent"`, `"<node> runtime"` or `"server"`.
    public func daemonPID(_ name: String) throws -> pid_t {
        let path = harness.directory + "/lab.json"
        guard let data = FileManager.default.contents(atPath: path),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let daemons = object["daemons"] as? [[String: Any]],
              let pid = daemons.first(where: { $0["name"] as? String == name })?["pid"] as? Int else {
            throw TestSupportError("no daemon \(name) in \(path)")
        }
        return pid_t(pid)
    }

    /// Resident memory (VmRSS) of a daemon, in bytes (the per-container shims are separate processes).
    public func residentBytes(of name: String) throws -> Int {
        let pid = try daemonPID(name)
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ").dropFirst().first ?? "") else {
            throw TestSupportError("\(name) (pid \(pid)) is not running")
        }
        return kib * 1024
    }

    /// `swiftlet lab down --keep-logs` and the check that the outer namespace, /var/run/netns, the mounts,
    /// processes, cgroups and the directory (but for its logs) are as before `lab up`; the logs are then removed,
    /// after their tails were copied into the report when something was left.
    private func down(before: NamespaceSnapshot) async -> Teardown {
        let sandboxes = sandboxNamespaces(below: harness.directory)
        let started = ContinuousClock.now
        let result = try? await harness.swiftlet(["lab", "down", "--dir", harness.directory, "--keep-logs"])
        var teardown = Teardown(status: result?.status ?? -1, output: (result?.standardOutput ?? "") + (result?.standardError ?? ""),
                                duration: ContinuousClock.now - started, sandboxCount: sandboxes.count, leftovers: [], logTails: "")
        if teardown.status != 0 { teardown.leftovers.append("lab down exited with \(teardown.status): \(teardown.output)") }
        if let after = try? harness.snapshot(), after != before {
            teardown.leftovers.append("outer namespace changed: before \(before), after \(after)")
        }
        teardown.leftovers += namespaces(prefix: prefix + "-").map { "network namespace \($0)" }
        teardown.leftovers += sandboxes.filter { FileManager.default.fileExists(atPath: $0) }.map { "pod network namespace \($0)" }
        teardown.leftovers += harness.processesUsingDirectory().map { "process \($0)" }
        teardown.leftovers += harness.mountsBelowDirectory().map { "mount \($0)" }
        let kept = (try? FileManager.default.contentsOfDirectory(atPath: harness.directory)) ?? []
        teardown.leftovers += kept.filter { $0 != "logs" }.sorted().map { "in the lab directory: \(harness.directory)/\($0)" }
        teardown.leftovers += nodes.filter { cgroupExists("swiftlet-" + $0) }.map { "cgroup /swiftlet-\($0)" }
        if !teardown.leftovers.isEmpty { teardown.logTails = Self.logTails(in: harness.directory + "/logs", lines: 40) }
        try? FileManager.default.removeItem(atPath: harness.directory)
        return teardown
    }

    /// The last `lines` lines of every file in `directory`, each under a `==> name <==` header as `tail` prints them.
    private static func logTails(in directory: String, lines: Int) -> String {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        return names.map { name in
            let text = (FileManager.default.contents(atPath: directory + "/" + name)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            return "==> \(name) <==\n" + text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}

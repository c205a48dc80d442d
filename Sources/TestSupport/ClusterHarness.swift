import Foundation
import LinuxSystem
import Netlink
import NFTables
#if canImport(Glibc)
import Glibc
#endif

/// Runs `swiftlet up` / `swiftlet lab`, `kubectl` and other tools inside a throwaway "outer" network namespace the
/// test made, so the bridge, routes and rules they create live there and never on the real host. Shared by the
/// local-cluster tests, the end-to-end suite (`hack/e2e`) and `hack/bench/cluster`.
public struct ClusterHarness: Sendable {
    public let outer: NetworkNamespace
    /// The cluster's directory (`admin.kubeconfig` in it).
    public let directory: String

    public static var binaries: String { BuiltProducts.directory }

    public init(outer: NetworkNamespace, directory: String) {
        self.outer = outer
        self.directory = directory
    }

    public var kubeconfig: String { directory + "/admin.kubeconfig" }

    /// `nsenter --net=<outer> PROGRAM ARGS` to completion.
    public func run(_ program: String, _ arguments: [String], timeout: Duration = .seconds(300)) async throws -> Subprocess.Output {
        try await Subprocess.output("/usr/bin/nsenter", arguments: ["--net=\(outer.path)", program] + arguments, timeout: timeout)
    }

    public func swiftlet(_ arguments: [String], timeout: Duration = .seconds(300)) async throws -> Subprocess.Output {
        try await run(Self.binaries + "/swiftlet", arguments, timeout: timeout)
    }

    /// `kubectl --kubeconfig <dir>/admin.kubeconfig ARGS`, its standard output; throws on failure.
    @discardableResult
    public func kubectl(_ arguments: [String], stdin: String = "", timeout: Duration = .seconds(60)) async throws -> String {
        let output = try await Subprocess.output("/usr/bin/nsenter", arguments: ["--net=\(outer.path)", "/usr/bin/kubectl", "--kubeconfig", kubeconfig]
                                                 + arguments, stdin: Array(stdin.utf8), timeout: timeout)
        guard output.status == 0 else {
            throw TestSupportError("kubectl \(arguments.joined(separator: " ")): \(output.timedOut ? "timed out" : output.standardError)")
        }
        return output.standardOutput
    }

    /// Starts `swiftlet ARGS` in the outer namespace in the background, output to `<dir>.out`.
    public func start(_ arguments: [String]) throws -> (pid: pid_t, output: String) {
        let output = directory + ".out"
        return (try start(Self.binaries + "/swiftlet", arguments, output: output), output)
    }

    /// Starts `PROGRAM ARGS` in the outer namespace in the background, standard output and error to `output`;
    /// stop it with `kill` and reap it with `Subprocess.exitStatus(of:)`.
    public func start(_ program: String, _ arguments: [String], output: String) throws -> pid_t {
        let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TestSupportError("cannot open \(output): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(null) }
        return try Subprocess.start("/usr/bin/nsenter", arguments: ["--net=\(outer.path)", program] + arguments,
                                    environment: ProcessInfo.processInfo.environment, descriptors: [null, fd, fd])
    }

    /// Polls until `condition` holds (true) or `timeout` passes (false).
    public func eventually(timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(250),
                           _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return true }
            try await Task.sleep(for: interval)
        }
        return try await condition()
    }

    /// A pod's `status.phase` and `status.podIP`.
    public func podState(_ name: String) async throws -> (phase: String, ip: String) {
        let text = try await kubectl(["get", "pod", name, "-o", "jsonpath={.status.phase} {.status.podIP}"])
        let parts = text.split(separator: " ").map(String.init)
        return (parts.first ?? "", parts.count > 1 ? parts[1] : "")
    }

    /// What the outer namespace holds, to compare before and after.
    public func snapshot() throws -> NamespaceSnapshot {
        let netlink = try RouteNetlink(in: outer)
        let socket = try outer.run { try NetfilterSocket() }
        return NamespaceSnapshot(
            links: try netlink.links().map(\.name).sorted(),
            routes: try netlink.routes(family: .v4, table: nil).map { "\($0.destination) \($0.gateway.map { "\($0)" } ?? "-") \($0.table)" }.sorted(),
            tables: try socket.tables().map { "\($0.family) \($0.name)" }.sorted())
    }

    /// Processes whose command line mentions the test's directory.
    public func processesUsingDirectory() -> [String] {
        ProcessTable.commandLines().compactMap { process in
            let line = process.arguments.joined(separator: " ")
            return line.contains(directory) ? "\(process.pid): \(line)" : nil
        }
    }

    /// Mount points below the test's directory.
    public func mountsBelowDirectory() -> [String] {
        (try? Mount.points(below: directory)) ?? []
    }

    /// OCI archives of the test images under the names the clusters use (`swiftlet.local/pause:3.10`,
    /// `swiftlet.local/busybox:1.35`, `swiftlet.local/web:1`), from the cache `hack/make-test-images.sh` fills.
    public static func imageArchives() async throws -> [String] {
        try await LoopbackRegistry.pushTestImages(to: nil)
        let directory = LoopbackRegistry.imageCache + "/cluster-archives"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var archives: [String] = []
        for (source, name) in [("pause-v1", "swiftlet.local/pause:3.10"), ("shell-v1", "swiftlet.local/busybox:1.35"), ("web-v1", "swiftlet.local/web:1")] {
            let archive = "\(directory)/\(source).tar"
            if !FileManager.default.fileExists(atPath: archive) {
                let output = try await Subprocess.output("/usr/bin/skopeo", arguments: [
                    "copy", "--quiet", "oci:\(LoopbackRegistry.imageCache)/oci:\(source)", "oci-archive:\(archive).new:\(name)"])
                guard output.status == 0 else { throw TestSupportError("skopeo: \(output.standardError)") }
                try FileManager.default.moveItem(atPath: archive + ".new", toPath: archive)
            }
            archives.append(archive)
        }
        return archives
    }

    /// A fresh directory name below /tmp (short: the CRI socket lives in it).
    public static func freshDirectory(_ prefix: String) -> String {
        "/tmp/\(prefix)-\(String(UInt32.random(in: .min ... .max), radix: 16))"
    }
}

/// Links, routes and nftables tables of a namespace.
public struct NamespaceSnapshot: Equatable, Sendable {
    public var links: [String]
    public var routes: [String]
    public var tables: [String]
}

/// The network namespaces of the sandboxes the cluster's runtimes have (`networkNamespace` of every
/// `sandboxes/*/sandbox.json` of a runtime's `--state` below `directory`).
public func sandboxNamespaces(below directory: String) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
    var paths: [String] = []
    while let entry = enumerator.nextObject() as? String {
        guard entry.hasSuffix("/sandbox.json"), let data = FileManager.default.contents(atPath: directory + "/" + entry),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let path = object["networkNamespace"] as? String else { continue }
        paths.append(path)
    }
    return paths.sorted()
}

/// The named network namespaces whose names start with `prefix`.
public func namespaces(prefix: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: NetworkNamespace.runDirectory)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
}

/// Whether a cgroup named `name` exists at the top of any hierarchy.
public func cgroupExists(_ name: String) -> Bool {
    Cgroupfs.hierarchies.contains { FileManager.default.fileExists(atPath: $0 + "/" + name) }
}

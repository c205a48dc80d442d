import CRI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import LinuxSystem

/// A real CRI runtime for a test — `swiftlet runtime`, or Debian's containerd with the same images and CNI
/// plugins, so one scenario proves both sides of the wire: a throwaway network namespace holding a Debian
/// docker-registry with the test images, a bridge CNI network of its own (swiftlet's plugins) and the
/// runtime daemon (entered with `nsenter --net`, so mounts stay in the host's mount namespace like a
/// node's). `stop()` removes every sandbox through CRI, then anything left and the directories.
public final class CRIHarness: @unchecked Sendable {
    /// Which CRI runtime serves the socket.
    public enum Kind: String, Sendable, CustomStringConvertible {
        case swiftlet, containerd
        public var description: String { rawValue }
    }

    public let kind: Kind
    public let namespace: NetworkNamespace
    public let namespaceName: String
    public let root: String
    /// A tmpfs of the harness's own below the root, as `/run` is on a node: the runtime's per-boot state and runc's
    /// (swiftlet: `runtime/` and `runc/`; containerd: `containerd/`, its `state`).
    public let run: String
    public let socket: String
    public let registry: String
    public let bridge: String
    public let subnet: String
    let registryDaemon: PeerDaemon
    private var runtimeDaemon: PeerDaemon
    /// The runtime's streaming server listens on this loopback port in the namespace; the forwarder makes
    /// the URLs `Exec` returns work from the host, where the kubelet under test runs.
    public let streamingPort: Int
    private let streamingForwarder: LoopbackForwarder
    private var runtimeLog: String
    private let logLevel: String?

    /// - Parameter logLevel: the daemon's log level; `nil` is debug for swiftlet and containerd's default
    ///   (info). Benchmarks pass "info" so both runtimes log as they would on a node.
    public init(_ kind: Kind = .swiftlet, logLevel: String? = nil) async throws {
        self.kind = kind
        self.logLevel = logLevel
        let suffix = String(UInt32.random(in: .min ... .max), radix: 16)
        namespaceName = "swrt-" + suffix
        namespace = try NetworkNamespace.create(named: namespaceName)
        root = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-runtime-\(suffix)").path
        socket = root + "/cri.sock"
        run = root + "/run"
        bridge = "swrt" + String(suffix.prefix(6))
        subnet = "10.\(Int.random(in: 100...199)).\(Int.random(in: 0...255)).0/24"
        registry = "127.0.0.1:5000"
        runtimeLog = ""
        try FileManager.default.createDirectory(atPath: root + "/net.d", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        try Mount.tmpfs(at: run, size: 1 << 30, mode: 0o755)
        _ = try await Self.inNamespace(namespaceName, "/usr/sbin/ip", ["link", "set", "lo", "up"])
        streamingPort = try freeLoopbackPorts(1)[0]
        streamingForwarder = try LoopbackForwarder(namespace: namespace, port: streamingPort)

        registryDaemon = try PeerDaemon(name: "registry")
        runtimeDaemon = try PeerDaemon(name: "runtime")
        try """
            version: 0.1
            storage:
              filesystem:
                rootdirectory: \(registryDaemon.directory)/data
            http:
              addr: \(registry)
            """.write(toFile: registryDaemon.directory + "/config.yml", atomically: true, encoding: .utf8)
        try registryDaemon.start("/usr/bin/nsenter", ["--net=" + namespace.path, "/usr/bin/docker-registry", "serve", registryDaemon.directory + "/config.yml"])
        try await waitForRegistry()
        let script = LoopbackRegistry.repositoryRoot + "/hack/make-test-images.sh"
        _ = try await Self.inNamespace(namespaceName, "/bin/bash", [script, registry])
        try writeNetworkConfig()
        try await startRuntime()
    }

    /// The CNI network the runtime uses: swiftlet-bridge on a bridge of this test, host-local IPAM with its
    /// own data directory, portmap. CNI 1.1.0 as a node's conflist for our runtime (GC included); 1.0.0 for
    /// containerd, the newest its 1.6 libcni accepts.
    private func writeNetworkConfig() throws {
        let config = """
            {"cniVersion":"\(kind == .containerd ? "1.0.0" : "1.1.0")","name":"runtime-test","plugins":[
              {"type":"swiftlet-bridge","bridge":"\(bridge)","isGateway":true,"ipMasq":false,
               "ipam":{"type":"swiftlet-host-local","ranges":[[{"subnet":"\(subnet)"}]],"dataDir":"\(root)/ipam"}},
              {"type":"swiftlet-portmap","capabilities":{"portMappings":true}}]}
            """
        try config.write(toFile: root + "/net.d/10-test.conflist", atomically: true, encoding: .utf8)
    }

    public var pauseImage: String { "\(registry)/swiftlet-test/pause:v1" }

    /// Gives the image `source` (`repository:tag` in the harness's registry) the name `target` there too, registry to
    /// registry with `skopeo copy` (the image ID stays the same).
    public func tag(_ source: String, as target: String) async throws {
        _ = try await Self.inNamespace(namespaceName, "/usr/bin/skopeo", ["copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false",
                                                                          "docker://" + source, "docker://" + target])
    }

    /// Starts (or restarts) the daemon and waits for its socket.
    public func startRuntime() async throws {
        try? FileManager.default.removeItem(atPath: socket)
        let daemon = try PeerDaemon(name: "runtime")
        let binaries = BuiltProducts.directory
        switch kind {
        case .swiftlet:
            try daemon.start("/usr/bin/nsenter", [
                "--net=" + namespace.path, binaries + "/swiftlet", "runtime", "--root", root + "/runtime", "--state", runtimeState,
                "--listen", "unix://" + socket, "--cni-conf-dir", root + "/net.d", "--cni-bin-dir", binaries, "--runc-root", runcRoot,
                "--pause-image", pauseImage, "--log-level", logLevel ?? "debug", "--streaming-listen", "127.0.0.1:\(streamingPort)",
            ])
        case .containerd:
            // containerd runs the loopback network with a plugin named `loopback`; everything else is ours.
            let pluginDirectory = root + "/cni-bin"
            try? FileManager.default.createDirectory(atPath: pluginDirectory, withIntermediateDirectories: true)
            for (name, target) in [("swiftlet-bridge", "swiftlet-bridge"), ("swiftlet-host-local", "swiftlet-host-local"),
                                   ("swiftlet-portmap", "swiftlet-portmap"), ("loopback", "swiftlet-loopback")] {
                try? FileManager.default.createSymbolicLink(atPath: pluginDirectory + "/" + name, withDestinationPath: binaries + "/" + target)
            }
            try containerdConfig(pluginDirectory: pluginDirectory).write(toFile: root + "/containerd.toml", atomically: true, encoding: .utf8)
            try daemon.start("/usr/bin/nsenter", ["--net=" + namespace.path, "/usr/bin/containerd", "--config", root + "/containerd.toml"]
                             + (logLevel.map { ["--log-level", $0] } ?? []))
        }
        runtimeDaemon = daemon
        try await daemon.waitForFile(socket)
        try await waitForServing()
    }

    /// containerd 1.6 configured like a node would be for this test: its own root and state below the test
    /// directory, our CNI plugins, the test pause image, the loopback registry over plain HTTP.
    private func containerdConfig(pluginDirectory: String) -> String {
        var config = ContainerdConfig(directory: root + "/containerd", socket: socket)
        config.stateDirectory = run + "/containerd"
        config.streamServerPort = streamingPort
        config.cniPluginDirectory = pluginDirectory
        config.cniConfigDirectory = root + "/net.d"
        config.sandboxImage = pauseImage
        config.registry = registry
        config.snapshotter = "overlayfs"
        return config.toml
    }

    /// `swiftlet runtime --state`: the sandbox and container records, bundles and sandbox files.
    public var runtimeState: String { run + "/runtime" }

    /// Where runc keeps its containers' state: `--runc-root` of swiftlet, the runc root containerd's shim is given
    /// (``ContainerdConfig/runcRoot``) for its `k8s.io` namespace.
    public var runcRoot: String {
        switch kind {
        case .swiftlet: run + "/runc"
        case .containerd: run + "/containerd/runc/k8s.io"
        }
    }

    /// Mounts the runtime left below the root (the harness's own tmpfs excluded).
    public var leftoverMounts: [String] { Self.mounts(below: root).filter { $0 != run } }

    /// Runs `body` against a fresh harness of `kind` and always stops it; when `body` throws, `onFailure` gets the
    /// runtime's log first (tests record it as an issue).
    ///
    ///     try await CRIHarness.with(.swiftlet, onFailure: { Issue.record("runtime log:\n\($0)") }) { harness in … }
    public static func with<R>(_ kind: Kind = .swiftlet, onFailure: (String) -> Void, _ body: (CRIHarness) async throws -> R) async throws -> R {
        let harness = try await CRIHarness(kind)
        do {
            let result = try await body(harness)
            await harness.stop()
            return result
        } catch {
            onFailure(harness.log)
            await harness.stop()
            throw error
        }
    }

    /// SIGKILL to the daemon, as a crash: containers and their monitors are not touched.
    public func killRuntime() {
        runtimeLog += runtimeDaemon.logTail
        runtimeDaemon.kill()
    }

    /// Sends `signal` to the runtime daemon (SIGSTOP: it stops answering until SIGCONT).
    public func signalRuntime(_ signal: Int32) {
        runtimeDaemon.signal(signal)
    }

    public var log: String { runtimeLog + runtimeDaemon.logTail }

    /// The running daemon's whole log file (removed by `stop()`), for benchmarks that keep or search it.
    public var runtimeLogFile: String { runtimeDaemon.logFile }

    /// Runs `body` with CRI clients connected to the runtime.
    public func withClients<R: Sendable>(
        _ body: @Sendable (Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>, Runtime_V1_ImageService.Client<HTTP2ClientTransport.Posix>) async throws -> R
    ) async throws -> R {
        let transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: socket, authority: "localhost"), transportSecurity: .plaintext)
        return try await withGRPCClient(transport: transport) { client in
            try await body(Runtime_V1_RuntimeService.Client(wrapping: client), Runtime_V1_ImageService.Client(wrapping: client))
        }
    }

    /// Removes every sandbox through CRI, stops the daemons and removes whatever is left.
    public func stop() async {
        _ = try? await withClients { runtime, _ in
            for sandbox in try await runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest()).items {
                _ = try? await runtime.removePodSandbox(CRIRequests.removeSandbox(sandbox.id))
            }
        }
        runtimeDaemon.stop()
        registryDaemon.stop()
        streamingForwarder.stop()
        // containerd's shims outlive it by design; one whose sandbox failed to start can be left without a task.
        for pid in ProcessTable.pids(where: { $0.first?.hasSuffix("containerd-shim-runc-v2") == true && $0.contains(socket) }) {
            kill(pid, SIGKILL)
        }
        // Leftovers of a failed test: runc containers, mounts below the root, sandbox namespaces.
        if let states = try? FileManager.default.contentsOfDirectory(atPath: runcRoot) {
            for id in states { _ = try? await runCommand("/usr/bin/runc", ["--root", runcRoot, "delete", "--force", id]) }
        }
        for path in Self.sandboxNamespaces(state: runtimeState) { try? NetworkNamespace.delete(path: path) }
        for mount in Self.mounts(below: root).reversed() { try? Mount.unmount(mount, detach: true) }
        try? NetworkNamespace.delete(path: namespace.path)
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Mount points below `path`, from /proc/self/mountinfo.
    public static func mounts(below path: String) -> [String] {
        (try? Mount.points(below: path)) ?? []
    }

    /// The network namespaces the sandbox records in a runtime's `state` name.
    public static func sandboxNamespaces(state: String) -> [String] {
        let directory = state + "/sandboxes"
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).compactMap { id in
            guard let data = FileManager.default.contents(atPath: "\(directory)/\(id)/sandbox.json"),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            return object["networkNamespace"] as? String
        }
    }

    public static func inNamespace(_ name: String, _ executable: String, _ arguments: [String]) async throws -> CommandResult {
        let result = try await runCommand("/usr/bin/nsenter", ["--net=/var/run/netns/" + name, executable] + arguments)
        guard result.status == 0 else { throw TestSupportError("\(executable) \(arguments) failed: \(result)") }
        return result
    }

    private func waitForRegistry() async throws {
        for _ in 0..<100 {
            if let result = try? await runCommand("/usr/bin/nsenter", ["--net=" + namespace.path, "/usr/bin/curl", "-sf", "http://\(registry)/v2/"]),
               result.status == 0 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSupportError("registry did not start: \(registryDaemon.logTail)")
    }

    private func waitForServing() async throws {
        var lastError: (any Error)?
        for _ in 0..<100 {
            do {
                _ = try await withClients { runtime, _ in try await runtime.version(Runtime_V1_VersionRequest()) }
                return
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw TestSupportError("runtime did not serve: \(String(describing: lastError))\n\(runtimeDaemon.logTail)")
    }
}

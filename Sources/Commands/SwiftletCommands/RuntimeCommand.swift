import ArgumentParser
import Foundation
import GRPCCore
import Images
import LinuxSystem
import Logging
import Runtime
import ServiceLifecycle
import UnixSignals

/// `swiftlet runtime`: the CRI runtime daemon (serve, the default) and `swiftlet runtime import FILE`.
public struct RuntimeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "runtime", abstract: "Run the CRI v1 runtime (runc, OCI images, CNI) or import images into it.",
        subcommands: [RuntimeServeCommand.self, RuntimeImportCommand.self], defaultSubcommand: RuntimeServeCommand.self)

    public init() {}
}

/// The options the daemon and the import tool share: where the state lives.
struct RuntimeOptions: ParsableArguments {
    @Option(name: .long, help: "Persistent root: images and the containers' writable layers.")
    var root = "/var/lib/swiftlet/runtime"

    @Option(name: .long, help: "Registry mirrors, credentials and plain-HTTP hosts (registries.yaml form).")
    var registryConfig: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    /// The image store's directory below `root`.
    var imageDirectory: String { root + "/images" }

    /// Opens the image store, which the caller must own (``ImageStoreOwnership``).
    func imageStore(logger: Logger) throws -> ImageStore {
        let registries = try registryConfig.map { try RegistryConfiguration.load(fromFile: $0) } ?? RegistryConfiguration()
        return try ImageStore(root: imageDirectory, registries: registries, logger: logger)
    }
}

struct RuntimeServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve CRI on a unix socket.")

    @OptionGroup var options: RuntimeOptions

    @Option(name: .long, help: "The CRI socket, as unix:///path.")
    var listen = "unix:///run/swiftlet/cri.sock"

    @Option(name: .long, help: "Directory of CNI network configurations (the first one in name order is used).")
    var cniConfDir = "/etc/cni/net.d"

    @Option(name: .long, help: "Directories of CNI plugin executables, colon-separated.")
    var cniBinDir = "/opt/cni/bin"

    @Option(name: .long, help: "The image a sandbox's infra container runs (pods sharing their PID namespace, or every pod with --drop-infra-ctr false).")
    var pauseImage = "registry.k8s.io/pause:3.10"

    @Option(name: .long, help: "Run pods that do not share their PID namespace without an infra container, their ipc/uts namespaces pinned (CRI-O's drop_infra_ctr).")
    var dropInfraCtr = true

    @Option(name: .long, help: "Per-boot state on tmpfs: sandbox and container records, bundles, sandbox files, the CNI result cache.")
    var state = "/run/swiftlet/runtime"

    @Option(name: .long, help: "runc's state directory.")
    var runcRoot = "/run/swiftlet/runc"

    @Option(name: .long, help: "The runc executable.")
    var runc = "/usr/bin/runc"

    @Option(name: .long, help: "The container monitor executable (default: swiftlet-shim beside this binary).")
    var shim: String?

    @Option(name: .long, help: "Rotate a container's log past this many bytes (0: never).")
    var containerLogMaxSize = 10 * 1024 * 1024

    @Option(name: .long, help: "host:port of /healthz and /metrics (empty: not served; port 0: any free one).")
    var metricsListen = ""

    @Option(name: .long, help: "host:port of the exec streaming server whose URLs Exec returns (port 0: any free one).")
    var streamingListen = "127.0.0.1:0"

    func validate() throws {
        guard ListenAddress(streamingListen) != nil else { throw ValidationError("--streaming-listen must be host:port") }
        guard listen.hasPrefix("unix://") else { throw ValidationError("--listen must be unix:///path, got \(listen)") }
        guard metricsListen.isEmpty || ListenAddress(metricsListen) != nil else { throw ValidationError("--metrics-listen must be host:port") }
    }

    func run() async throws {
        DaemonHeap.limitArenas()
        let logger = Logging.make(label: "swiftlet.runtime", level: options.logLevel)
        let registry = HealthEndpoint.bootstrapMetrics()
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        let configuration = RuntimeConfiguration(
            root: options.root, state: state, runcRoot: runcRoot, runcPath: runc, shimPath: shim ?? executable + "/swiftlet-shim",
            cniConfigDirectory: cniConfDir, cniPluginDirectories: cniBinDir.split(separator: ":").map(String.init),
            pauseImage: pauseImage, registryConfigFile: options.registryConfig, containerLogMaxSize: containerLogMaxSize,
            dropInfraContainer: dropInfraCtr)
        guard FileManager.default.isExecutableFile(atPath: configuration.shimPath) else {
            throw ValidationError("container monitor \(configuration.shimPath) is missing or not executable (--shim)")
        }
        guard Cgroupfs.isMounted else {
            throw ValidationError("no cgroup file system is mounted at \(Cgroupfs.mountPoint), so runc cannot create containers"
                                  + " (`ip netns exec` mounts a fresh /sys without it: run under `nsenter --net=/run/netns/NAME` instead)")
        }
        guard let ownership = try ImageStoreOwnership.claim(options.imageDirectory) else {
            throw ExitMessage("the image store \(options.imageDirectory) belongs to another process: a `swiftlet runtime` already"
                              + " serving with --root \(options.root), or a `swiftlet runtime import` into it")
        }
        let runtime = try await ContainerRuntime(configuration: configuration, images: try options.imageStore(logger: logger), logger: logger)
        let server = RuntimeServer(socketPath: String(listen.dropFirst("unix://".count)), runtime: runtime, logger: logger)
        let streaming = ListenAddress(streamingListen).map { StreamingServer(host: $0.host, port: $0.port, runtime: runtime, logger: logger) }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: server)] + (streaming.map { [.init(service: $0)] } ?? [])
        services.append(.init(service: HeapTrimService()))
        if let address = ListenAddress(metricsListen) {
            services.append(.init(service: HealthEndpoint(address: address, registry: registry, isHealthy: { true }, logger: logger)))
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        withExtendedLifetime(ownership) {}
    }
}

/// `swiftlet runtime import FILE`: into the store directly while no runtime runs on `--root`, else through the
/// running runtime's socket, since only the store's owner may write it (``ImageStoreOwnership``).
struct RuntimeImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import an OCI image archive (air-gapped nodes).",
        discussion: "While a runtime serves with the same --root, the import goes through its socket (--listen) and the"
            + " image is usable at once; otherwise it is written into the store for the next runtime to start.")

    @OptionGroup var options: RuntimeOptions

    @Option(name: .long, help: "The CRI socket of the runtime serving with --root, as unix:///path.")
    var listen = "unix:///run/swiftlet/cri.sock"

    @Argument(help: "An OCI image-layout tar (skopeo copy … oci-archive:FILE).")
    var file: String

    func validate() throws {
        guard listen.hasPrefix("unix://") else { throw ValidationError("--listen must be unix:///path, got \(listen)") }
    }

    func run() async throws {
        let path = URL(fileURLWithPath: file).standardizedFileURL.path
        let imported: [(repoTags: [String], id: String)]
        if let ownership = try ImageStoreOwnership.claim(options.imageDirectory) {
            let logger = Logging.make(label: "swiftlet.runtime", level: options.logLevel)
            imported = try await options.imageStore(logger: logger).importArchive(path).map { ($0.repoTags, $0.id) }
            withExtendedLifetime(ownership) {}
        } else {
            let socket = String(listen.dropFirst("unix://".count))
            do {
                imported = try await ImageImportService.importArchive(path, throughSocket: socket)
            } catch let error as RPCError where error.code == .unavailable {
                throw ExitMessage("a runtime owns the image store \(options.imageDirectory), but nothing answers on \(socket)"
                                  + " (give that runtime's socket with --listen): \(error.message)")
            } catch let error as RPCError {
                throw ExitMessage(error.message)
            }
        }
        for image in imported {
            print("imported \(image.repoTags.joined(separator: ", ")) \(image.id)")
        }
    }
}

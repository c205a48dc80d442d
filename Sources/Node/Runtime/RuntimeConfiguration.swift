/// Where `swiftlet runtime` keeps its state and finds its tools: the flags of the command, with upstream's
/// defaults (containerd's CNI directories, a 10 MiB log rotation size, the kubelet's pause image).
///
/// Split as containerd splits `/var/lib/containerd` and `/run/containerd`: ``root`` holds what outlives a reboot
/// (images, the containers' writable layers), ``state`` what only running pods need (records, bundles, sandbox files,
/// the CNI result cache), on tmpfs so the dozens of files each pod creates and removes cost no disk I/O.
public struct RuntimeConfiguration: Sendable {
    /// Persistent root: `images/` (ImageStore) and `writable-layers/<id>/{upper,work}`, each container's (and infra
    /// container's) overlay upper directory, on disk as containerd's snapshots are.
    public var root: String
    /// Per-boot state, on tmpfs: `sandboxes/<id>/` (record, hostname/hosts/resolv.conf, /dev/shm, pinned namespaces,
    /// the infra container's bundle), `containers/<id>/` (record, bundle, the monitor's pid/exit files), `cni/`. A
    /// restarted daemon finds everything here; after a reboot no container runs and it starts empty, as CRI-O does.
    public var state: String
    /// runc's own state directory (`runc --root`), on tmpfs like containerd's `/run/containerd/runc`.
    public var runcRoot: String
    public var runcPath: String
    /// The container monitor executable (built next to `swiftlet`).
    public var shimPath: String
    public var cniConfigDirectory: String
    public var cniPluginDirectories: [String]
    /// The image a sandbox's infra ("pause") container runs (pods sharing their PID namespace, see
    /// ``dropInfraContainer``).
    public var pauseImage: String
    /// Registry mirrors, credentials and plain-HTTP hosts (`--registry-config`).
    public var registryConfigFile: String?
    /// A container log is rotated to `<path>.1` past this size; 0 disables rotation.
    public var containerLogMaxSize: Int
    /// `/dev/shm` size of a sandbox (containerd's 64 MiB).
    public var sandboxShmSize: Int
    /// Run pods that do not share their PID namespace without an infra container, their ipc/uts namespaces pinned
    /// by bind mounts instead (CRI-O's `drop_infra_ctr`, on by default there too); false: every pod gets one.
    public var dropInfraContainer: Bool

    public init(
        root: String = "/var/lib/swiftlet/runtime", state: String = "/run/swiftlet/runtime", runcRoot: String = "/run/swiftlet/runc",
        runcPath: String = "/usr/bin/runc", shimPath: String, cniConfigDirectory: String = "/etc/cni/net.d", cniPluginDirectories: [String] = ["/opt/cni/bin"],
        pauseImage: String = "registry.k8s.io/pause:3.10", registryConfigFile: String? = nil,
        containerLogMaxSize: Int = 10 * 1024 * 1024, sandboxShmSize: Int = 64 * 1024 * 1024,
        dropInfraContainer: Bool = true
    ) {
        self.root = root
        self.state = state
        self.runcRoot = runcRoot
        self.runcPath = runcPath
        self.shimPath = shimPath
        self.cniConfigDirectory = cniConfigDirectory
        self.cniPluginDirectories = cniPluginDirectories
        self.pauseImage = pauseImage
        self.registryConfigFile = registryConfigFile
        self.containerLogMaxSize = containerLogMaxSize
        self.sandboxShmSize = sandboxShmSize
        self.dropInfraContainer = dropInfraContainer
    }
}

extension RuntimeConfiguration {
    /// The one runtime handler served, runc, which is also the default (containerd's `default_runtime_name`): a pod
    /// naming no handler (`""`) runs under it. There is no configuration for others.
    public static let defaultRuntimeHandler = "runc"

    /// The handlers the runtime serves, as CRI `Status` lists them: each configured one by name, and the default once
    /// more under the empty name, as containerd lists them. runc runs here without recursive read-only mounts or user
    /// namespaces, so neither feature is claimed.
    public static var runtimeHandlers: [String] { [defaultRuntimeHandler, ""] }

    /// Refuses a sandbox asking for a handler there is no runtime for, in containerd's words and with its gRPC code
    /// (`unknown`: containerd's error carries no other); `""` and `runc` run runc.
    static func requireSandboxRuntime(for handler: String) throws {
        guard handler.isEmpty || handler == defaultRuntimeHandler else {
            throw RuntimeError.noSandboxRuntime(handler)
        }
    }
}

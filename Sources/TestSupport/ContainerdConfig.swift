/// A containerd 1.6 config (`version = 2`) for tests and benchmarks: root, state and socket of its own,
/// the snapshotters this machine lacks disabled, `restrict_oom_score_adj` (no CAP_SYS_RESOURCE here), and
/// optionally a CNI setup, a sandbox image and a plain-HTTP registry mirror.
public struct ContainerdConfig: Sendable {
    public var directory: String
    /// containerd's `state` (its tasks' bundles, runc's state): `<directory>/state` unless set (a node has it on tmpfs,
    /// `/run/containerd`).
    public var stateDirectory: String?
    public var socket: String
    public var cniPluginDirectory: String?
    public var cniConfigDirectory: String?
    public var sandboxImage: String?
    /// `host:port` of a registry reached over plain HTTP.
    public var registry: String?
    public var snapshotter = "native"
    /// The CRI streaming server's loopback port (0: any free one).
    public var streamServerPort = 0

    public init(directory: String, socket: String) {
        self.directory = directory
        self.socket = socket
    }

    /// runc's `--root` for the shim's containers (`<root>/<namespace>/<id>`), in the state directory: the shim's
    /// default is the host's `/run/containerd/runc`, which a test's clean-up would not look in.
    public var runcRoot: String { (stateDirectory ?? directory + "/state") + "/runc" }

    public var toml: String {
        var cri = """
            [plugins."io.containerd.grpc.v1.cri"]
              restrict_oom_score_adj = true
              stream_server_address = "127.0.0.1"
              stream_server_port = "\(streamServerPort)"

            """
        if let sandboxImage { cri += "  sandbox_image = \"\(sandboxImage)\"\n" }
        cri += """
              [plugins."io.containerd.grpc.v1.cri".cni]
                bin_dir = "\(cniPluginDirectory ?? directory + "/cni/bin")"
                conf_dir = "\(cniConfigDirectory ?? directory + "/cni/net.d")"
              [plugins."io.containerd.grpc.v1.cri".containerd]
                snapshotter = "\(snapshotter)"
              [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                runtime_type = "io.containerd.runc.v2"
              [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                Root = "\(runcRoot)"

            """
        if let registry {
            cri += """
                  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."\(registry)"]
                    endpoint = ["http://\(registry)"]

                """
        }
        return """
            version = 2
            root = "\(directory)/root"
            state = "\(stateDirectory ?? directory + "/state")"
            disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", \
            "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", \
            "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

            [grpc]
              address = "\(socket)"

            [plugins."io.containerd.internal.v1.opt"]
              path = "\(directory)/opt"

            """ + cri
    }
}

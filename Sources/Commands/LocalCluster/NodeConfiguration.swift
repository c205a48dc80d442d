import KubeAPI

/// What one node of a local cluster runs — a `swiftlet runtime` and a `swiftlet agent` — and where their state
/// lives, as the command-line flags of the two daemons. Several nodes on one machine differ in every path,
/// socket, cgroup root and network namespace.
public struct NodeConfiguration: Codable, Sendable, Equatable {
    public var name: String
    /// Everything of the node below this: `runtime/`, `agent/`, `pods/` (logs), `cni/` (its network config).
    public var directory: String
    public var podCIDR: String
    /// The InternalIP; detected by the agent when nil.
    public var nodeIP: String?
    /// The kube-dns Service address pods use (`--cluster-dns`), none when nil.
    public var clusterDNS: String?
    public var cgroupRoot: String
    /// `/var/run/netns/NAME` when the node runs in a network namespace of its own.
    public var networkNamespace: String?
    public var criSocket: String
    /// The runtime's per-boot state (`swiftlet runtime --state`): records, bundles, sandbox files.
    public var runtimeState: String
    public var runcRoot: String
    public var cniBinDirectory: String
    /// The bridge the node's CNI config attaches pods to.
    public var cniBridge: String
    public var pauseImage: String
    /// The node's `topology.kubernetes.io/zone` (`--node-labels`), none when nil.
    public var zone: String?

    public init(name: String, directory: String, podCIDR: String, nodeIP: String? = nil, clusterDNS: String? = nil,
                cgroupRoot: String = "/", networkNamespace: String? = nil, criSocket: String, runtimeState: String, runcRoot: String,
                cniBinDirectory: String, cniBridge: String = "swiftlet0", pauseImage: String = "swiftlet.local/pause:3.10",
                zone: String? = nil) {
        self.name = name
        self.directory = directory
        self.podCIDR = podCIDR
        self.nodeIP = nodeIP
        self.clusterDNS = clusterDNS
        self.cgroupRoot = cgroupRoot
        self.networkNamespace = networkNamespace
        self.criSocket = criSocket
        self.runtimeState = runtimeState
        self.runcRoot = runcRoot
        self.cniBinDirectory = cniBinDirectory
        self.cniBridge = cniBridge
        self.pauseImage = pauseImage
        self.zone = zone
    }

    /// The runtime's persistent root (`--root`): images and writable layers.
    public var runtimeRoot: String { directory + "/runtime" }
    public var agentRoot: String { directory + "/agent" }
    public var podLogDirectory: String { directory + "/pods" }
    public var cniConfigDirectory: String { directory + "/cni" }
    /// host-local's allocations, per node so no node's GC ever sees another's addresses.
    public var ipamDirectory: String { directory + "/ipam" }

    /// `swiftlet runtime serve …`.
    public var runtimeArguments: [String] {
        ["runtime", "serve", "--root", runtimeRoot, "--state", runtimeState, "--listen", "unix://" + criSocket, "--runc-root", runcRoot,
         "--pause-image", pauseImage, "--cni-bin-dir", cniBinDirectory, "--cni-conf-dir", cniConfigDirectory]
    }

    /// `swiftlet agent …`, cleaning up after itself on SIGTERM (a local cluster leaves nothing behind).
    public func agentArguments(kubeconfig: String) -> [String] {
        var arguments = ["agent", "--kubeconfig", kubeconfig, "--node-name", name, "--root-dir", agentRoot,
                         "--pod-log-dir", podLogDirectory, "--container-runtime-endpoint", "unix://" + criSocket,
                         "--pod-cidr", podCIDR, "--cgroup-root", cgroupRoot, "--clean-up-on-exit"]
        if let nodeIP { arguments += ["--node-ip", nodeIP] }
        if let clusterDNS { arguments += ["--cluster-dns", clusterDNS] }
        if let zone { arguments += ["--node-labels", Node.zoneLabel + "=" + zone] }
        return arguments
    }

    /// The node's CNI network config (`cni/10-swiftlet.conflist` with this node's subnet, bridge and IPAM directory):
    /// bridge + host-local, then portmap.
    public func conflist() throws(LocalClusterError) -> String {
        guard let slash = podCIDR.firstIndex(of: "/"), let gateway = Self.firstHost(String(podCIDR[..<slash])) else {
            throw LocalClusterError(.invalid, "pod CIDR \(podCIDR) is not an IPv4 network")
        }
        return """
        {
          "cniVersion": "1.1.0",
          "cniVersions": ["0.4.0", "1.0.0", "1.1.0"],
          "name": "swiftlet",
          "plugins": [
            {
              "type": "swiftlet-bridge",
              "bridge": "\(cniBridge)",
              "isGateway": true,
              "ipMasq": true,
              "hairpinMode": true,
              "ipam": {
                "type": "swiftlet-host-local",
                "ranges": [[{ "subnet": "\(podCIDR)", "gateway": "\(gateway)" }]],
                "routes": [{ "dst": "0.0.0.0/0" }],
                "dataDir": "\(ipamDirectory)"
              }
            },
            {
              "type": "swiftlet-portmap",
              "capabilities": { "portMappings": true },
              "snat": true
            }
          ]
        }

        """
    }

    /// `a.b.c.d` → `a.b.c.(d+1)` for a network address.
    static func firstHost(_ network: String) -> String? {
        let octets = network.split(separator: ".").compactMap { UInt8($0) }
        guard octets.count == 4, octets[3] < 255 else { return nil }
        return "\(octets[0]).\(octets[1]).\(octets[2]).\(octets[3] + 1)"
    }
}

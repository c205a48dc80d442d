import KubeAPI
import KubeClient

/// What `swiftlet agent` runs with: the flags of the command, with the kubelet's defaults.
public struct KubeletConfiguration: Sendable {
    public var nodeName: String
    /// The kubelet's own state (`/var/lib/kubelet` upstream): pod directories live below it.
    public var rootDirectory: String
    /// Where container logs go: `<podLogDirectory>/<namespace>_<name>_<uid>/<container>/<restart>.log`.
    public var podLogDirectory: String
    /// The CRI runtime's socket path (`unix://` stripped).
    public var runtimeSocket: String
    public var podCIDR: String?
    /// The node's address reported as InternalIP; detected when nil.
    public var nodeIP: String?
    /// Nameservers and domain for dnsPolicy ClusterFirst (`--cluster-dns`, `--cluster-domain`).
    public var clusterDNS: [String]
    public var clusterDomain: String
    /// Lease renewal interval (upstream: 10 s, lease duration 40 s).
    public var leaseRenewInterval: Duration
    public var leaseDurationSeconds: Int32
    /// How often the node status is recomputed and written when it changed (upstream: 10 s).
    public var nodeStatusUpdateFrequency: Duration
    /// Where the kubelet's server (container logs) listens, and its port (reported in the Node status).
    public var address: String = "0.0.0.0"
    public var port: Int = 10250
    /// The cgroup (cgroupfs path) pods' `kubepods` hierarchy lives below (`--cgroup-root`): `/` upstream; one of
    /// its own per kubelet when several share a machine.
    public var cgroupRoot: String = "/"
    /// On graceful shutdown, stop and remove every pod's containers and sandboxes (and their volumes and cgroups)
    /// instead of leaving them running for the next start: for throwaway nodes (`swiftlet up`, `swiftlet lab`).
    public var removePodsOnShutdown = false
    /// Pods the node accepts (`--max-pods`).
    public var maxPods: Int
    /// CrashLoopBackOff: the first delay and its cap (upstream: 10 s doubling to 5 min).
    public var backOffInitial: Duration
    public var backOffMaximum: Duration
    /// The static pod manifest directory (`--pod-manifest-path`), and how often it is re-read.
    public var podManifestPath: String?
    public var fileCheckFrequency: Duration = .seconds(20)
    /// Callers of the kubelet's port without credentials are `system:anonymous` (`--anonymous-auth`; upstream's
    /// KubeletConfiguration default: off, so they get 401).
    public var anonymousAuth = false
    /// How callers of the kubelet's port are authorized (`--authorization-mode`, upstream's default Webhook).
    public var authorizationMode = AuthorizationMode.webhook
    /// Renew the client certificate of `kubeconfigPath` through CSRs before it expires (`--rotate-certificates`).
    public var rotateCertificates = false
    /// The kubeconfig the client certificate lives in, rewritten on rotation.
    public var kubeconfigPath: String?
    /// The bootstrap credentials (`--bootstrap-kubeconfig`), used for the CSR once the client certificate expired.
    public var bootstrapClient: KubeClient.Configuration?
    /// Request the kubelet port's serving certificate from the cluster CA through `kubernetes.io/kubelet-serving`
    /// CSRs and renew it (`--rotate-server-certificates`, upstream's `serverTLSBootstrap`).
    public var rotateServerCertificates = false
    /// Where the agent serves `/healthz` (`--healthz-bind-address`), reported by `/configz`; nil: not known here.
    public var healthzBindAddress: (host: String, port: Int)?
    /// Labels the Node is registered with, over the kubelet's own (`--node-labels`; not applied to a Node that
    /// already exists, as upstream).
    public var nodeLabels: [String: String] = [:]
    /// Taints the Node is registered with (`--register-with-taints`; likewise only at registration).
    public var registerWithTaints: [Taint] = []
    /// What is held back from pods and when the node is under pressure (`--kube-reserved`, `--system-reserved`,
    /// `--eviction-hard`, `--eviction-soft`, `--eviction-minimum-reclaim`; upstream's defaults).
    public var resourcePolicy = NodeResourcePolicy()
    /// How long a pressure condition stays True after its signals recovered (`--eviction-pressure-transition-period`).
    public var evictionPressureTransitionPeriod: Duration = .seconds(300)
    /// The longest grace period (seconds) a pod evicted for a soft threshold gets (`--eviction-max-pod-grace-period`;
    /// negative: the pod's own).
    public var evictionMaxPodGracePeriod: Int64 = 0
    /// The sysctls pods may set (the safe ones and `--allowed-unsafe-sysctls`).
    public var sysctls = SysctlAllowlist.safeOnly
    /// When unused images are removed (`--image-gc-high-threshold`, `--image-gc-low-threshold`,
    /// `--minimum-image-ttl-duration`).
    public var imageGC = ImageGCPolicy()
    /// How running containers' logs are rotated (`--container-log-max-size`, `--container-log-max-files`,
    /// `--container-log-max-workers`, `--container-log-monitor-interval`).
    public var containerLogs = ContainerLogPolicy()
    /// The most processes and threads a pod may run (`--pod-max-pids`, the pod cgroup's `pids.max`); 0 or negative:
    /// no limit of its own, as upstream's default -1.
    public var podPidsLimit: Int64 = -1
    /// How images are pulled (`--serialize-image-pulls`, `--max-parallel-image-pulls`, `--registry-qps`, `--registry-burst`).
    public var imagePulls = ImagePullPolicy()

    /// How requests to the kubelet's port are authorized.
    public enum AuthorizationMode: String, Sendable, CaseIterable {
        /// A SubjectAccessReview per request (cached), as upstream's default.
        case webhook = "Webhook"
        /// Every authenticated request is allowed.
        case alwaysAllow = "AlwaysAllow"
    }

    public init(
        nodeName: String, rootDirectory: String = "/var/lib/swiftlet/agent", podLogDirectory: String = "/var/log/pods",
        runtimeSocket: String = "/run/swiftlet/cri.sock", podCIDR: String? = nil, nodeIP: String? = nil,
        clusterDNS: [String] = [], clusterDomain: String = "cluster.local",
        leaseRenewInterval: Duration = .seconds(10), leaseDurationSeconds: Int32 = 40,
        nodeStatusUpdateFrequency: Duration = .seconds(10), maxPods: Int = 110,
        backOffInitial: Duration = .seconds(10), backOffMaximum: Duration = .seconds(300)
    ) {
        self.nodeName = nodeName
        self.rootDirectory = rootDirectory
        self.podLogDirectory = podLogDirectory
        self.runtimeSocket = runtimeSocket
        self.podCIDR = podCIDR
        self.nodeIP = nodeIP
        self.clusterDNS = clusterDNS
        self.clusterDomain = clusterDomain
        self.leaseRenewInterval = leaseRenewInterval
        self.leaseDurationSeconds = leaseDurationSeconds
        self.nodeStatusUpdateFrequency = nodeStatusUpdateFrequency
        self.maxPods = maxPods
        self.backOffInitial = backOffInitial
        self.backOffMaximum = backOffMaximum
    }
}

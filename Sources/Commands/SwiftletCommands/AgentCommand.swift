import ArgumentParser
import Foundation
import KubeAPI
import KubeClient
import Kubelet
import Logging
import PodRoutes
import Prometheus
import Proxy
import ServiceLifecycle
import UnixSignals

/// `swiftlet agent`: the node agent (kubelet) talking to the API server with a kubeconfig and to a CRI
/// runtime (`swiftlet runtime` or containerd) over its socket.
public struct AgentCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "agent", abstract: "Run the node agent (kubelet).")

    @OptionGroup var node: NodeClientOptions

    @Option(name: .long, help: ArgumentHelp("Kubeconfig with bootstrap credentials (a bootstrap token): when --kubeconfig is missing or its client certificate has expired, the agent requests a node client certificate with it and writes --kubeconfig.", valueName: "path"))
    var bootstrapKubeconfig: String?

    @Flag(name: .long, inversion: .prefixedNo, help: "Renew the client certificate of --kubeconfig through CertificateSigningRequests at 70-90% of its lifetime, switching the running agent over without a restart (upstream's --rotate-certificates, on as kubeadm sets it).")
    var rotateCertificates = true

    @Flag(name: .long, help: "Request the kubelet port's serving certificate from the cluster CA with a kubernetes.io/kubelet-serving CertificateSigningRequest (approved by an admin: kubectl certificate approve) and renew it before it expires; until one is issued, and once it has expired unrenewed, the port has no certificate and TLS handshakes fail (upstream's --rotate-server-certificates / serverTLSBootstrap).")
    var rotateServerCertificates = false

    @Option(name: .long, help: "The agent's state directory.")
    var rootDir = "/var/lib/swiftlet/agent"

    @Option(name: .long, help: "Where pod logs go.")
    var podLogDir = "/var/log/pods"

    @Option(name: .long, help: "The CRI runtime socket, as unix:///path.")
    var containerRuntimeEndpoint = "unix:///run/swiftlet/cri.sock"

    @Option(name: .long, help: "The node's pod CIDR, recorded in Node.spec.podCIDR.")
    var podCIDR: String?

    @Option(name: .long, help: "The address reported as the node's InternalIP (default: detected).")
    var nodeIP: String?

    @Option(name: .long, help: "Cluster DNS server IPs for dnsPolicy ClusterFirst (comma-separated).")
    var clusterDNS: String?

    @Option(name: .long, help: "The cluster's DNS domain.")
    var clusterDomain = "cluster.local"

    @Option(name: .long, help: "A directory of static pod manifests the agent runs itself (with mirror pods in the API server).")
    var podManifestPath: String?

    @Option(name: .long, help: "How often the static pod manifests are re-read (e.g. 20s).")
    var fileCheckFrequency = DurationArgument(.seconds(20), text: "20s")

    @Option(name: .long, help: "Pods this node accepts.")
    var maxPods = 110

    @Option(name: .long, help: "Address of the kubelet server (container logs for `kubectl logs`).")
    var address = "0.0.0.0"

    @Option(name: .long, help: "Port of the kubelet server.")
    var port = 10250

    @Flag(name: .long, inversion: .prefixedNo, help: "Callers of the kubelet port without credentials are system:anonymous (otherwise 401).")
    var anonymousAuth = false

    @Option(name: .long, help: "How callers of the kubelet port are authorized: Webhook (a SubjectAccessReview per request, cached) or AlwaysAllow.")
    var authorizationMode = "Webhook"

    @Option(name: .long, help: "host:port of /healthz, /readyz and /metrics (port 0: any free one).")
    var healthzBindAddress = "127.0.0.1:10248"

    @Option(name: .long, help: "Service proxy inside the agent: nftables, iptables or none.")
    var proxyMode = "nftables"

    @Option(name: .long, help: "host:port of the proxy's JSON /healthz and /livez (kube-proxy's 0.0.0.0:10256; empty: not served).")
    var proxyHealthzBindAddress = ""

    @Option(name: .long, help: "The cgroup pods' kubepods hierarchy lives below (one per agent when several share a machine).")
    var cgroupRoot = "/"

    @Flag(name: .long, inversion: .prefixedNo, help: "Route every other node's pod CIDR via its InternalIP (host-gw).")
    var podRoutes = true

    @Flag(name: .long, help: "On SIGTERM remove every pod (containers, sandboxes, volumes, cgroups), the proxy's table and the pod routes: for throwaway nodes.")
    var cleanUpOnExit = false

    @Option(name: .long, help: ArgumentHelp("Labels to add when registering the node (key=value,…); in the kubernetes.io and k8s.io namespaces only those a kubelet may set (kubelet.kubernetes.io/…, node.kubernetes.io/…, topology.kubernetes.io/zone and region, …). Not applied to a Node that already exists.", valueName: "labels"))
    var nodeLabels = ""

    @Option(name: .long, help: ArgumentHelp("Register the node with these taints (key=value:effect,…; effect NoSchedule, PreferNoSchedule or NoExecute). Not applied to a Node that already exists.", valueName: "taints"))
    var registerWithTaints = ""

    @Option(name: .long, help: ArgumentHelp("Resources reserved for the Kubernetes daemons, held back from pods' allocatable (cpu=100m,memory=500Mi,ephemeral-storage=1Gi,pid=1000).", valueName: "resources"))
    var kubeReserved = ""

    @Option(name: .long, help: ArgumentHelp("Resources reserved for the operating system, held back from pods' allocatable (same form as --kube-reserved).", valueName: "resources"))
    var systemReserved = ""

    @Option(name: .long, help: ArgumentHelp("Hard eviction thresholds (signal<amount or signal<percent,…; memory.available, nodefs.available, nodefs.inodesFree, imagefs.available, imagefs.inodesFree, pid.available): below them the node reports memory, disk or PID pressure and evicts pods, one every 10 s; memory.available and nodefs.available are held back from allocatable. Replaces the defaults.", valueName: "thresholds"))
    var evictionHard = NodeResourcePolicy.defaultEvictionHard

    @Option(name: .long, help: ArgumentHelp("Soft eviction thresholds (same form as --eviction-hard): below them the node reports pressure at once, and evicts pods once a threshold has been crossed for its --eviction-soft-grace-period.", valueName: "thresholds"))
    var evictionSoft = ""

    @Option(name: .long, help: ArgumentHelp("How long each soft eviction threshold must be crossed before pods are evicted (signal=duration,…, e.g. memory.available=1m30s); one for every --eviction-soft signal.", valueName: "periods"))
    var evictionSoftGracePeriod = ""

    @Option(name: .long, help: "The longest grace period (seconds) a pod evicted for a soft threshold gets; a pod asking for less gets its own. Negative: always the pod's own.")
    var evictionMaxPodGracePeriod: Int64 = 0

    @Option(name: .long, help: ArgumentHelp("How much more than a threshold must be available before the node stops evicting for it (signal=amount or signal=percent,…, e.g. memory.available=0Mi,nodefs.available=500Mi).", valueName: "amounts"))
    var evictionMinimumReclaim = ""

    @Option(name: .long, help: "How long a pressure condition stays True after its signals are back above their thresholds.")
    var evictionPressureTransitionPeriod = DurationArgument(.seconds(300), text: "5m0s")

    @Option(name: .long, help: ArgumentHelp("Unsafe sysctls pods may set besides the safe ones (names, or prefixes ending in *, of the IPC and network namespaces: kernel.shm*,kernel.msg*,kernel.sem,fs.mqueue.*,net.*). Pods asking for others are refused (SysctlForbidden).", valueName: "sysctls"))
    var allowedUnsafeSysctls = ""

    @Option(name: .long, help: "The image file system's usage (percent) at which unused images are removed, least recently used first.")
    var imageGCHighThreshold = 85

    @Option(name: .long, help: "The image file system's usage (percent) image garbage collection frees down to.")
    var imageGCLowThreshold = 80

    @Option(name: .long, help: "How long an unused image is kept at least after it was first seen.")
    var minimumImageTtlDuration = DurationArgument(.seconds(120), text: "2m0s")

    @Option(name: .long, help: "The most processes and threads each pod may run (its cgroup's pids.max); -1: no limit of its own.")
    var podMaxPids: Int64 = -1

    @Option(name: .long, help: "Pull images one at a time, in the order pods ask for them (false: in parallel, up to --max-parallel-image-pulls).")
    var serializeImagePulls = true

    @Option(name: .long, help: "With --serialize-image-pulls=false, the most image pulls at once (unset: no limit).")
    var maxParallelImagePulls: Int?

    @Option(name: .long, help: "Image pulls a second the runtime is asked for; past it a pull fails (pull QPS exceeded) and backs off. 0: no limit.")
    var registryQps = 5

    @Option(name: .long, help: "Image pulls allowed in a burst above --registry-qps.")
    var registryBurst = 10

    @Option(name: .long, help: ArgumentHelp("The size (a quantity) at which a running container's log is rotated; negative: never.", valueName: "size"))
    var containerLogMaxSize = "10Mi"

    @Option(name: .long, help: "Log files kept per container, the one being written included (older ones compressed).")
    var containerLogMaxFiles = 5

    @Option(name: .long, help: "Containers whose logs are rotated concurrently.")
    var containerLogMaxWorkers = 1

    @Option(name: .long, help: "How often running containers' log sizes are looked at.")
    var containerLogMonitorInterval = DurationArgument(.seconds(10), text: "10s")

    public init() {}

    public func validate() throws {
        guard ListenAddress(healthzBindAddress) != nil else { throw ValidationError("--healthz-bind-address must be host:port") }
        guard proxyHealthzBindAddress.isEmpty || ListenAddress(proxyHealthzBindAddress) != nil else {
            throw ValidationError("--proxy-healthz-bind-address must be host:port")
        }
        guard proxyMode == "none" || ProxyMode(rawValue: proxyMode) != nil else {
            throw ValidationError("--proxy-mode must be nftables, iptables or none, got \(proxyMode)")
        }
        guard KubeletConfiguration.AuthorizationMode(rawValue: authorizationMode) != nil else {
            throw ValidationError("--authorization-mode must be Webhook or AlwaysAllow, got \(authorizationMode)")
        }
        guard cgroupRoot.hasPrefix("/") else { throw ValidationError("--cgroup-root must be an absolute cgroup path, got \(cgroupRoot)") }
        guard containerRuntimeEndpoint.hasPrefix("unix://") else {
            throw ValidationError("--container-runtime-endpoint must be unix:///path, got \(containerRuntimeEndpoint)")
        }
        _ = try registration()
        _ = try resourcePolicy()
        _ = try sysctls()
        _ = try imageGC()
        _ = try containerLogs()
        _ = try imagePulls()
    }

    /// A map flag's value read by `parser`, refused as upstream's flag parsing refuses it:
    /// `invalid argument "<value>" for "--<flag>" flag: <why>`.
    private func parse<T>(_ flag: String, _ value: String, _ parser: (String) throws(KubeletFlagError) -> T) throws -> T {
        do { return try parser(value) } catch { throw ValidationError("invalid argument \"\(value)\" for \"--\(flag)\" flag: \(error)") }
    }

    /// `--kube-reserved`, `--system-reserved`, `--eviction-hard`, `--eviction-soft` (with its grace periods) and
    /// `--eviction-minimum-reclaim`, refused in upstream kubelet's words.
    func resourcePolicy() throws -> NodeResourcePolicy {
        var policy = NodeResourcePolicy(kubeReserved: try parse("kube-reserved", kubeReserved, NodeResourcePolicy.reservation),
                                        systemReserved: try parse("system-reserved", systemReserved, NodeResourcePolicy.reservation),
                                        evictionHard: try parse("eviction-hard", evictionHard, NodeResourcePolicy.evictionThresholds))
        do {
            policy.evictionSoft = try NodeResourcePolicy.softEvictionThresholds(evictionSoft, gracePeriods: evictionSoftGracePeriod)
            try policy.setMinimumReclaims(evictionMinimumReclaim)
        } catch {
            throw ValidationError("failed to create kubelet: \(error)")
        }
        return policy
    }

    /// `--image-gc-high-threshold`, `--image-gc-low-threshold` and `--minimum-image-ttl-duration`, refused in upstream
    /// kubelet's words.
    func imageGC() throws -> ImageGCPolicy {
        let policy = ImageGCPolicy(highThresholdPercent: imageGCHighThreshold, lowThresholdPercent: imageGCLowThreshold,
                                   minimumAge: minimumImageTtlDuration.duration)
        do { try policy.validate() } catch { throw ValidationError("\(error)") }
        return policy
    }

    /// `--serialize-image-pulls`, `--max-parallel-image-pulls`, `--registry-qps` and `--registry-burst`, refused in
    /// upstream kubelet's words.
    func imagePulls() throws -> ImagePullPolicy {
        do {
            return try ImagePullPolicy.parse(serialize: serializeImagePulls, maxParallel: maxParallelImagePulls, registryQPS: registryQps,
                                             registryBurst: registryBurst)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// `--container-log-max-size`, `--container-log-max-files`, `--container-log-max-workers` and
    /// `--container-log-monitor-interval`, refused in upstream kubelet's words.
    func containerLogs() throws -> ContainerLogPolicy {
        do {
            return try ContainerLogPolicy.parse(maxSize: containerLogMaxSize, maxFiles: containerLogMaxFiles, maxWorkers: containerLogMaxWorkers,
                                                monitorInterval: containerLogMonitorInterval.duration)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// `--allowed-unsafe-sysctls`, refused in upstream kubelet's words.
    func sysctls() throws -> SysctlAllowlist {
        let patterns = allowedUnsafeSysctls.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        do { return try SysctlAllowlist(unsafe: patterns) } catch { throw ValidationError("invalid configuration: \(error)") }
    }

    /// `--node-labels` and `--register-with-taints`, refused in upstream kubelet's words.
    func registration() throws -> (labels: [String: String], taints: [Taint]) {
        let labels = try parse("node-labels", nodeLabels, NodeRegistrationFlags.nodeLabels)
        let taints = try parse("register-with-taints", registerWithTaints, NodeRegistrationFlags.taints)
        do { try NodeRegistrationFlags.validate(nodeLabels: labels) } catch {
            throw ValidationError("failed to validate kubelet flags: \(error)")
        }
        return (labels, taints)
    }

    public func run() async throws {
        DaemonHeap.limitArenas()
        let logger = Logging.make(label: "swiftlet.agent", level: node.logLevel)
        let registry = HealthEndpoint.bootstrapMetrics()
        var configuration = KubeletConfiguration(
            nodeName: node.resolvedNodeName, rootDirectory: rootDir, podLogDirectory: podLogDir,
            runtimeSocket: String(containerRuntimeEndpoint.dropFirst("unix://".count)), podCIDR: podCIDR, nodeIP: nodeIP,
            clusterDNS: clusterDNS.map { $0.split(separator: ",").map(String.init) } ?? [], clusterDomain: clusterDomain, maxPods: maxPods)
        configuration.address = address
        configuration.port = port
        configuration.podManifestPath = podManifestPath
        configuration.fileCheckFrequency = fileCheckFrequency.duration
        configuration.cgroupRoot = cgroupRoot
        configuration.removePodsOnShutdown = cleanUpOnExit
        (configuration.nodeLabels, configuration.registerWithTaints) = try registration()
        configuration.resourcePolicy = try resourcePolicy()
        configuration.evictionPressureTransitionPeriod = evictionPressureTransitionPeriod.duration
        configuration.evictionMaxPodGracePeriod = evictionMaxPodGracePeriod
        configuration.sysctls = try sysctls()
        configuration.imageGC = try imageGC()
        configuration.containerLogs = try containerLogs()
        configuration.imagePulls = try imagePulls()
        configuration.podPidsLimit = podMaxPids
        configuration.anonymousAuth = anonymousAuth
        configuration.authorizationMode = KubeletConfiguration.AuthorizationMode(rawValue: authorizationMode) ?? .webhook
        configuration.rotateCertificates = rotateCertificates
        configuration.kubeconfigPath = node.kubeconfig
        configuration.rotateServerCertificates = rotateServerCertificates
        // Port 0 (any free one) is not a port /configz could report.
        configuration.healthzBindAddress = ListenAddress(healthzBindAddress).flatMap { $0.port == 0 ? nil : ($0.host, $0.port) }
        var proxyConfiguration = ProxyConfiguration()
        proxyConfiguration.healthzBindAddress = ListenAddress(proxyHealthzBindAddress).map { ($0.host, $0.port) }
        let agent = Agent(kubeconfig: node.kubeconfig, bootstrapKubeconfig: bootstrapKubeconfig, configuration: configuration,
                          proxyMode: ProxyMode(rawValue: proxyMode), proxyConfiguration: proxyConfiguration, podRoutes: podRoutes,
                          cleanUpOnExit: cleanUpOnExit, healthzBindAddress: ListenAddress(healthzBindAddress)!, logLevel: node.logLevel,
                          registry: registry, logger: logger)
        // SIGTERM/SIGINT are trapped once, around everything the agent does — the TLS bootstrap's wait for its
        // certificate included — so a signal during a start-up wait ends the agent as cleanly (exit 0) as later; a
        // second one during the graceful shutdown exits at once (status 1), as upstream's kubelet does.
        let group = ServiceGroup(configuration: .init(services: [.init(service: agent, serviceName: "agent")], logger: logger))
        try await ShutdownSignals.run(group, logger: logger)
    }
}

/// The agent inside the signal-trapping group of `AgentCommand`: the TLS bootstrap (given up on graceful
/// shutdown), then the kubelet, proxy, pod routes and health endpoint as one service group, shut down in reverse
/// order when the outer group's graceful shutdown reaches it.
private struct Agent: ServiceLifecycle.Service {
    let kubeconfig: String
    let bootstrapKubeconfig: String?
    let configuration: KubeletConfiguration
    let proxyMode: ProxyMode?
    let proxyConfiguration: ProxyConfiguration
    let podRoutes: Bool
    let cleanUpOnExit: Bool
    let healthzBindAddress: ListenAddress
    let logLevel: String
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    func run() async throws {
        var configuration = configuration
        if let bootstrapKubeconfig {
            let current = FileManager.default.fileExists(atPath: kubeconfig)
                ? try? KubeconfigFile.configuration(path: kubeconfig, userAgent: "swiftlet-agent") : nil
            let bootstrap = try KubeconfigFile.configuration(path: bootstrapKubeconfig, userAgent: "swiftlet-agent/bootstrap")
            let tlsBootstrap = TLSBootstrap(nodeName: configuration.nodeName, kubeconfigPath: kubeconfig,
                                            certificateDirectory: "\(configuration.rootDirectory)/pki", logger: logger)
            do {
                _ = try await cancelWhenGracefulShutdown { try await tlsBootstrap.ensureCertificate(current: current, bootstrap: bootstrap) }
            } catch where Task.isShuttingDownGracefully {
                logger.info("shut down before the node's client certificate was issued")
                return
            }
            configuration.bootstrapClient = bootstrap
        }
        let client = try KubeconfigFile.client(path: kubeconfig, userAgent: "swiftlet-agent", logger: logger)
        let registry = registry
        let kubelet = Kubelet(configuration: configuration, client: client, metrics: { registry.emitToString() }, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: kubelet)]
        var proxy: ProxyServer?
        if let proxyMode {
            let server = try ProxyServer(client: client, nodeName: configuration.nodeName, mode: proxyMode, configuration: proxyConfiguration,
                                         logger: Logging.make(label: "swiftlet.proxy", level: logLevel))
            services.append(.init(service: ProxyService(server, removeRulesOnShutdown: cleanUpOnExit)))
            proxy = server
        }
        if podRoutes {
            let routes = try PodRouteController(client: client, nodeName: configuration.nodeName,
                                                logger: Logging.make(label: "swiftlet.routes", level: logLevel))
            services.append(.init(service: PodRouteService(routes, removeRoutesOnShutdown: cleanUpOnExit)))
        }
        services.append(.init(service: HeapTrimService()))
        let health = HealthEndpoint(address: healthzBindAddress, registry: registry,
                                    isHealthy: { [proxy] in proxy?.isHealthy ?? true }, logger: logger)
        services.append(.init(service: health))
        // No signals of its own: the outer group's graceful shutdown reaches this one as its parent's.
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        try await group.run()
        try await client.shutdown()
    }
}

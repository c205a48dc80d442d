import APIServer
import ArgumentParser
import ClusterDNS
import ClusterPKI
import Controllers
import Foundation
import KubeAPI
import KubeClient
import Logging
import Scheduler
import ServiceLifecycle
import Store

/// `swiftlet server`: the API server with its embedded store and the controllers; writes `DIR/admin.kubeconfig`.
public struct ServerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "server", abstract: "Run the Kubernetes API server and controllers.")

    @Option(name: .long, help: "Where the store and the kubeconfig live.")
    var dataDir = "/var/lib/swiftlet/server"

    @Option(name: .long, help: "Where API objects live: sqlite:PATH, or etcd://HOST:PORT[,HOST:PORT…] for an etcd v3 cluster (default: sqlite:DATA-DIR/state.db).")
    var store: String?

    @Option(name: .long, help: "host:port to listen on (port 0 picks a free one).")
    var listen = "127.0.0.1:6443"

    @Option(name: .long, help: "The Service ClusterIP range.")
    var serviceClusterIPRange = "10.96.0.0/12"

    @Option(name: .long, help: "Controllers to run: '*' all, 'name' on, '-name' off (as kube-controller-manager's --controllers), e.g. '*,-daemonset,-job,-ttl-after-finished,-nodelifecycle,-taint-eviction-controller'.")
    var controllers = "*"

    @Option(name: .long, help: "How long a node may go without renewing its Lease or posting status before it is marked Unknown.")
    var nodeMonitorGracePeriod = DurationArgument(.seconds(50), text: "50s")

    @Option(name: .long, help: "How often the node lifecycle controller checks node health.")
    var nodeMonitorPeriod = DurationArgument(.seconds(5), text: "5s")

    @Option(name: .long, help: "How long a new node may go without ever posting status before it is marked Unknown.")
    var nodeStartupGracePeriod = DurationArgument(.seconds(60), text: "1m0s")

    @Option(name: .long, help: "How often the horizontal pod autoscaler syncs each HorizontalPodAutoscaler (a new or changed one waits this long too).")
    var horizontalPodAutoscalerSyncPeriod = DurationArgument(.seconds(15), text: "15s")

    @Option(name: .long, help: "Scaling down, the horizontal pod autoscaler applies the highest recommendation of this long.")
    var horizontalPodAutoscalerDownscaleStabilization = DurationArgument(.seconds(300), text: "5m0s")

    @Option(name: .long, help: "The horizontal pod autoscaler leaves the scale alone while the ratio of the metric to its target is within this of 1.0.")
    var horizontalPodAutoscalerTolerance = 0.1

    @Option(name: .long, help: "After a pod starts, the horizontal pod autoscaler counts its CPU only once a whole metrics window followed its last readiness change, for this long.")
    var horizontalPodAutoscalerCpuInitializationPeriod = DurationArgument(.seconds(300), text: "5m0s")

    @Option(name: .long, help: "A pod not Ready this long after it started, and never Ready since, is unready to the horizontal pod autoscaler.")
    var horizontalPodAutoscalerInitialReadinessDelay = DurationArgument(.seconds(30), text: "30s")

    @Option(name: .long, help: "Terminated pods (Succeeded or Failed) kept before the pod garbage collector deletes the oldest; 0 keeps them all.")
    var terminatedPodGcThreshold = 12_500

    @Flag(name: .long, inversion: .prefixedNo, help: "Run controllers only while holding the kube-system/kube-controller-manager Lease, the scheduler only while holding kube-system/kube-scheduler.")
    var leaderElect = true

    @Option(name: .long, help: "How long a leader's Lease stays valid without renewal; a candidate takes over after that.")
    var leaderElectLeaseDuration = DurationArgument(.seconds(15), text: "15s")

    @Option(name: .long, help: "How long a leader keeps retrying to renew its Lease before it steps down.")
    var leaderElectRenewDeadline = DurationArgument(.seconds(10), text: "10s")

    @Option(name: .long, help: "How often candidates try to take the Lease and the leader renews it.")
    var leaderElectRetryPeriod = DurationArgument(.seconds(2), text: "2s")

    @Flag(name: .long, inversion: .prefixedNo, help: "Run the scheduler, binding pods without a node to Ready nodes.")
    var scheduler = true

    @Option(name: .long, help: "Watch history kept: at least this many revisions…")
    var historyRevisions: Int64 = 1000

    @Option(name: .long, help: "…or at least this many seconds, whichever keeps more.")
    var historySeconds: Int = 300

    @Option(name: .long, help: "Seconds between background compactions of the store.")
    var compactionInterval: Int = 60

    @Option(name: .customLong("event-ttl"), help: "Amount of time to retain events: each write of an Event gives it this long again before the store deletes it; 0 keeps Events (kube-apiserver's flag).")
    var eventTTL = DurationArgument(.seconds(3600), text: "1h0m0s")

    @Option(name: .long, help: "Serve cluster DNS on IP[:PORT] (port 53 by default), UDP and TCP, and keep the kube-system/kube-dns Service (the tenth address of the range) pointing there. Off when not given.")
    var clusterDNSAddress: String?

    @Option(name: .long, help: "The IPv4 address pods reach this server at: the endpoint of the default/kubernetes Service (KUBERNETES_SERVICE_HOST), kept with the other servers' by 15 s leases (default: the --listen address when it is a specific non-loopback IPv4 address; otherwise the Service has no endpoints).")
    var advertiseAddress: String?

    @Option(name: .long, help: "The cluster domain cluster DNS answers for.")
    var clusterDomain = "cluster.local"

    @Option(name: .long, help: "Upstream resolver for names outside the cluster, IP[:PORT]; repeat for more (default: the nameservers of /etc/resolv.conf).")
    var clusterDNSUpstream: [String] = []

    @Flag(name: .long, help: "Serve plain HTTP without authentication or authorization (every request acts with full rights): for labs and benchmarks only. Default: HTTPS with the cluster's certificates.")
    var insecureHTTP = false

    @Option(name: .long, help: "An extra DNS name or IP address for the serving certificate; repeat for more.")
    var tlsSan: [String] = []

    @Option(name: .long, help: "The cluster token: servers of one store given the same token share its CA (default: DATA-DIR/token, created on first start).")
    var token: String?

    @Option(name: .long, help: "Static bearer tokens: a CSV of token,user,uid[,\"group1,group2\"] (upstream's --token-auth-file).")
    var tokenAuthFile: String?

    @Flag(name: .long, help: "Bearer tokens <id>.<secret> authenticate as system:bootstrap:<id> while a kube-system/bootstrap-token-<id> Secret allows it (upstream's --enable-bootstrap-token-auth).")
    var enableBootstrapTokenAuth = false

    @Flag(name: .long, help: "Let requests without credentials through as system:anonymous (group system:unauthenticated), for RBAC to judge; without it they get 401.")
    var anonymousAuth = false

    @Option(name: .long, help: "The longest certificate csrsigning issues; a CSR's spec.expirationSeconds may ask for less (upstream's kube-controller-manager flag).")
    var clusterSigningDuration = DurationArgument(.seconds(365 * 86400), text: "8760h0m0s")

    @Option(name: .long, help: "How long the certificates the server issues itself last (serving, admin, its components' and the kubelet-client certificate); each is re-issued while the server runs when a fifth of its lifetime is left (kubeadm's certificateValidityPeriod).")
    var certificateValidity = DurationArgument(.seconds(365 * 86400), text: "8760h0m0s")

    @Flag(name: .long, inversion: .prefixedNo, help: "Run the built-in metrics server: scrape every Ready node's kubelet (/metrics/resource) and serve metrics.k8s.io/v1beta1 nodes and pods for kubectl top (k3s's bundled metrics-server).")
    var metricsServer = true

    @Option(name: .long, help: "How often the metrics server scrapes the kubelets; CPU is the rate between the last two scrapes. Must be at least 10s (metrics-server's flag and rule).")
    var metricResolution = DurationArgument(.seconds(15), text: "15s")

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    public init() {}

    public func validate() throws {
        guard ListenAddress(listen) != nil else { throw ValidationError("--listen must be host:port, got \(listen)") }
        if let store {
            do { _ = try StoreLocation(parsing: store) } catch { throw ValidationError("--store: \(error)") }
        }
        do { _ = try ControllerSelection(parsing: controllers) } catch { throw ValidationError("--controllers: \(error)") }
        for (flag, value) in [("lease-duration", leaderElectLeaseDuration), ("renew-deadline", leaderElectRenewDeadline),
                              ("retry-period", leaderElectRetryPeriod)] where value.duration <= .zero {
            throw ValidationError("--leader-elect-\(flag) must be greater than zero")
        }
        // client-go's rules: the lease outlives the renew deadline, which allows for a jittered retry (×1.2).
        guard leaderElectLeaseDuration.duration > leaderElectRenewDeadline.duration else {
            throw ValidationError("--leader-elect-lease-duration (\(leaderElectLeaseDuration)) must be greater than --leader-elect-renew-deadline (\(leaderElectRenewDeadline))")
        }
        guard leaderElectRenewDeadline.duration > leaderElectRetryPeriod.duration * 1.2 else {
            throw ValidationError("--leader-elect-renew-deadline (\(leaderElectRenewDeadline)) must be greater than --leader-elect-retry-period (\(leaderElectRetryPeriod)) × 1.2")
        }
        guard clusterSigningDuration.duration > .zero else { throw ValidationError("--cluster-signing-duration must be positive") }
        guard certificateValidity.duration > .zero else { throw ValidationError("--certificate-validity must be positive") }
        // metrics-server's Options.validate. Its other rule, 90 % of the resolution at least --kubelet-request-timeout,
        // holds by construction: the scraper gives each kubelet 90 % of the resolution.
        guard metricResolution.duration >= .seconds(10) else {
            throw ValidationError("metric-resolution should be a time duration at least 10s, but value \(GoDuration.string(metricResolution.duration)) provided")
        }
        guard nodeMonitorPeriod.duration > .zero else { throw ValidationError("--node-monitor-period must be positive") }
        guard horizontalPodAutoscalerSyncPeriod.duration > .zero else {
            throw ValidationError("--horizontal-pod-autoscaler-sync-period must be positive")
        }
        guard nodeMonitorGracePeriod.duration > nodeMonitorPeriod.duration else {
            throw ValidationError("--node-monitor-grace-period (\(nodeMonitorGracePeriod)) must be longer than --node-monitor-period (\(nodeMonitorPeriod))")
        }
        if let clusterDNSAddress {
            let address: (host: String, port: Int)
            do { address = try ClusterDNSConfiguration.hostAndPort(clusterDNSAddress) } catch {
                throw ValidationError("--cluster-dns-address must be IP[:PORT], got \(clusterDNSAddress)")
            }
            // The kube-dns EndpointSlice names this address: pods must be able to reach it.
            guard IPAddress(address.host)?.bytes.allSatisfy({ $0 == 0 }) == false, address.port > 0 else {
                throw ValidationError("--cluster-dns-address must be a specific address and port (pods reach it through kube-dns), not \(clusterDNSAddress)")
            }
        }
        if let advertiseAddress {
            let parts = advertiseAddress.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }), advertiseAddress != "0.0.0.0" else {
                throw ValidationError("--advertise-address must be a specific IPv4 address, got \(advertiseAddress)")
            }
        }
        if insecureHTTP, tokenAuthFile != nil || anonymousAuth || enableBootstrapTokenAuth || !tlsSan.isEmpty {
            throw ValidationError("--insecure-http serves without TLS or authentication: --token-auth-file, --enable-bootstrap-token-auth, --anonymous-auth and --tls-san do not apply")
        }
        if let tokenAuthFile, !FileManager.default.isReadableFile(atPath: tokenAuthFile) {
            throw ValidationError("--token-auth-file: cannot read \(tokenAuthFile)")
        }
        do { _ = try DomainName(clusterDomain) } catch { throw ValidationError("--cluster-domain: \(error)") }
        for upstream in clusterDNSUpstream {
            do { _ = try ClusterDNSConfiguration.hostAndPort(upstream) } catch {
                throw ValidationError("--cluster-dns-upstream must be IP[:PORT], got \(upstream)")
            }
        }
    }

    public func run() async throws {
        let logger = Logging.make(label: "swiftlet.server", level: logLevel)
        let address = ListenAddress(listen)!
        let dns = try clusterDNSAddress.map { text in
            let (host, port) = try ClusterDNSConfiguration.hostAndPort(text)
            return ClusterDNSConfiguration(host: host, port: port, domain: clusterDomain,
                                           upstreams: clusterDNSUpstream.isEmpty ? nil : clusterDNSUpstream)
        }
        let server = try await APIServer(
            configuration: .init(dataDirectory: dataDir, host: address.host, port: address.port, serviceCIDR: serviceClusterIPRange,
                                 store: try store.map(StoreLocation.init(parsing:)),
                                 retention: .init(minimumRevisions: historyRevisions, minimumAge: .seconds(historySeconds),
                                                  interval: .seconds(compactionInterval)),
                                 clusterDNS: dns.map { APIServer.ClusterDNSEndpoint(address: $0.host, port: $0.port) },
                                 advertiseAddress: advertiseAddress,
                                 tls: insecureHTTP ? nil : .init(subjectAlternativeNames: tlsSan, token: token, clusterDomain: clusterDomain,
                                                                 certificateValidity: certificateValidity.duration, anonymousAuth: anonymousAuth, tokenAuthFile: tokenAuthFile,
                                                                 bootstrapTokenAuth: enableBootstrapTokenAuth),
                                 eventTTL: eventTTL.duration > .zero ? eventTTL.duration : nil,
                                 metricResolution: metricsServer ? metricResolution.duration : nil),
            metrics: HealthEndpoint.bootstrapMetrics(), logger: logger)
        let selection = try ControllerSelection(parsing: controllers)
        let leaderElection: LeaderElector.Configuration? = leaderElect
            ? LeaderElector.Configuration(leaseDuration: leaderElectLeaseDuration.duration, renewDeadline: leaderElectRenewDeadline.duration,
                                          retryPeriod: leaderElectRetryPeriod.duration)
            : nil
        let dataDir = self.dataDir
        let (ready, announceReady) = AsyncStream.makeStream(of: Int.self)
        let nodeLifecycle = NodeLifecycleController.Configuration(nodeMonitorPeriod: nodeMonitorPeriod.duration,
                                                                  nodeMonitorGracePeriod: nodeMonitorGracePeriod.duration,
                                                                  nodeStartupGracePeriod: nodeStartupGracePeriod.duration)
        let horizontalPodAutoscaler = HorizontalPodAutoscalerController.Configuration(
            syncPeriod: horizontalPodAutoscalerSyncPeriod.duration,
            downscaleStabilization: horizontalPodAutoscalerDownscaleStabilization.duration,
            tolerance: horizontalPodAutoscalerTolerance,
            cpuInitializationPeriod: horizontalPodAutoscalerCpuInitializationPeriod.duration,
            initialReadinessDelay: horizontalPodAutoscalerInitialReadinessDelay.duration)
        let podGC = PodGCController.Configuration(terminatedPodThreshold: terminatedPodGcThreshold)
        let (dnsReady, announceDNSReady) = AsyncStream.makeStream(of: Int.self)
        let (adminReady, announceAdminReady) = AsyncStream.makeStream(of: Int.self)
        let clients = InProcessClients(server: server, host: address.clientHost)
        var services: [any ServiceLifecycle.Service] = []
        if !selection.enabled.isEmpty || scheduler {
            services.append(ControllerService(ports: ready, clients: clients, selection: selection, scheduler: scheduler,
                                              nodeLifecycle: nodeLifecycle, horizontalPodAutoscaler: horizontalPodAutoscaler,
                                              podGC: podGC, leaderElection: leaderElection,
                                              signingDuration: clusterSigningDuration.duration, logger: logger))
        }
        if let dns {
            services.append(ClusterDNSService(ports: dnsReady, clients: clients, configuration: dns, logger: logger))
        }
        if let interval = server.certificateRotationCheckInterval {
            services.append(AdminKubeconfigRenewal(ports: adminReady, server: server, host: address.clientHost, dataDirectory: dataDir,
                                                   interval: interval, logger: logger))
        }
        try await server.run(services: services) { port in
            let kubeconfig = "\(dataDir)/admin.kubeconfig"
            let url = "\(server.scheme)://\(address.clientHost):\(port)"
            do {
                try AdminKubeconfig.write(server: server, url: url, dataDirectory: dataDir, to: kubeconfig)
                logger.info("serving", metadata: ["url": "\(url)", "kubeconfig": "\(kubeconfig)"])
            } catch {
                logger.error("cannot write kubeconfig", metadata: ["path": "\(kubeconfig)", "error": "\(error)"])
            }
            for announce in [announceReady, announceDNSReady, announceAdminReady] {
                announce.yield(port)
                announce.finish()
            }
        }
    }
}

/// Cluster DNS as a service of the server's group: it starts once the API server listens and reads Services and
/// EndpointSlices from it over HTTP through KubeClient, as CoreDNS does.
struct ClusterDNSService: ServiceLifecycle.Service {
    let ports: AsyncStream<Int>
    let clients: InProcessClients
    let configuration: ClusterDNSConfiguration
    let logger: Logger

    func run() async throws {
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { return }
        let client = try KubeClient(configuration: clients.configuration(port: port, user: "system:coredns", userAgent: "swiftlet/cluster-dns"),
                                    logger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { [clients, logger] in await clients.renewCertificate(of: client, user: "system:coredns", logger: logger) }
                try await ClusterDNSServer(configuration: configuration, client: client, logger: logger).run()
                group.cancelAll()
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }
}

/// The controller manager and the scheduler as a service of the server's group: it starts once the API server listens, reaches it over
/// HTTP through KubeClient (as kube-controller-manager does), and stops first on SIGTERM.
struct ControllerService: ServiceLifecycle.Service {
    let ports: AsyncStream<Int>
    let clients: InProcessClients
    let selection: ControllerSelection
    let scheduler: Bool
    let nodeLifecycle: NodeLifecycleController.Configuration
    let horizontalPodAutoscaler: HorizontalPodAutoscalerController.Configuration
    let podGC: PodGCController.Configuration
    let leaderElection: LeaderElector.Configuration?
    let signingDuration: Duration
    let logger: Logger

    func run() async throws {
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { return }
        let client = try KubeClient(configuration: clients.configuration(port: port, user: "system:kube-controller-manager",
                                                                         userAgent: "swiftlet/controller-manager"), logger: logger)
        // The scheduler authenticates as itself, as kube-scheduler does.
        let schedulerClient = try KubeClient(configuration: clients.configuration(port: port, user: "system:kube-scheduler",
                                                                                  userAgent: "swiftlet/scheduler"), logger: logger)
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { await clients.renewCertificate(of: client, user: "system:kube-controller-manager", logger: logger) }
                    group.addTask { await clients.renewCertificate(of: schedulerClient, user: "system:kube-scheduler", logger: logger) }
                    if !selection.enabled.isEmpty {
                        group.addTask {
                            try await ControllerManager(client: client, controllers: selection, nodeLifecycle: nodeLifecycle,
                                                        horizontalPodAutoscaler: horizontalPodAutoscaler, podGC: podGC,
                                                        leaderElection: leaderElection, signingAuthority: clients.server.signingAuthority,
                                                        signingDuration: Double(signingDuration.components.seconds), logger: logger).run()
                        }
                    }
                    if scheduler {
                        // Its own election, as kube-scheduler runs apart from kube-controller-manager.
                        group.addTask {
                            guard let leaderElection else { return try await Scheduler(client: schedulerClient, logger: logger).run() }
                            var election = leaderElection
                            election.leaseName = "kube-scheduler"
                            await LeaderElector(client: schedulerClient, configuration: election, logger: logger).run {
                                try? await Scheduler(client: schedulerClient, logger: logger).run()
                            }
                        }
                    }
                }
            }
        } catch is CancellationError {}
        try await client.shutdown()
        try await schedulerClient.shutdown()
    }
}

/// `host:port`.
struct ListenAddress {
    var host: String
    var port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        self.port = port
        if host.isEmpty { return nil }
    }

    /// The address clients use: a wildcard listen address is reached over loopback; IPv6 in brackets.
    var clientHost: String {
        switch host {
        case "0.0.0.0": "127.0.0.1"
        case "::": "[::1]"
        default: host.contains(":") ? "[\(host)]" : host
        }
    }
}

/// Kubeconfig files for the clients of a server.
enum AdminKubeconfig {
    /// `DATA-DIR/admin.kubeconfig`: over HTTPS the cluster CA and a `kubernetes-admin` client certificate in
    /// `system:masters` (kept in `pki/admin.crt` and re-issued when it nears expiry or the CA changed); over plain
    /// HTTP just the URL.
    static func write(server: APIServer, url: String, dataDirectory: String, to path: String) throws {
        guard let ca = server.certificateAuthorityPEM else {
            try ClientKubeconfig(server: url, certificateAuthorityPEM: nil, user: "admin", credentials: .none).write(to: path)
            return
        }
        let certFile = "\(dataDirectory)/pki/admin.crt", keyFile = "\(dataDirectory)/pki/admin.key"
        let authority = try CertificateAuthority(certificatePEM: ca, keyPEM: (try? String(contentsOfFile: "\(dataDirectory)/pki/ca.key", encoding: .utf8)) ?? "")
        var admin = IssuedCertificate(certificateFile: certFile, keyFile: keyFile)
        if let existing = admin, existing.needsRotation() || !authority.signed(existing.certificatePEM) { admin = nil }
        if admin == nil, let issued = try server.issueClientCertificate(commonName: "kubernetes-admin", organizations: ["system:masters"]) {
            try issued.certificatePEM.write(toFile: certFile, atomically: true, encoding: .utf8)
            try OwnerOnlyFile.write(issued.keyPEM, to: keyFile)
            admin = issued
        }
        guard let admin else { throw PKIError("no admin certificate") }
        try ClientKubeconfig(server: url, certificateAuthorityPEM: ca, user: "kubernetes-admin", credentials: .certificate(admin)).write(to: path)
    }
}

/// Keeps `DATA-DIR/admin.kubeconfig` usable while the server runs: checked every `interval`, its certificate is
/// re-issued and the kubeconfig rewritten when a fifth of its lifetime is left, as the server's other certificates are.
struct AdminKubeconfigRenewal: ServiceLifecycle.Service {
    let ports: AsyncStream<Int>
    let server: APIServer
    let host: String
    let dataDirectory: String
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { return }
        let path = "\(dataDirectory)/admin.kubeconfig"
        try await CertificateRenewal(every: interval, [.init("the admin kubeconfig \(path)") {
            let current = IssuedCertificate(certificateFile: "\(dataDirectory)/pki/admin.crt", keyFile: "\(dataDirectory)/pki/admin.key")
            guard current?.needsRotation() ?? true else { return false }
            try AdminKubeconfig.write(server: server, url: "\(server.scheme)://\(host):\(port)", dataDirectory: dataDirectory, to: path)
            logger.notice("renewed the admin kubeconfig's client certificate", metadata: ["kubeconfig": "\(path)"])
            return true
        }], logger: logger).run()
    }
}

/// How the components running inside `swiftlet server` reach its API: over loopback, each with its own client
/// certificate (user `system:kube-controller-manager`, `system:kube-scheduler`, `system:coredns`) so RBAC treats them
/// as the separate programs upstream runs.
struct InProcessClients: Sendable {
    let server: APIServer
    let host: String
    /// One decode of each watch line for every in-process client (controllers, scheduler, cluster DNS watch the same
    /// pods, nodes and services).
    let watchDecoding = SharedWatchDecoding()

    func configuration(port: Int, user: String, userAgent: String) throws -> KubeClient.Configuration {
        var configuration = KubeClient.Configuration(server: URL(string: "\(server.scheme)://\(host):\(port)")!, userAgent: userAgent)
        // Controllers, the scheduler and cluster DNS never write managedFields back: skip decoding them.
        configuration.omitsManagedFields = true
        configuration.sharedWatchDecoding = watchDecoding
        if let ca = server.certificateAuthorityPEM, let issued = try server.issueClientCertificate(commonName: user) {
            configuration.certificateAuthority = Data(ca.utf8)
            configuration.clientCertificate = Data(issued.certificatePEM.utf8)
            configuration.clientKey = Data(issued.keyPEM.utf8)
        }
        return configuration
    }

    /// Keeps `client`'s certificate (issued for `user` by `configuration(port:user:userAgent:)`) fresh while the server
    /// runs: checked as often as the server checks its own, re-issued and swapped into the client when less than a
    /// fifth of its lifetime is left, as the serving certificate is. Returns when the task is cancelled, or at once
    /// over plain HTTP.
    func renewCertificate(of client: KubeClient, user: String, logger: Logger) async {
        guard let interval = server.certificateRotationCheckInterval else { return }
        await CertificateRenewal(every: interval, [.init("the client certificate of \(user)") {
            guard let pem = client.configuration.clientCertificate,
                  IssuedCertificate(certificatePEM: String(decoding: pem, as: UTF8.self), keyPEM: "", notAfter: .distantFuture).needsRotation(),
                  let issued = try server.issueClientCertificate(commonName: user) else { return false }
            try await client.updateClientCertificate(Data(issued.certificatePEM.utf8), key: Data(issued.keyPEM.utf8))
            logger.notice("renewed a component's client certificate", metadata: ["user": "\(user)", "notAfter": "\(issued.notAfter)"])
            return true
        }], logger: logger).renewPeriodically()
    }
}

/// Process-wide logging set-up for the commands.
enum Logging {
    static func make(label: String, level: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: level) ?? .info
        return logger
    }
}

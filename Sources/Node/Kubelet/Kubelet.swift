import CRI
import ClusterPKI
import Foundation
import KubeAPI
import KubeClient
import Logging
import ServiceLifecycle

/// `swiftlet agent`'s kubelet: registers the node and keeps its status and Lease, watches the pods bound to
/// it and runs them through the CRI runtime with one worker per pod, relisting the runtime every second
/// (upstream's PLEG period) so exits and restarts are noticed without events. While the API server is
/// unreachable pods keep running; status catches up once it is back.
public struct Kubelet: ServiceLifecycle.Service {
    let configuration: KubeletConfiguration
    let client: KubeClient
    let logger: Logger
    /// The process's metrics in the Prometheus text format, served on the kubelet port's `/metrics`.
    let metrics: (@Sendable () -> String)?

    public init(configuration: KubeletConfiguration, client: KubeClient, metrics: (@Sendable () -> String)? = nil, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        let connection = try RuntimeConnection(socketPath: configuration.runtimeSocket)
        KubeletMetrics.recordNodeName(configuration.nodeName)
        let heartbeat = try heartbeatClient()
        do {
            try await run(connection: connection, heartbeat: heartbeat)
        } catch {
            try? await heartbeat.shutdown()
            throw error
        }
        try? await heartbeat.shutdown()
    }

    private func run(connection: RuntimeConnection, heartbeat: KubeClient) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            if let manager = clientCertificateManager(heartbeat: heartbeat) {
                group.addTask { await manager.run() }
            }
            // The runtime may start after the agent, or never: the wait ends with a graceful shutdown (SIGTERM).
            let version: Runtime_V1_VersionResponse
            do {
                // The connection is opened once the socket is there: a dial that finds no socket puts the gRPC
                // channel into its reconnect back-off, and the agent learned of a runtime that came up a moment later
                // only when its first call timed out, 5 s on.
                try await cancelWhenGracefulShutdown { try await waitForSocket(connection.socketPath) }
                group.addTask { try await connection.run() }
                version = try await cancelWhenGracefulShutdown { try await waitForRuntime(connection) }
            } catch where Task.isShuttingDownGracefully {
                logger.info("shut down before the container runtime answered", metadata: ["socket": "\(configuration.runtimeSocket)"])
                group.cancelAll()
                return
            }
            logger.info("container runtime ready", metadata: ["runtime": "\(version.runtimeName) \(version.runtimeVersion)",
                                                              "socket": "\(configuration.runtimeSocket)"])
            let machine = MachineInfo.collect(rootDirectory: configuration.rootDirectory)
            let nodeEvents = EventRecorder(client: client, component: "kubelet", host: configuration.nodeName, logger: logger)
            let imageGC = ImageGCManager(connection: connection, policy: configuration.imageGC, events: nodeEvents,
                                         nodeName: configuration.nodeName, logger: logger)
            let summary = StatsSummaryProvider(nodeName: configuration.nodeName, rootDirectory: configuration.rootDirectory, connection: connection,
                                               cgroupRoot: configuration.cgroupRoot)
            let eviction = EvictionManager(configuration: configuration, summary: summary,
                                           memoryCapacity: machine.memoryBytes, events: nodeEvents, imageGC: imageGC, logger: logger)
            let nodeStatus = NodeStatusManager(client: heartbeat, connection: connection, configuration: configuration, eviction: eviction, logger: logger)
            let nodeIP = await nodeStatus.nodeIP
            // Services for the containers' environment variables, as upstream's kubelet has a service lister.
            let services = Informer<KubeAPI.Service>(client: client, logger: logger)
            // RuntimeClasses for the sandboxes' runtime handlers, as upstream's kubelet has a RuntimeClass lister.
            let runtimeClasses = Informer<RuntimeClass>(client: client, logger: logger)
            let workers = PodWorkers(client: client, connection: connection, configuration: configuration, nodeIP: nodeIP,
                                     node: NodeStatusManager.initialNode(configuration: configuration, machine: machine), memoryCapacity: machine.memoryBytes, services: services, runtimeClasses: runtimeClasses, logger: logger)
            await workers.setRuntimeName(version.runtimeName)
            let lease = NodeLease(client: heartbeat, nodeName: configuration.nodeName, renewInterval: configuration.leaseRenewInterval,
                                  durationSeconds: configuration.leaseDurationSeconds, logger: logger)
            let pods = Informer<Pod>(client: client, fieldSelector: "spec.nodeName=\(configuration.nodeName)", logger: logger)
            let events = pods.events()
            // This node as the API server has it, for admission (upstream's kubelet keeps a node lister of its own node).
            let ownNode = Informer<Node>(client: client, fieldSelector: "metadata.name=\(configuration.nodeName)", logger: logger)
            ownNode.addHandler(InformerHandler(onAdd: { await workers.setNode($0) }, onUpdate: { _, node in await workers.setNode(node) }))
            var server = KubeletServer(address: configuration.address, port: configuration.port,
                                       podLogDirectory: configuration.podLogDirectory, workers: workers, logger: logger)
            server.summary = summary
            server.cadvisor = CadvisorMetrics(summary: summary, cgroupRoot: configuration.cgroupRoot)
            server.metrics = metrics
            server.runtime = connection
            if client.configuration.usesTLS, let ca = client.configuration.certificateAuthority {
                let serving = configuration.rotateServerCertificates
                    ? KubeletServing(clientCA: ca, logger: logger)
                    : try KubeletServing(clientCA: ca, nodeName: configuration.nodeName, addresses: [nodeIP, configuration.address],
                                         rootDirectory: configuration.rootDirectory, logger: logger)
                if configuration.rotateServerCertificates {
                    let manager = try servingCertificateManager(serving, addresses: [configuration.nodeName, nodeIP])
                    group.addTask { await manager.run() }
                }
                server.tls = try serving.tlsConfiguration()
                server.auth = KubeletAuth(nodeName: configuration.nodeName, anonymous: configuration.anonymousAuth,
                                          mode: configuration.authorizationMode, client: client, logger: logger)
            }
            let configuration = configuration, secured = server.auth != nil
            server.configz = { configuration.configz(secured: secured) }
            group.addTask { try await server.run() }
            group.addTask { await nodeStatus.run() }
            group.addTask { await lease.run() }
            group.addTask { await pods.run() }
            group.addTask { await services.run() }
            group.addTask { await runtimeClasses.run() }
            group.addTask { await ownNode.run() }
            group.addTask { await eviction.run(workers: workers) }
            group.addTask { await imageGC.run() }
            let containerLogs = ContainerLogManager(connection: connection, policy: configuration.containerLogs, logger: logger)
            group.addTask { await containerLogs.run() }
            let staticPods = configuration.podManifestPath.map {
                StaticPodSource(directory: $0, nodeName: configuration.nodeName, frequency: configuration.fileCheckFrequency,
                                client: client, workers: workers, logger: logger)
            }
            if let staticPods {
                group.addTask {
                    try? await pods.waitForSync()
                    await staticPods.run()
                }
            }
            group.addTask {
                // Upstream's HandlePodAdditions admits pods oldest first: those bound before the agent started are
                // admitted in creation order before any later change (the stream repeats them; a repeat changes nothing),
                // against the node's labels and taints as the API server has them, not as it was registered.
                try? await pods.waitForSync()
                try? await ownNode.waitForSync()
                if let node = ownNode.get(name: configuration.nodeName) { await workers.setNode(node) }
                for pod in pods.list().sorted(by: { ($0.metadata.creationTimestamp?.date ?? .distantPast, $0.metadata.name ?? "")
                                                      < ($1.metadata.creationTimestamp?.date ?? .distantPast, $1.metadata.name ?? "") }) {
                    await workers.update(pod)
                }
                // Only now the relists start: one before the workers know every bound pod (and every static pod) would
                // take those pods' sandboxes for orphans and remove them under running containers.
                await staticPods?.scan()
                await withDiscardingTaskGroup { loops in
                    loops.addTask {
                        for await event in events {
                            switch event {
                            case .added(let pod), .updated(old: _, new: let pod): await workers.update(pod)
                            case .deleted(let pod): await workers.remove(pod)
                            }
                        }
                    }
                    loops.addTask {
                        while !Task.isCancelled {
                            await workers.resync()
                            try? await Task.sleep(for: .seconds(1))
                        }
                    }
                }
            }
            try await gracefulShutdown()
            if configuration.removePodsOnShutdown {
                await workers.removeAllPods(grace: 2)
            }
            group.cancelAll()
        }
    }

    /// The client of the node's status and Lease (upstream's heartbeat client): the agent's credentials, with each request
    /// bounded by the status update period or the Lease duration, whichever is shorter (10 s by default), so an API
    /// server that accepts connections but does not answer delays the next heartbeat by that much and not by the
    /// ordinary 60 s request timeout.
    func heartbeatClient() throws -> KubeClient {
        var heartbeat = client.configuration
        heartbeat.requestTimeout = min(configuration.nodeStatusUpdateFrequency, .seconds(Int64(configuration.leaseDurationSeconds)))
        heartbeat.connectTimeout = min(heartbeat.connectTimeout, heartbeat.requestTimeout)
        return try KubeClient(configuration: heartbeat, logger: logger)
    }

    /// With `rotateCertificates` and a kubeconfig holding a client certificate: the manager that renews it through
    /// `kubernetes.io/kube-apiserver-client-kubelet` CSRs, rewrites the kubeconfig and switches the API clients (the
    /// agent's and the heartbeat's) over.
    func clientCertificateManager(heartbeat: KubeClient) -> CertificateManager? {
        let current = client.configuration
        guard configuration.rotateCertificates, let kubeconfig = configuration.kubeconfigPath,
              let certificate = current.clientCertificate.map({ String(decoding: $0, as: UTF8.self) }),
              let key = current.clientKey.map({ String(decoding: $0, as: UTF8.self) }),
              let notAfter = IssuedCertificate.notAfter(ofPEM: certificate) else { return nil }
        let nodeName = configuration.nodeName, directory = configuration.rootDirectory + "/pki", client = client
        return CertificateManager(kind: .client, template: .client(nodeName: nodeName),
                                  current: IssuedCertificate(certificatePEM: certificate, keyPEM: key, notAfter: notAfter),
                                  client: client, fallback: configuration.bootstrapClient, logger: logger,
                                  store: { issued in
                                      try TLSBootstrap.writeClientCertificate(issued, nodeName: nodeName, server: current.server,
                                                                              certificateAuthority: current.certificateAuthority,
                                                                              certificateDirectory: directory, kubeconfigPath: kubeconfig)
                                  },
                                  install: { issued in
                                      try await client.updateClientCertificate(Data(issued.certificatePEM.utf8), key: Data(issued.keyPEM.utf8))
                                      try await heartbeat.updateClientCertificate(Data(issued.certificatePEM.utf8), key: Data(issued.keyPEM.utf8))
                                  })
    }

    /// With `rotateServerCertificates`: serves the CSR-issued certificate kept from an earlier run (when still valid)
    /// and returns the manager that requests one (`kubernetes.io/kubelet-serving`, which an admin approves) and
    /// renews it before it expires; as upstream, until the first is issued — and after the current one expired
    /// unrenewed — the port has no certificate and handshakes fail.
    func servingCertificateManager(_ serving: KubeletServing, addresses: [String]) throws -> CertificateManager {
        let stored = KubeletServing.storedIssued(rootDirectory: configuration.rootDirectory)
        if let stored {
            try serving.install(stored)
        } else {
            logger.notice("no serving certificate available for the kubelet until its kubernetes.io/kubelet-serving CSR is approved")
        }
        let root = configuration.rootDirectory
        return CertificateManager(kind: .server, template: .server(nodeName: configuration.nodeName, addresses: addresses),
                                  current: stored, client: client, logger: logger,
                                  store: { try KubeletServing.store($0, rootDirectory: root) },
                                  install: { try serving.install($0) })
    }

    /// Waits until the runtime's socket exists (the runtime may start after the agent), saying so once after a second.
    private func waitForSocket(_ path: String) async throws {
        let waiting = ContinuousClock.now
        var reported = false
        while !FileManager.default.fileExists(atPath: path) {
            if !reported, ContinuousClock.now - waiting > .seconds(1) {
                logger.notice("waiting for the container runtime's socket", metadata: ["socket": "\(path)"])
                reported = true
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits for the runtime's socket to answer `Version`.
    private func waitForRuntime(_ connection: RuntimeConnection) async throws -> Runtime_V1_VersionResponse {
        var request = Runtime_V1_VersionRequest()
        request.version = "v1"
        while true {
            do {
                return try await connection.runtime.version(request, options: RuntimeConnection.options(.seconds(5)))
            } catch {
                logger.warning("container runtime not reachable yet", metadata: ["socket": "\(configuration.runtimeSocket)", "error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}

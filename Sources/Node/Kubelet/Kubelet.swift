import CRI
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

    public init(configuration: KubeletConfiguration, client: KubeClient, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
    }

    public func run() async throws {
        let connection = try RuntimeConnection(socketPath: configuration.runtimeSocket)
        KubeletMetrics.recordNodeName(configuration.nodeName)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await connection.run() }
            let version = try await waitForRuntime(connection)
            logger.info("container runtime ready", metadata: ["runtime": "\(version.runtimeName) \(version.runtimeVersion)",
                                                              "socket": "\(configuration.runtimeSocket)"])
            let nodeStatus = NodeStatusManager(client: client, connection: connection, configuration: configuration, logger: logger)
            let nodeIP = await nodeStatus.nodeIP
            let machine = MachineInfo.collect(rootDirectory: configuration.rootDirectory)
            // Services for the containers' environment variables, as upstream's kubelet has a service lister.
            let services = Informer<KubeAPI.Service>(client: client, logger: logger)
            let workers = PodWorkers(client: client, connection: connection, configuration: configuration, nodeIP: nodeIP,
                                     memoryCapacity: machine.memoryBytes, services: services, logger: logger)
            await workers.setRuntimeName(version.runtimeName)
            let lease = NodeLease(client: client, nodeName: configuration.nodeName, renewInterval: configuration.leaseRenewInterval,
                                  durationSeconds: configuration.leaseDurationSeconds, logger: logger)
            let pods = Informer<Pod>(client: client, fieldSelector: "spec.nodeName=\(configuration.nodeName)", logger: logger)
            let events = pods.events()
            var server = KubeletServer(address: configuration.address, port: configuration.port,
                                       podLogDirectory: configuration.podLogDirectory, workers: workers, logger: logger)
            if client.configuration.usesTLS, let ca = client.configuration.certificateAuthority {
                server.tls = try KubeletServing.tlsConfiguration(clientCA: ca, nodeName: configuration.nodeName,
                                                                 addresses: [nodeIP, configuration.address], rootDirectory: configuration.rootDirectory)
                server.auth = KubeletAuth(nodeName: configuration.nodeName, anonymous: configuration.anonymousAuth,
                                          mode: configuration.authorizationMode, client: client, logger: logger)
            }
            group.addTask { try await server.run() }
            group.addTask { await nodeStatus.run() }
            group.addTask { await lease.run() }
            group.addTask { await pods.run() }
            group.addTask { await services.run() }
            group.addTask {
                for await event in events {
                    switch event {
                    case .added(let pod), .updated(old: _, new: let pod): await workers.update(pod)
                    case .deleted(let pod): await workers.remove(pod)
                    }
                }
            }
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
                try? await pods.waitForSync()
                // Static pods are known before the first relist, which would otherwise take their sandboxes for orphans.
                await staticPods?.scan()
                while !Task.isCancelled {
                    await workers.resync()
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            try await gracefulShutdown()
            if configuration.removePodsOnShutdown {
                await workers.removeAllPods(grace: 2)
            }
            group.cancelAll()
        }
    }

    /// Waits for the runtime's socket to answer `Version` (the runtime may start after the agent).
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

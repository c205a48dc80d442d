import ArgumentParser
import Foundation
import KubeClient
import Logging
import Proxy
import ServiceLifecycle
import UnixSignals

/// `swiftlet proxy`: the service proxy on its own (the agent runs the same one with `--proxy-mode`).
public struct ProxyCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "proxy", abstract: "Run the service proxy (nftables or iptables mode).")

    @OptionGroup var node: NodeClientOptions

    @Option(name: .long, help: "nftables or iptables.")
    var mode = "nftables"

    @Option(name: .long, help: "host:port of /healthz and /metrics (kube-proxy's metrics port; 0: any free one).")
    var metricsBindAddress = "127.0.0.1:10249"

    @Option(name: .long, help: "host:port of kube-proxy's JSON /healthz and /livez for load balancers (empty: not served).")
    var healthzBindAddress = "0.0.0.0:10256"

    @Option(name: .long, help: "iptables mode: serve NodePorts on 127.0.0.1 too (sets net.ipv4.conf.all.route_localnet=1, as upstream). The nftables mode never does.")
    var iptablesLocalhostNodeports = true

    public init() {}

    public func validate() throws {
        guard ProxyMode(rawValue: mode) != nil else { throw ValidationError("--mode must be nftables or iptables, got \(mode)") }
        guard ListenAddress(metricsBindAddress) != nil else { throw ValidationError("--metrics-bind-address must be host:port") }
        guard healthzBindAddress.isEmpty || ListenAddress(healthzBindAddress) != nil else {
            throw ValidationError("--healthz-bind-address must be host:port")
        }
    }

    public func run() async throws {
        let logger = Logging.make(label: "swiftlet.proxy", level: node.logLevel)
        let registry = HealthEndpoint.bootstrapMetrics()
        let client = try KubeconfigFile.client(path: node.kubeconfig, userAgent: "swiftlet-proxy", logger: logger)
        var configuration = ProxyConfiguration()
        configuration.healthzBindAddress = ListenAddress(healthzBindAddress).map { ($0.host, $0.port) }
        configuration.localhostNodePorts = iptablesLocalhostNodeports
        let proxy = try ProxyServer(client: client, nodeName: node.resolvedNodeName,
                                    mode: ProxyMode(rawValue: mode) ?? .nftables, configuration: configuration, logger: logger)
        let health = HealthEndpoint(address: ListenAddress(metricsBindAddress)!, registry: registry, isHealthy: { proxy.isHealthy }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: ProxyService(proxy)), .init(service: health)],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try await client.shutdown()
    }
}

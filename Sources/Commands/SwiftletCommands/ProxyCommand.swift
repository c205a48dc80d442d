import ArgumentParser
import Foundation
import KubeClient
import Logging
import Proxy
import ServiceLifecycle
import UnixSignals

/// `swiftlet proxy`: the service proxy on its own (the agent runs the same one with `--proxy-mode`).
public struct ProxyCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "proxy", abstract: "Run the service proxy (nftables).")

    @Option(name: .long, help: "Kubeconfig of the API server.")
    var kubeconfig: String

    @Option(name: .long, help: "This node's name (default: the hostname).")
    var nodeName: String?

    @Option(name: .long, help: "nftables or iptables.")
    var mode = "nftables"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    public init() {}

    public func validate() throws {
        guard ProxyMode(rawValue: mode) != nil else { throw ValidationError("--mode must be nftables or iptables, got \(mode)") }
    }

    public func run() async throws {
        let logger = Logging.make(label: "swiftlet.proxy", level: logLevel)
        let client = try KubeconfigFile.client(path: kubeconfig, userAgent: "swiftlet-proxy", logger: logger)
        let proxy = try ProxyServer(client: client, nodeName: (nodeName ?? ProcessInfo.processInfo.hostName).lowercased(),
                                    mode: ProxyMode(rawValue: mode) ?? .nftables, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: ProxyService(proxy))], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try await client.shutdown()
    }
}

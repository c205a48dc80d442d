import ArgumentParser
import Foundation

/// The options every node-side command that talks to the API server shares: where the kubeconfig is, which
/// node this is, how much to log.
struct NodeClientOptions: ParsableArguments {
    @Option(name: .long, help: "Kubeconfig of the API server.")
    var kubeconfig: String

    @Option(name: .long, help: "This node's name (default: the hostname).")
    var nodeName: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    /// `--node-name`, or the hostname, lower-cased as the kubelet does.
    var resolvedNodeName: String { (nodeName ?? ProcessInfo.processInfo.hostName).lowercased() }
}

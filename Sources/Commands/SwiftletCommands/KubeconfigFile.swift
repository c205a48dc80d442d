import Foundation
import KubeClient
import Logging
import Yams

/// Reading a kubeconfig file (YAML) into a `KubeClient`, for the components that talk to an API server (agent,
/// proxy, simulated nodes); they never write `managedFields` back, so their client does not decode them.
enum KubeconfigFile {
    static func client(path: String, userAgent: String, logger: Logger) throws -> KubeClient {
        try KubeClient(configuration: configuration(path: path, userAgent: userAgent), logger: logger)
    }

    /// The client configuration of a kubeconfig file.
    static func configuration(path: String, userAgent: String) throws -> KubeClient.Configuration {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let model = try YAMLDecoder().decode(Kubeconfig.self, from: text)
        var configuration = try KubeClient.Configuration(kubeconfig: model, directory: (path as NSString).deletingLastPathComponent)
        configuration.userAgent = userAgent
        configuration.omitsManagedFields = true
        return configuration
    }
}

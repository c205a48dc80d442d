import Foundation
import KubeClient
import Yams

extension ClusterLauncher {
    /// What a kubeconfig file says: server, CA and credentials.
    static func clientConfiguration(kubeconfig path: String, userAgent: String) throws -> KubeClient.Configuration {
        let model = try YAMLDecoder().decode(Kubeconfig.self, from: try String(contentsOfFile: path, encoding: .utf8))
        var configuration = try KubeClient.Configuration(kubeconfig: model, directory: (path as NSString).deletingLastPathComponent)
        configuration.userAgent = userAgent
        return configuration
    }
}

import Foundation
import KubeClient
import Logging
import Yams

/// Reading a kubeconfig file (YAML) into a `KubeClient`, for the commands that talk to an API server.
enum KubeconfigFile {
    static func client(path: String, userAgent: String, logger: Logger) throws -> KubeClient {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let model = try YAMLDecoder().decode(Kubeconfig.self, from: text)
        var configuration = try KubeClient.Configuration(kubeconfig: model, directory: (path as NSString).deletingLastPathComponent)
        configuration.userAgent = userAgent
        return try KubeClient(configuration: configuration, logger: logger)
    }
}

import APIServer
import ArgumentParser
import Foundation
import Logging

/// `swiftlet server`: the API server with its embedded store; writes `DIR/admin.kubeconfig`.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "server", abstract: "Run the Kubernetes API server.")

    @Option(name: .long, help: "Where the store and the kubeconfig live.")
    var dataDir = "/var/lib/swiftlet/server"

    @Option(name: .long, help: "host:port to listen on (port 0 picks a free one).")
    var listen = "127.0.0.1:6443"

    @Option(name: .long, help: "The Service ClusterIP range.")
    var serviceClusterIPRange = "10.96.0.0/12"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard ListenAddress(listen) != nil else { throw ValidationError("--listen must be host:port, got \(listen)") }
    }

    func run() async throws {
        let logger = Logging.make(label: "swiftlet.server", level: logLevel)
        let address = ListenAddress(listen)!
        let server = try await APIServer(
            configuration: .init(dataDirectory: dataDir, host: address.host, port: address.port, serviceCIDR: serviceClusterIPRange),
            logger: logger)
        let dataDir = self.dataDir
        try await server.run { port in
            let kubeconfig = "\(dataDir)/admin.kubeconfig"
            do {
                try Kubeconfig.admin(server: "http://\(address.host):\(port)").write(toFile: kubeconfig, atomically: true, encoding: .utf8)
                logger.info("serving", metadata: ["url": "http://\(address.host):\(port)", "kubeconfig": "\(kubeconfig)"])
            } catch {
                logger.error("cannot write kubeconfig", metadata: ["path": "\(kubeconfig)", "error": "\(error)"])
            }
        }
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
}

/// Kubeconfig files for the clients of a server.
enum Kubeconfig {
    static func admin(server: String) -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: swiftlet
          cluster:
            server: \(server)
        users:
        - name: admin
          user: {}
        contexts:
        - name: swiftlet
          context:
            cluster: swiftlet
            user: admin
            namespace: default
        current-context: swiftlet
        preferences: {}

        """
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

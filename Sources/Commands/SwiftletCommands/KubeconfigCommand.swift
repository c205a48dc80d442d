import ArgumentParser
import ClusterPKI
import Foundation

/// `swiftlet kubeconfig --data-dir DIR --user NAME [--group G…]`: a kubeconfig for another user, with a client
/// certificate signed by the server's CA (as `kubeadm kubeconfig user --client-name --org` makes one), printed or
/// written to `--output`. RBAC then decides what that user may do.
public struct KubeconfigCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "kubeconfig",
                                                           abstract: "Write a kubeconfig for a user, signed by the server's CA.")

    @Option(name: .long, help: "The server's data directory (its pki/ca.crt, pki/ca.key and admin.kubeconfig).")
    var dataDir = "/var/lib/swiftlet/server"

    @Option(name: .long, help: "The user name (the certificate's Common Name), e.g. alice or system:node:n1.")
    var user: String

    @Option(name: .long, help: "A group (the certificate's Organization); repeat for more.")
    var group: [String] = []

    @Option(name: .long, help: "The server URL (default: the one in the admin kubeconfig).")
    var server: String?

    @Option(name: .long, help: "Days the certificate is valid.")
    var days = 365

    @Option(name: .long, help: "Write here (mode 0600) instead of printing.")
    var output: String?

    public init() {}

    public func validate() throws {
        guard !user.isEmpty else { throw ValidationError("--user must not be empty") }
        guard days > 0 else { throw ValidationError("--days must be positive") }
    }

    public func run() async throws {
        let pki = dataDir + "/pki"
        guard let caPEM = try? String(contentsOfFile: pki + "/ca.crt", encoding: .utf8),
              let keyPEM = try? String(contentsOfFile: pki + "/ca.key", encoding: .utf8) else {
            throw ValidationError("no CA in \(pki): is \(dataDir) the data directory of a server that serves HTTPS?")
        }
        var url = server
        if url == nil, let admin = try? String(contentsOfFile: dataDir + "/admin.kubeconfig", encoding: .utf8) {
            url = admin.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("server:") }
                .map { $0.trimmingCharacters(in: .whitespaces).dropFirst("server:".count).trimmingCharacters(in: .whitespaces) }
        }
        guard let url else { throw ValidationError("no --server and no admin.kubeconfig in \(dataDir) to take it from") }
        let ca = try CertificateAuthority(certificatePEM: caPEM, keyPEM: keyPEM)
        let issued = try ca.issue(CertificateRequest(commonName: user, organizations: group, usage: .client,
                                                     validity: .seconds(Int64(days) * 86400)))
        let kubeconfig = ClientKubeconfig(server: url, certificateAuthorityPEM: caPEM, user: user, credentials: .certificate(issued))
        if let output { try kubeconfig.write(to: output) } else { print(kubeconfig.yaml, terminator: "") }
    }
}

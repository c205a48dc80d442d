import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A kubeconfig with everything inline (CA, client certificate and key, or a token), as `kubeadm kubeconfig user`
/// writes one: a single file that works from any directory and any machine that reaches `server`.
///
/// ```swift
/// let text = ClientKubeconfig(server: "https://127.0.0.1:6443", certificateAuthorityPEM: ca.certificatePEM,
///                             user: "kubernetes-admin", credentials: .certificate(admin)).yaml
/// ```
public struct ClientKubeconfig: Sendable {
    public enum Credentials: Sendable {
        case certificate(IssuedCertificate)
        case token(String)
        case none
    }

    public var server: String
    /// nil for a plain-HTTP server.
    public var certificateAuthorityPEM: String?
    public var user: String
    public var credentials: Credentials
    public var cluster: String
    public var namespace: String

    public init(server: String, certificateAuthorityPEM: String?, user: String, credentials: Credentials,
                cluster: String = "swiftlet", namespace: String = "default") {
        self.server = server
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.user = user
        self.credentials = credentials
        self.cluster = cluster
        self.namespace = namespace
    }

    public var yaml: String {
        let b64 = { (text: String) in Data(text.utf8).base64EncodedString() }
        var clusterLines = "    server: \(server)\n"
        if let ca = certificateAuthorityPEM { clusterLines += "    certificate-authority-data: \(b64(ca))\n" }
        let userLines: String = switch credentials {
        case .certificate(let issued):
            "    client-certificate-data: \(b64(issued.certificatePEM))\n    client-key-data: \(b64(issued.keyPEM))\n"
        case .token(let token): "    token: \(token)\n"
        case .none: ""
        }
        let context = "\(user)@\(cluster)"
        return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: \(cluster)
          cluster:
        \(clusterLines)users:
        - name: \(user)
          user:\(userLines.isEmpty ? " {}\n" : "\n" + userLines)contexts:
        - name: \(context)
          context:
            cluster: \(cluster)
            user: \(user)
            namespace: \(namespace)
        current-context: \(context)
        preferences: {}

        """
    }

    /// Writes the file readable by its owner only (it holds a private key or a token).
    public func write(to path: String) throws {
        try OwnerOnlyFile.replace(yaml, at: path)
    }
}

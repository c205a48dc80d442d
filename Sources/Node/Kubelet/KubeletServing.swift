import ClusterPKI
import Foundation
import NIOCore
import NIOSSL

/// TLS for the kubelet's port when the API server is reached over HTTPS: a self-signed serving certificate made at
/// start (as the kubelet does without `--tls-cert-file`, kept in `ROOT/pki/kubelet.crt`); a client certificate, when
/// presented, must come from the cluster CA — the CA the kubelet's own kubeconfig trusts (`--client-ca-file`) — or
/// the handshake fails. Callers without one (bearer tokens) are left to `KubeletAuth`.
enum KubeletServing {
    static func tlsConfiguration(clientCA: Data, nodeName: String, addresses: [String], rootDirectory: String) throws -> TLSConfiguration {
        let issuer = try CertificateAuthority.generate(commonName: "\(nodeName)-ca@\(Int(Date().timeIntervalSince1970))")
        let names = [nodeName, "localhost"] + addresses.filter { $0 != "0.0.0.0" && $0 != "::" }
        let serving = try issuer.issue(CertificateRequest(commonName: "\(nodeName)@\(Int(Date().timeIntervalSince1970))",
                                                          subjectAlternativeNames: names, usage: .server))
        let directory = rootDirectory + "/pki"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try (serving.certificatePEM + issuer.certificatePEM).write(toFile: directory + "/kubelet.crt", atomically: true, encoding: .utf8)
        try OwnerOnlyFile.write(serving.keyPEM, to: directory + "/kubelet.key")
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(serving.certificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(serving.keyPEM.utf8), format: .pem)))
        tls.minimumTLSVersion = .tlsv12
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(clientCA)))
        tls.certificateVerification = .optionalVerification
        tls.sendCANameList = true
        tls.shutdownTimeout = .milliseconds(300)
        return tls
    }
}

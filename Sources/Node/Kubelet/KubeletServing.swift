import ClusterPKI
import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// TLS for the kubelet's port when the API server is reached over HTTPS. By default a self-signed serving
/// certificate made at start (as the kubelet does without `--tls-cert-file`, kept in `ROOT/pki/kubelet.crt`); with
/// `--rotate-server-certificates` the certificate the cluster CA issued through a `kubernetes.io/kubelet-serving`
/// CSR (`ROOT/pki/kubelet-server.crt|key`) replaces it once an admin has approved it, and each renewal after that —
/// every handshake takes the current one, so no restart. A client certificate, when presented, must come from the
/// cluster CA — the CA the kubelet's own kubeconfig trusts (`--client-ca-file`) — or the handshake fails. Callers
/// without one (bearer tokens) are left to `KubeletAuth`.
final class KubeletServing: Sendable {
    let clientCA: Data
    private let current: Mutex<(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)>

    /// Makes the self-signed fallback for `nodeName` and `addresses` under `rootDirectory/pki`.
    init(clientCA: Data, nodeName: String, addresses: [String], rootDirectory: String) throws {
        self.clientCA = clientCA
        let issuer = try CertificateAuthority.generate(commonName: "\(nodeName)-ca@\(Int(Date().timeIntervalSince1970))")
        let names = [nodeName, "localhost"] + addresses.filter { $0 != "0.0.0.0" && $0 != "::" }
        let serving = try issuer.issue(CertificateRequest(commonName: "\(nodeName)@\(Int(Date().timeIntervalSince1970))",
                                                          subjectAlternativeNames: names, usage: .server))
        let directory = rootDirectory + "/pki"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try (serving.certificatePEM + issuer.certificatePEM).write(toFile: directory + "/kubelet.crt", atomically: true, encoding: .utf8)
        try OwnerOnlyFile.write(serving.keyPEM, to: directory + "/kubelet.key")
        current = Mutex(try Self.material(serving))
    }

    /// Serves `issued` from the next handshake on.
    func install(_ issued: IssuedCertificate) throws {
        let next = try Self.material(issued)
        current.withLock { $0 = next }
    }

    private static func material(_ issued: IssuedCertificate) throws -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        (try NIOSSLCertificate.fromPEMBytes(Array(issued.certificatePEM.utf8)),
         try NIOSSLPrivateKey(bytes: Array(issued.keyPEM.utf8), format: .pem))
    }

    func tlsConfiguration() throws -> TLSConfiguration {
        let (chain, key) = current.withLock { ($0.chain, $0.key) }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(clientCA)))
        tls.certificateVerification = .optionalVerification
        tls.sendCANameList = true
        tls.shutdownTimeout = .milliseconds(300)
        tls.sslContextCallback = { [self] _, promise in
            var override = NIOSSLContextConfigurationOverride()
            let (chain, key) = self.current.withLock { ($0.chain, $0.key) }
            override.certificateChain = chain.map { .certificate($0) }
            override.privateKey = .privateKey(key)
            promise.succeed(override)
        }
        return tls
    }

    /// Where the CSR-issued serving pair is kept.
    static func issuedFiles(rootDirectory: String) -> (certificate: String, key: String) {
        (rootDirectory + "/pki/kubelet-server.crt", rootDirectory + "/pki/kubelet-server.key")
    }

    /// The CSR-issued serving certificate left by an earlier run, when it is still valid and matches its key.
    static func storedIssued(rootDirectory: String, now: Date = Date()) -> IssuedCertificate? {
        let files = issuedFiles(rootDirectory: rootDirectory)
        guard let issued = IssuedCertificate(certificateFile: files.certificate, keyFile: files.key), issued.notAfter > now,
              IssuedCertificate.keyMatches(certificatePEM: issued.certificatePEM, keyPEM: issued.keyPEM) else { return nil }
        return issued
    }

    /// Writes a CSR-issued pair atomically (key 0600 first, then the certificate).
    static func store(_ issued: IssuedCertificate, rootDirectory: String) throws {
        let files = issuedFiles(rootDirectory: rootDirectory)
        try OwnerOnlyFile.replace(issued.keyPEM, at: files.key)
        try OwnerOnlyFile.replace(issued.certificatePEM, at: files.certificate, mode: 0o644)
    }
}

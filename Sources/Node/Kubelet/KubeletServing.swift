import ClusterPKI
import Foundation
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// TLS for the kubelet's port when the API server is reached over HTTPS. By default a self-signed serving
/// certificate made at start (as the kubelet does without `--tls-cert-file`, kept in `ROOT/pki/kubelet.crt`). With
/// `--rotate-server-certificates` (upstream's `serverTLSBootstrap`) only the certificate the cluster CA issued through
/// a `kubernetes.io/kubelet-serving` CSR (`ROOT/pki/kubelet-server.crt|key`) is served, as upstream: until an admin
/// has approved the first one, and whenever the one installed has expired, handshakes fail ("no serving certificate
/// available for the kubelet") instead of falling back to a self-signed certificate. Every handshake takes the
/// current certificate, so renewals need no restart. A client certificate, when presented, must come from the
/// cluster CA — the CA the kubelet's own kubeconfig trusts (`--client-ca-file`) — or the handshake fails. Callers
/// without one (bearer tokens) are left to `KubeletAuth`.
final class KubeletServing: Sendable {
    /// A certificate chain with its key; `notAfter` set for issued ones, which stop being served when it passes.
    struct Material: Sendable {
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
        var notAfter: Date?
    }

    let clientCA: Data
    let logger: Logger
    private let current: Mutex<Material?>

    /// Makes the self-signed certificate for `nodeName` and `addresses` under `rootDirectory/pki` and serves it.
    init(clientCA: Data, nodeName: String, addresses: [String], rootDirectory: String, logger: Logger) throws {
        self.clientCA = clientCA
        self.logger = logger
        let issuer = try CertificateAuthority.generate(commonName: "\(nodeName)-ca@\(Int(Date().timeIntervalSince1970))")
        let names = [nodeName, "localhost"] + addresses.filter { $0 != "0.0.0.0" && $0 != "::" }
        let serving = try issuer.issue(CertificateRequest(commonName: "\(nodeName)@\(Int(Date().timeIntervalSince1970))",
                                                          subjectAlternativeNames: names, usage: .server))
        let directory = rootDirectory + "/pki"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try (serving.certificatePEM + issuer.certificatePEM).write(toFile: directory + "/kubelet.crt", atomically: true, encoding: .utf8)
        try OwnerOnlyFile.write(serving.keyPEM, to: directory + "/kubelet.key")
        var material = try Self.material(serving)
        material.notAfter = nil
        current = Mutex(material)
    }

    /// Serves nothing until a CSR-issued certificate is installed (`--rotate-server-certificates`).
    init(clientCA: Data, logger: Logger) {
        self.clientCA = clientCA
        self.logger = logger
        current = Mutex(nil)
    }

    /// Why a handshake got no certificate.
    struct NoServingCertificate: Error, CustomStringConvertible {
        var expired: Date?
        var description: String {
            expired.map { "no serving certificate available for the kubelet: the current one expired at \($0)" }
                ?? "no serving certificate available for the kubelet"
        }
    }

    /// The certificate a handshake starting at `now` presents, or why there is none (never issued, or expired).
    func servingMaterial(now: Date = Date()) -> Result<Material, NoServingCertificate> {
        guard let material = current.withLock({ $0 }) else { return .failure(NoServingCertificate()) }
        if let notAfter = material.notAfter, notAfter <= now { return .failure(NoServingCertificate(expired: notAfter)) }
        return .success(material)
    }

    /// Serves `issued` from the next handshake on.
    func install(_ issued: IssuedCertificate) throws {
        let next = try Self.material(issued)
        current.withLock { $0 = next }
    }

    private static func material(_ issued: IssuedCertificate) throws -> Material {
        Material(chain: try NIOSSLCertificate.fromPEMBytes(Array(issued.certificatePEM.utf8)),
                 key: try NIOSSLPrivateKey(bytes: Array(issued.keyPEM.utf8), format: .pem), notAfter: issued.notAfter)
    }

    func tlsConfiguration() throws -> TLSConfiguration {
        // The chain and key come from the callback at every handshake, so the context itself holds none: the server
        // template differs from this one only in them and in `certificateVerification`, set below.
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(clientCA)))
        tls.certificateVerification = .optionalVerification
        tls.sendCANameList = true
        tls.shutdownTimeout = .milliseconds(300)
        tls.sslContextCallback = { [self] _, promise in
            switch self.servingMaterial() {
            case .success(let material):
                var override = NIOSSLContextConfigurationOverride()
                override.certificateChain = material.chain.map { .certificate($0) }
                override.privateKey = .privateKey(material.key)
                promise.succeed(override)
            case .failure(let error):
                // As upstream's kubelet: the handshake fails and says why (Go's server logs "TLS handshake error").
                self.logger.warning("TLS handshake refused", metadata: ["error": "\(error)"])
                promise.fail(error)
            }
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

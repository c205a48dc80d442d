import ClusterPKI
import Crypto
import Foundation
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// The API server's certificates: the cluster CA, the serving certificate it presents (re-issued before it expires
/// without a restart: each TLS handshake picks up the current one) and client certificates for the server's own
/// components and the admin kubeconfig.
final class ServerPKI: Sendable {
    let ca: CertificateAuthority
    let serviceAccountKey: P256.Signing.PrivateKey
    let directory: String
    let serving: CertificateRequest
    /// How long the client certificates issued for the server's own use last.
    let clientValidity: Duration
    private let current: Mutex<(issued: IssuedCertificate, chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)>
    let logger: Logger

    init(secrets: ClusterSecrets, directory: String, serving: CertificateRequest,
         clientValidity: Duration = CertificateRequest.defaultValidity, logger: Logger) throws {
        ca = try CertificateAuthority(certificatePEM: secrets.caCertificatePEM, keyPEM: secrets.caKeyPEM)
        do { serviceAccountKey = try P256.Signing.PrivateKey(pemRepresentation: secrets.serviceAccountKeyPEM) } catch {
            throw PKIError("cannot read the service-account signing key", cause: error)
        }
        self.directory = directory
        self.serving = serving
        self.clientValidity = clientValidity
        self.logger = logger
        current = Mutex(try Self.issueServing(ca: ca, request: serving, directory: directory))
    }

    /// A fresh serving certificate (each start issues one, so new `--tls-san`s apply at once), also written to
    /// `apiserver.crt`/`apiserver.key` for operators and tools that read them.
    private static func issueServing(ca: CertificateAuthority, request: CertificateRequest, directory: String) throws
        -> (issued: IssuedCertificate, chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        let issued = try ca.issue(request)
        try PKIFiles.write(issued.certificatePEM, to: "\(directory)/apiserver.crt", mode: 0o644)
        try PKIFiles.write(issued.keyPEM, to: "\(directory)/apiserver.key", mode: 0o600)
        return (issued, try NIOSSLCertificate.fromPEMBytes(Array(issued.certificatePEM.utf8)),
                try NIOSSLPrivateKey(bytes: Array(issued.keyPEM.utf8), format: .pem))
    }

    var servingCertificate: IssuedCertificate { current.withLock { $0.issued } }

    /// Re-issues the serving certificate when less than a fifth of its lifetime is left; true if it did.
    @discardableResult
    func rotateIfNeeded(now: Date = Date()) throws -> Bool {
        guard servingCertificate.needsRotation(now: now) else { return false }
        let next = try Self.issueServing(ca: ca, request: serving, directory: directory)
        current.withLock { $0 = next }
        logger.notice("rotated the serving certificate", metadata: ["notAfter": "\(next.issued.notAfter)"])
        return true
    }

    /// TLS for the API port: the current serving certificate, client certificates verified against the cluster CA
    /// when presented (token and anonymous clients present none), TLS 1.2 or later.
    func serverTLSConfiguration() throws -> TLSConfiguration {
        let (chain, key) = current.withLock { ($0.chain, $0.key) }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        // Draining at shutdown closes every connection: wait briefly, not NIO's 5 s, for each client's close_notify.
        tls.shutdownTimeout = .milliseconds(300)
        tls.certificateVerification = .optionalVerification
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.certificatePEM.utf8)))
        tls.sendCANameList = true
        tls.applicationProtocols = ["http/1.1"]
        tls.sslContextCallback = { [self] _, promise in
            var override = NIOSSLContextConfigurationOverride()
            let (chain, key) = self.current.withLock { ($0.chain, $0.key) }
            override.certificateChain = chain.map { .certificate($0) }
            override.privateKey = .privateKey(key)
            promise.succeed(override)
        }
        return tls
    }

    /// A client certificate signed by the cluster CA.
    func clientCertificate(commonName: String, organizations: [String] = []) throws -> IssuedCertificate {
        try ca.issue(CertificateRequest(commonName: commonName, organizations: organizations, usage: .client, validity: clientValidity))
    }

    /// The serving certificate's names: the listen address, loopback, the `kubernetes` Service's names and first
    /// ClusterIP, the host name and the extra `--tls-san`s, each as a DNS or IP SAN.
    static func servingRequest(listenHost: String, serviceIP: String, clusterDomain: String, extra: [String],
                               validity: Duration = CertificateRequest.defaultValidity) -> CertificateRequest {
        var names = ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.\(clusterDomain)",
                     "127.0.0.1", "::1", serviceIP, ProcessInfo.processInfo.hostName.lowercased()]
        if !["0.0.0.0", "::", ""].contains(listenHost) { names.append(listenHost) }
        names += extra
        return CertificateRequest(commonName: "kube-apiserver", subjectAlternativeNames: names, usage: .server, validity: validity)
    }
}

extension ServerPKI {
    /// The certificate the API server presents to kubelets (kubeadm's `apiserver-kubelet-client`).
    func kubeletClientCertificate() throws -> IssuedCertificate {
        try clientCertificate(commonName: "kube-apiserver-kubelet-client", organizations: ["system:masters"])
    }

    /// Re-issues `kubelet`'s client certificate when less than a fifth of its lifetime is left; true if it did.
    @discardableResult
    func renewKubeletClient(_ kubelet: KubeletConnection, now: Date = Date()) throws -> Bool {
        guard let current = kubelet.certificate, current.needsRotation(now: now) else { return false }
        let issued = try kubeletClientCertificate()
        try kubelet.renew(issued)
        logger.notice("renewed the kubelet-client certificate", metadata: ["notAfter": "\(issued.notAfter)"])
        return true
    }
}

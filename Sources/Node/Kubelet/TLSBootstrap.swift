import ClusterPKI
import Crypto
import Foundation
import KubeAPI
import KubeClient
import Logging

/// The kubelet's TLS bootstrap (upstream's `--bootstrap-kubeconfig`): when the node's kubeconfig is missing or its
/// client certificate has expired, a new key is generated, a CertificateSigningRequest for `system:node:<name>` /
/// `system:nodes` (signer `kubernetes.io/kube-apiserver-client-kubelet`, usages `digital signature`, `client auth`)
/// is submitted with the bootstrap credentials, and once the certificate is issued the node's kubeconfig is
/// written with it (the key and certificate also under `certificateDirectory`, the key 0600).
///
/// ```swift
/// try await TLSBootstrap(nodeName: "n1", kubeconfigPath: "/var/lib/swiftlet/agent/kubeconfig",
///                        certificateDirectory: "/var/lib/swiftlet/agent/pki", logger: logger)
///     .ensureCertificate(bootstrap: bootstrapConfiguration)
/// ```
public struct TLSBootstrap: Sendable {
    public static let usages = ["digital signature", "client auth"]
    public let nodeName: String
    public let kubeconfigPath: String
    public let certificateDirectory: String
    public let pollInterval: Duration
    let logger: Logger

    public init(nodeName: String, kubeconfigPath: String, certificateDirectory: String, pollInterval: Duration = .seconds(1),
                logger: Logger) {
        self.nodeName = nodeName
        self.kubeconfigPath = kubeconfigPath
        self.certificateDirectory = certificateDirectory
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// Whether a client certificate (PEM) is missing, unreadable or past its `notAfter`.
    public static func isExpired(_ certificatePEM: Data?, now: Date = Date()) -> Bool {
        guard let certificatePEM, let notAfter = IssuedCertificate.notAfter(ofPEM: String(decoding: certificatePEM, as: UTF8.self)) else {
            return true
        }
        return notAfter <= now
    }

    /// Bootstraps when `current` (the node kubeconfig's client configuration) is nil (the file is missing or
    /// unreadable) or holds an expired or unparsable client certificate. Returns whether a new certificate was written.
    @discardableResult
    public func ensureCertificate(current: KubeClient.Configuration?, bootstrap: KubeClient.Configuration) async throws -> Bool {
        // As upstream's isClientConfigStillValid: a kubeconfig without a client certificate (a token) is kept.
        if let current, current.clientCertificate == nil || !Self.isExpired(current.clientCertificate) { return false }
        logger.info("no valid client certificate, bootstrapping with the bootstrap kubeconfig",
                    metadata: ["kubeconfig": "\(kubeconfigPath)", "node": "\(nodeName)"])
        let key = P256.Signing.PrivateKey()
        let commonName = "system:node:\(nodeName)"
        let requestPEM = try SigningRequest.make(commonName: commonName, organizations: ["system:nodes"], key: key)
        let client = try KubeClient(configuration: bootstrap, logger: logger)
        do {
            let certificatePEM = try await requestCertificate(client: client, requestPEM: requestPEM, key: key, commonName: commonName)
            try await client.shutdown()
            try write(certificatePEM: certificatePEM, keyPEM: key.pemRepresentation, bootstrap: bootstrap)
            return true
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Submits the CSR (named after a digest of key and subject, as upstream's `digestedName`, so a restarted
    /// bootstrap finds its own request) and waits until it is issued, denied or failed.
    func requestCertificate(client: KubeClient, requestPEM: String, key: P256.Signing.PrivateKey, commonName: String) async throws -> String {
        var digest = SHA256()
        digest.update(data: key.publicKey.derRepresentation)
        digest.update(data: Data("\(commonName)|system:nodes|\(Self.usages.joined(separator: ","))".utf8))
        let encoded = Data(digest.finalize()).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let name = "node-csr-\(encoded)"
        let csr = CertificateSigningRequest(metadata: ObjectMeta(name: name), spec: CertificateSigningRequestSpec(
            request: Data(requestPEM.utf8), signerName: CertificateSigningRequest.kubeAPIServerClientKubeletSigner, usages: Self.usages))
        try await submit(csr, client: client)
        logger.info("waiting for the client certificate", metadata: ["csr": "\(name)"])
        return try await Self.waitForCertificate(name, client: client, pollInterval: pollInterval, logger: logger)
    }

    /// Polls CSR `name` until it holds a certificate (returned as PEM), is denied or failed (thrown), or `timeout`
    /// passes (thrown; upstream's certificate manager gives up after 15 minutes and asks again).
    static func waitForCertificate(_ name: String, client: KubeClient, pollInterval: Duration, timeout: Duration? = nil,
                                   logger: Logger) async throws -> String {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            try Task.checkCancellation()
            if let deadline, ContinuousClock.now >= deadline {
                throw TLSBootstrapError("timed out waiting for certificate signing request \(name) to be approved and issued")
            }
            guard let current = await read(name, client: client, logger: logger) else {
                try await Task.sleep(for: pollInterval)
                continue
            }
            if let condition = current.condition("Denied") {
                throw TLSBootstrapError("certificate signing request \(name) is denied, reason: \(condition.reason ?? ""), message: \(condition.message ?? "")")
            }
            if let condition = current.condition("Failed") {
                throw TLSBootstrapError("certificate signing request \(name) failed, reason: \(condition.reason ?? ""), message: \(condition.message ?? "")")
            }
            if let certificate = current.status?.certificate, !certificate.isEmpty {
                return String(decoding: certificate, as: UTF8.self)
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// Creates the CSR; one already there (a restarted bootstrap with the same key) is fine. While the API server
    /// cannot be reached (it may start with the agent) the request is repeated every `pollInterval` for up to
    /// `serverWait`, as upstream's kubelet waits a minute for its server before bootstrapping.
    func submit(_ csr: CertificateSigningRequest, client: KubeClient, serverWait: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + serverWait
        while true {
            do {
                _ = try await client.create(csr)
                return
            } catch {
                if error.isAlreadyExists { return }
                guard case .transport = error, !Task.isCancelled, ContinuousClock.now < deadline else { throw error }
                logger.warning("API server not reachable yet for the certificate signing request",
                               metadata: ["csr": "\(csr.metadata.name ?? "")", "error": "\(error)"])
                try await Task.sleep(for: pollInterval)
            }
        }
    }

    static func read(_ name: String, client: KubeClient, logger: Logger) async -> CertificateSigningRequest? {
        do {
            return try await client.get(CertificateSigningRequest.self, name: name)
        } catch {
            logger.warning("cannot read the certificate signing request", metadata: ["csr": "\(name)", "error": "\(error)"])
            return nil
        }
    }

    func write(certificatePEM: String, keyPEM: String, bootstrap: KubeClient.Configuration) throws {
        guard let notAfter = IssuedCertificate.notAfter(ofPEM: certificatePEM) else {
            throw TLSBootstrapError("the issued certificate is not a PEM certificate")
        }
        let issued = IssuedCertificate(certificatePEM: certificatePEM, keyPEM: keyPEM, notAfter: notAfter)
        try Self.writeClientCertificate(issued, nodeName: nodeName, server: bootstrap.server, certificateAuthority: bootstrap.certificateAuthority,
                                        certificateDirectory: certificateDirectory, kubeconfigPath: kubeconfigPath)
        logger.info("wrote the node kubeconfig with the issued client certificate",
                    metadata: ["kubeconfig": "\(kubeconfigPath)", "notAfter": "\(notAfter)"])
    }

    /// Writes the node's client certificate: `kubelet-client.key` (0600) and `kubelet-client.crt` under
    /// `certificateDirectory` and the kubeconfig with both inline, each file replaced atomically (the kubeconfig,
    /// which the agent reads at start, last).
    static func writeClientCertificate(_ issued: IssuedCertificate, nodeName: String, server: URL, certificateAuthority: Data?,
                                       certificateDirectory: String, kubeconfigPath: String) throws {
        try OwnerOnlyFile.replace(issued.keyPEM, at: "\(certificateDirectory)/kubelet-client.key")
        try OwnerOnlyFile.replace(issued.certificatePEM, at: "\(certificateDirectory)/kubelet-client.crt", mode: 0o644)
        try ClientKubeconfig(server: server.absoluteString,
                             certificateAuthorityPEM: certificateAuthority.map { String(decoding: $0, as: UTF8.self) },
                             user: "system:node:\(nodeName)", credentials: .certificate(issued)).write(to: kubeconfigPath)
    }
}

/// Why the TLS bootstrap could not produce a client certificate.
public struct TLSBootstrapError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

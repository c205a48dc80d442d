import ClusterPKI
import Crypto
import Foundation
import KubeAPI
import KubeClient
import Logging
import Metrics
import Synchronization

/// Keeps one of the kubelet's certificates fresh, as client-go's certificate manager does for upstream's kubelet
/// (`--rotate-certificates` for the client certificate, `--rotate-server-certificates` / `serverTLSBootstrap` for
/// the serving one): at a jittered 70–90 % of the current certificate's lifetime (at once when there is none) it
/// makes a new key, submits a CertificateSigningRequest (`generateName: csr-`) with the node's own credentials,
/// waits until it is issued (15 minutes at most, then asks again), stores the pair atomically and hands it to
/// `install` (which switches the API connections or the kubelet port over). Failures are logged, counted and
/// retried with a doubling back-off (2 s up to 128 s).
///
/// ```swift
/// let manager = CertificateManager(kind: .client, template: .client(nodeName: "n1"), current: issued,
///                                  client: client, store: store, logger: logger) { issued in … }
/// await manager.run()
/// ```
public final class CertificateManager: Sendable {
    /// Which certificate: the node's client certificate or the kubelet port's serving certificate.
    public enum Kind: String, Sendable { case client, server }

    /// What the CSR asks for.
    public struct Template: Sendable, Hashable {
        public var commonName: String
        public var organizations: [String]
        public var subjectAlternativeNames: [String]
        public var usages: [String]
        public var signerName: String

        /// `system:node:<name>` / `system:nodes` for `kubernetes.io/kube-apiserver-client-kubelet`; an ECDSA key, so
        /// `digital signature` and `client auth` (key encipherment only for RSA keys, as upstream).
        public static func client(nodeName: String) -> Template {
            Template(commonName: "system:node:\(nodeName)", organizations: ["system:nodes"], subjectAlternativeNames: [],
                     usages: TLSBootstrap.usages, signerName: CertificateSigningRequest.kubeAPIServerClientKubeletSigner)
        }

        /// The same subject for `kubernetes.io/kubelet-serving`, naming the node's addresses (its host name and IPs).
        public static func server(nodeName: String, addresses: [String]) -> Template {
            Template(commonName: "system:node:\(nodeName)", organizations: ["system:nodes"], subjectAlternativeNames: addresses,
                     usages: ["digital signature", "server auth"], signerName: CertificateSigningRequest.kubeletServingSigner)
        }
    }

    public let kind: Kind
    let template: Template
    let client: KubeClient
    let store: @Sendable (IssuedCertificate) throws -> Void
    let install: @Sendable (IssuedCertificate) async throws -> Void
    let pollInterval: Duration
    /// Credentials for the CSR when the current client certificate has expired (the bootstrap kubeconfig), as
    /// upstream's kubelet falls back to them; nil: keep trying with the current one.
    let fallback: KubeClient.Configuration?
    let logger: Logger
    private let current: Mutex<IssuedCertificate?>

    /// - Parameters:
    ///   - current: the certificate in use now, nil when there is none yet (one is requested at once).
    ///   - store: writes a new pair to disk (before it is installed).
    ///   - install: puts a new pair to use.
    ///   - fallback: bootstrap credentials a client certificate is requested with once the current one has expired.
    public init(kind: Kind, template: Template, current: IssuedCertificate?, client: KubeClient, fallback: KubeClient.Configuration? = nil,
                pollInterval: Duration = .seconds(1), logger: Logger, store: @escaping @Sendable (IssuedCertificate) throws -> Void,
                install: @escaping @Sendable (IssuedCertificate) async throws -> Void) {
        self.kind = kind
        self.fallback = fallback
        self.template = template
        self.client = client
        self.pollInterval = pollInterval
        self.logger = logger
        self.store = store
        self.install = install
        self.current = Mutex(current)
    }

    /// The certificate in use.
    public var certificate: IssuedCertificate? { current.withLock { $0 } }

    /// Rotates until the task is cancelled.
    public func run() async {
        var failures = 0
        while !Task.isCancelled {
            if let existing = certificate, let validity = IssuedCertificate.validity(ofPEM: existing.certificatePEM) {
                let deadline = IssuedCertificate.rotationDeadline(validity: validity)
                logger.info("certificate rotation deadline", metadata: ["certificate": "\(kind.rawValue)", "deadline": "\(deadline)",
                                                                       "notAfter": "\(validity.upperBound)"])
                // Wake at least every minute to keep the TTL gauge current.
                while !Task.isCancelled, Date() < deadline {
                    ttl.record(validity.upperBound.timeIntervalSinceNow)
                    try? await Task.sleep(for: .seconds(min(60, max(0.05, deadline.timeIntervalSinceNow))))
                }
                if Task.isCancelled { return }
            }
            do {
                let previous = certificate
                let issued = try await rotate()
                failures = 0
                if kind == .server, let previous, let validity = IssuedCertificate.validity(ofPEM: previous.certificatePEM) {
                    Metrics.Timer(label: "kubelet_certificate_manager_server_rotation_seconds", preferredDisplayUnit: .seconds)
                        .recordSeconds(Date().timeIntervalSince(validity.lowerBound))
                }
                ttl.record(issued.notAfter.timeIntervalSinceNow)
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                renewErrors.increment()
                let delay = min(128.0, 2.0 * pow(2.0, Double(min(failures - 1, 6))))
                logger.error("certificate rotation failed", metadata: ["certificate": "\(kind.rawValue)", "error": "\(error)",
                                                                      "retryIn": "\(delay)s"])
                try? await Task.sleep(for: .seconds(delay))
            }
        }
    }

    /// Requests, stores and installs a new certificate now — with the bootstrap credentials when the current client
    /// certificate has expired and there are some.
    @discardableResult
    public func rotate() async throws -> IssuedCertificate {
        guard kind == .client, let fallback, let expired = certificate, expired.notAfter <= Date() else {
            return try await rotate(using: client)
        }
        logger.warning("the client certificate has expired, requesting a new one with the bootstrap credentials",
                       metadata: ["notAfter": "\(expired.notAfter)"])
        let bootstrap = try KubeClient(configuration: fallback, logger: logger)
        do {
            let issued = try await rotate(using: bootstrap)
            try? await bootstrap.shutdown()
            return issued
        } catch {
            try? await bootstrap.shutdown()
            throw error
        }
    }

    private func rotate(using client: KubeClient) async throws -> IssuedCertificate {
        let key = P256.Signing.PrivateKey()
        let requestPEM = try SigningRequest.make(commonName: template.commonName, organizations: template.organizations,
                                                 subjectAlternativeNames: template.subjectAlternativeNames, key: key)
        let csr = CertificateSigningRequest(metadata: ObjectMeta(generateName: "csr-"), spec: CertificateSigningRequestSpec(
            request: Data(requestPEM.utf8), signerName: template.signerName, usages: template.usages))
        let created = try await client.create(csr)
        let name = created.metadata.name ?? ""
        logger.info("requested a new certificate", metadata: ["certificate": "\(kind.rawValue)", "csr": "\(name)",
                                                             "signer": "\(template.signerName)"])
        let certificatePEM = try await TLSBootstrap.waitForCertificate(name, client: client, pollInterval: pollInterval,
                                                                       timeout: .seconds(15 * 60), logger: logger)
        guard let notAfter = IssuedCertificate.notAfter(ofPEM: certificatePEM),
              IssuedCertificate.keyMatches(certificatePEM: certificatePEM, keyPEM: key.pemRepresentation) else {
            throw TLSBootstrapError("certificate signing request \(name) was issued a certificate that does not match its key")
        }
        let issued = IssuedCertificate(certificatePEM: certificatePEM, keyPEM: key.pemRepresentation, notAfter: notAfter)
        try store(issued)
        try await install(issued)
        current.withLock { $0 = issued }
        logger.notice("rotated the certificate", metadata: ["certificate": "\(kind.rawValue)", "csr": "\(name)", "notAfter": "\(notAfter)",
                                                           "serial": "\(IssuedCertificate.serialNumber(ofPEM: certificatePEM) ?? "")"])
        return issued
    }

    /// Upstream's `kubelet_certificate_manager_{client,server}_ttl_seconds`.
    private var ttl: Gauge { Gauge(label: "kubelet_certificate_manager_\(kind.rawValue)_ttl_seconds") }
    /// Upstream's `kubelet_certificate_manager_client_expiration_renew_errors` and `kubelet_server_expiration_renew_errors`.
    private var renewErrors: Counter {
        Counter(label: kind == .client ? "kubelet_certificate_manager_client_expiration_renew_errors" : "kubelet_server_expiration_renew_errors")
    }
}

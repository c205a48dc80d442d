import ClusterPKI
import Foundation
import KubeAPI
import KubeClient
import Logging

/// Upstream's `csrsigning` controller: signs approved CSRs for `kubernetes.io/kube-apiserver-client`,
/// `kubernetes.io/kube-apiserver-client-kubelet` and `kubernetes.io/kubelet-serving` with the cluster CA, for
/// `spec.expirationSeconds` (at least 10 minutes) capped at `--cluster-signing-duration` (a year). A request its
/// signer does not allow (wrong usages, subject or names) gets a `Failed` condition with reason
/// `SignerValidationFailure`, as upstream's does; without a CA (plain HTTP) the controller does nothing.
public struct CertificateSigner: Controller {
    public static let controllerName = "certificatesigningrequest-signing-controller"
    public var name: String { Self.controllerName }
    static let signers: Set<String> = [CertificateSigningRequest.kubeAPIServerClientSigner,
                                       CertificateSigningRequest.kubeAPIServerClientKubeletSigner,
                                       CertificateSigningRequest.kubeletServingSigner]
    let client: KubeClient
    let authority: CertificateAuthority?
    let duration: TimeInterval
    let requests: Informer<CertificateSigningRequest>
    let queue: WorkQueue
    let logger: Logger
    let metrics: ControllerMetrics

    public init(context: ControllerContext, authority: CertificateAuthority?,
                duration: TimeInterval = CertificateAuthority.defaultSigningDuration) {
        client = context.client
        self.authority = authority
        self.duration = duration
        requests = context.informers.informer(CertificateSigningRequest.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "csrsigning", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        let queue = queue
        requests.addHandler(InformerHandler(onAdd: { await queue.add($0.metadata.name ?? "") },
                                            onUpdate: { _, new in await queue.add(new.metadata.name ?? "") }))
    }

    public func run(workers: Int) async {
        guard authority != nil else { return }
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { name in try await sync(name) }
    }

    func sync(_ name: String) async throws {
        guard let authority, var csr = requests.get(name: name), csr.isApproved, !csr.isFailed,
              (csr.status?.certificate ?? Data()).isEmpty, Self.signers.contains(csr.spec.signerName) else { return }
        guard let request = try? SigningRequest(pem: String(decoding: csr.spec.request, as: UTF8.self)) else {
            throw ControllerError.invalidObject(key: name, reason: "unable to parse csr \"\(name)\"")
        }
        let usages = csr.spec.usages ?? []
        var status = csr.status ?? CertificateSigningRequestStatus()
        if let problem = Self.validate(request, usages: usages, signer: csr.spec.signerName) {
            status.conditions = (status.conditions ?? []) + [CertificateSigningRequestCondition(
                type: "Failed", status: "True", reason: "SignerValidationFailure", message: problem, lastUpdateTime: Time.now())]
            csr.status = status
            do { _ = try await client.updateStatus(csr) } catch { throw ControllerError.api(error) }
            logger.info("refused certificate signing request", metadata: ["csr": "\(name)", "reason": "\(problem)"])
            return
        }
        var lifetime = duration
        if let seconds = csr.spec.expirationSeconds { lifetime = min(duration, max(Double(seconds), 600)) }
        let pem: String
        do { pem = try authority.sign(request, usages: usages, duration: lifetime) } catch {
            throw ControllerError.invalidObject(key: name, reason: "\(error)")
        }
        status.certificate = Data(pem.utf8)
        csr.status = status
        do { _ = try await client.updateStatus(csr) } catch { throw ControllerError.api(error) }
        logger.info("signed certificate signing request", metadata: ["csr": "\(name)", "subject": "\(request.subject.commonName)"])
    }

    /// Upstream's per-signer checks (`isKubeletServing`, `isKubeletClient`, `isKubeAPIServerClient`): nil when
    /// the signer may sign the request, else the message of its `Failed` condition.
    static func validate(_ request: SigningRequest, usages: [String], signer: String) -> String? {
        switch signer {
        case CertificateSigningRequest.kubeAPIServerClientKubeletSigner: return kubeletClientProblem(request, usages: usages)
        case CertificateSigningRequest.kubeletServingSigner: return kubeletServingProblem(request, usages: usages)
        default:
            var hasClientAuth = false
            for usage in usages {
                switch usage {
                case "digital signature", "key encipherment": break
                case "client auth": hasClientAuth = true
                default: return "invalid usage for client certificate: \(usage)"
                }
            }
            return hasClientAuth ? nil : "missing required usage for client certificate: client auth"
        }
    }

    /// `ValidateKubeletClientCSR`.
    static func kubeletClientProblem(_ request: SigningRequest, usages: [String]) -> String? {
        if request.subject.organizations != ["system:nodes"] { return "subject organization is not system:nodes" }
        if !request.dnsNames.isEmpty { return "DNS subjectAltNames are not allowed" }
        if !request.emailAddresses.isEmpty { return "Email subjectAltNames are not allowed" }
        if !request.ipAddresses.isEmpty { return "IP subjectAltNames are not allowed" }
        if !request.uris.isEmpty { return "URI subjectAltNames are not allowed" }
        if !request.subject.commonName.hasPrefix("system:node:") { return "subject common name does not begin with system:node:" }
        let set = Set(usages)
        if set != ["digital signature", "key encipherment", "client auth"], set != ["digital signature", "client auth"] {
            return "usages did not match [client auth digital signature key encipherment]"
        }
        return nil
    }

    /// `ValidateKubeletServingCSR`.
    static func kubeletServingProblem(_ request: SigningRequest, usages: [String]) -> String? {
        if request.subject.organizations != ["system:nodes"] { return "subject organization is not system:nodes" }
        if request.dnsNames.isEmpty, request.ipAddresses.isEmpty { return "DNS or IP subjectAltName is required" }
        if !request.emailAddresses.isEmpty { return "Email subjectAltNames are not allowed" }
        if !request.uris.isEmpty { return "URI subjectAltNames are not allowed" }
        let set = Set(usages)
        if set != ["digital signature", "key encipherment", "server auth"], set != ["digital signature", "server auth"] {
            return "usages did not match [digital signature key encipherment server auth]"
        }
        if !request.subject.commonName.hasPrefix("system:node:") { return "subject common name does not begin with system:node:" }
        return nil
    }
}

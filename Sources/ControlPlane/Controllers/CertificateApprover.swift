import ClusterPKI
import Foundation
import KubeAPI
import KubeClient
import Logging

/// Upstream's `csrapproving` controller: approves kubelet client CSRs (`kubernetes.io/kube-apiserver-client-kubelet`,
/// subject `system:node:<name>` / `system:nodes`, client-auth usages) whose requester may `create`
/// `certificatesigningrequests/selfnodeclient` (a node renewing its own certificate) or `…/nodeclient` (a
/// bootstrapper), asked of the API server with a SubjectAccessReview. Everything else waits for a person.
public struct CertificateApprover: Controller {
    public static let controllerName = "certificatesigningrequest-approving-controller"
    public var name: String { Self.controllerName }
    let client: KubeClient
    let requests: Informer<CertificateSigningRequest>
    let queue: WorkQueue
    let logger: Logger
    let metrics: ControllerMetrics

    public init(context: ControllerContext) {
        client = context.client
        requests = context.informers.informer(CertificateSigningRequest.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "certificate", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        let queue = queue
        requests.addHandler(InformerHandler(onAdd: { await queue.add($0.metadata.name ?? "") },
                                            onUpdate: { _, new in await queue.add(new.metadata.name ?? "") }))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { name in try await sync(name) }
    }

    /// Which subresource permission approves a recognised CSR, most specific first.
    static func recognizers(_ csr: CertificateSigningRequest, _ request: SigningRequest) -> [(subresource: String, message: String)] {
        guard csr.spec.signerName == CertificateSigningRequest.kubeAPIServerClientKubeletSigner,
              CertificateSigner.kubeletClientProblem(request, usages: csr.spec.usages ?? []) == nil else { return [] }
        var result: [(String, String)] = []
        if csr.spec.username == request.subject.commonName {
            result.append(("selfnodeclient", "Auto approving self kubelet client certificate after SubjectAccessReview."))
        }
        result.append(("nodeclient", "Auto approving kubelet client certificate after SubjectAccessReview."))
        return result
    }

    func sync(_ name: String) async throws {
        guard var csr = requests.get(name: name), (csr.status?.certificate ?? Data()).isEmpty,
              csr.condition("Approved") == nil, csr.condition("Denied") == nil else { return }
        guard let request = try? SigningRequest(pem: String(decoding: csr.spec.request, as: UTF8.self)) else {
            logger.debug("unable to parse csr", metadata: ["csr": "\(name)"])
            return
        }
        var tried: [String] = []
        for recognizer in Self.recognizers(csr, request) {
            tried.append(recognizer.subresource)
            let review = SubjectAccessReview(spec: SubjectAccessReviewSpec(
                resourceAttributes: ResourceAttributes(verb: "create", group: "certificates.k8s.io", version: "*",
                                                       resource: "certificatesigningrequests", subresource: recognizer.subresource),
                user: csr.spec.username, groups: csr.spec.groups, extra: csr.spec.extra, uid: csr.spec.uid))
            let answer: SubjectAccessReview
            do { answer = try await client.create(review) } catch { throw ControllerError.api(error) }
            guard answer.status?.allowed == true else { continue }
            var status = csr.status ?? CertificateSigningRequestStatus()
            status.conditions = (status.conditions ?? []) + [CertificateSigningRequestCondition(
                type: "Approved", status: "True", reason: "AutoApproved", message: recognizer.message, lastUpdateTime: Time.now())]
            csr.status = status
            do { _ = try await client.updateApproval(csr) } catch { throw ControllerError.api(error) }
            logger.info("approved certificate signing request", metadata: ["csr": "\(name)", "requestor": "\(csr.spec.username ?? "")"])
            return
        }
        if !tried.isEmpty {
            logger.info("recognized csr but subject access review was not approved",
                        metadata: ["csr": "\(name)", "tried": "\(tried)"])
        }
    }
}

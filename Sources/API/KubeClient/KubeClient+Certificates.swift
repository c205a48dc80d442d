import Foundation
import KubeAPI
import NIOHTTP1

extension KubeClient {
    /// Replaces a CertificateSigningRequest's `Approved`/`Denied` conditions through
    /// `certificatesigningrequests/{name}/approval`, as `kubectl certificate approve` does (the caller needs
    /// `approve` on the signer).
    public func updateApproval(_ csr: CertificateSigningRequest, fieldManager: String? = nil) async throws(KubeClientError) -> CertificateSigningRequest {
        var request = Request(method: .PUT, path: try objectPath(csr) + "/approval")
        if let fieldManager { request.query.append(("fieldManager", fieldManager)) }
        var object = csr
        object.setTypeMeta()
        request.body = try Self.body(object, for: request.description)
        return try await send(request, as: CertificateSigningRequest.self)
    }

    /// Asks the server whether `review.spec`'s user may do what it names (POST
    /// `/apis/authorization.k8s.io/v1/subjectaccessreviews`) and returns the review with its `status`.
    public func create(_ review: SubjectAccessReview) async throws(KubeClientError) -> SubjectAccessReview {
        var request = Request(method: .POST, path: "/apis/authorization.k8s.io/v1/subjectaccessreviews")
        request.body = try Self.body(review, for: request.description)
        return try await send(request, as: SubjectAccessReview.self)
    }
}

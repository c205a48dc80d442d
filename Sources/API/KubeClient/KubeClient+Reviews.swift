import Foundation
import KubeAPI
import NIOHTTP1

extension KubeClient {
    /// Posts a `TokenReview` and returns it with the API server's answer in `status`: who the token belongs to, or
    /// `authenticated: false` with the reason (what a kubelet in webhook mode asks about a bearer token).
    public func review(_ review: TokenReview) async throws(KubeClientError) -> TokenReview {
        var request = Request(method: .POST, path: TokenReview.resource.collectionPath(namespace: nil))
        request.body = try Self.body(review, for: request.description)
        return try await send(request, as: TokenReview.self)
    }

    /// Posts a `SubjectAccessReview` and returns it with the API server's decision in `status` (what a kubelet in
    /// webhook mode asks before serving a request).
    public func review(_ review: SubjectAccessReview) async throws(KubeClientError) -> SubjectAccessReview {
        var request = Request(method: .POST, path: "/apis/authorization.k8s.io/v1/subjectaccessreviews")
        request.body = try Self.body(review, for: request.description)
        return try await send(request, as: SubjectAccessReview.self)
    }
}

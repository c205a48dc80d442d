import Foundation
import KubeAPI
import Store

/// The API resources that are requests rather than stored objects: `serviceaccounts/{name}/token` (TokenRequest,
/// what `kubectl create token` posts), TokenReview, SelfSubjectReview (`kubectl auth whoami`), the access
/// reviews (`kubectl auth can-i` posts a SelfSubjectAccessReview) and SelfSubjectRulesReview (`kubectl auth can-i
/// --list`).
struct AuthEndpoints: Sendable {
    let core: ServerCore
    let security: Security?

    /// The response, if `path` is one of these resources.
    func handle(_ request: APIRequest, path: ResourcePath) async -> APIResponse? {
        switch (path.group, path.plural, path.subresource) {
        case ("", "serviceaccounts", "token"): return await guarded(request, "TokenRequest") { try await tokenRequest(request, path) }
        case ("authentication.k8s.io", "tokenreviews", nil): return await guarded(request, "TokenReview") { try await tokenReview(request) }
        case ("authentication.k8s.io", "selfsubjectreviews", nil): return await guarded(request, "SelfSubjectReview") { try selfSubjectReview(request) }
        case ("authorization.k8s.io", "selfsubjectaccessreviews", nil), ("authorization.k8s.io", "subjectaccessreviews", nil),
             ("authorization.k8s.io", "localsubjectaccessreviews", nil):
            return await guarded(request, "SubjectAccessReview") { try await accessReview(request, path) }
        case ("authorization.k8s.io", "selfsubjectrulesreviews", nil):
            return await guarded(request, "SelfSubjectRulesReview") { try selfSubjectRulesReview(request) }
        default: return nil
        }
    }

    private func guarded(_ request: APIRequest, _ kind: String, _ body: () async throws -> APIResponse) async -> APIResponse {
        guard request.method == "POST" else {
            return .status(Status(message: "the server does not allow this method on the requested resource", reason: "MethodNotAllowed",
                                  details: StatusDetails(), code: 405))
        }
        do { return try await body() } catch let status as Status {
            return .status(status)
        } catch {
            return .status(.badRequest("\(kind) in version \"v1\" cannot be handled as a \(kind): \(error)"))
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ request: APIRequest) throws -> T {
        let value = try core.parseBody(request)
        return try KubeJSON.decode(T.self, from: value.serialized())
    }

    // MARK: TokenRequest

    private func tokenRequest(_ request: APIRequest, _ path: ResourcePath) async throws -> APIResponse {
        guard let security else { throw Status(message: "service account tokens need the server's TLS set-up (not --insecure-http)", reason: "ServiceUnavailable", code: 503) }
        let namespace = path.namespace ?? "default", name = path.name ?? ""
        let account = try await boundObject(ServiceAccount.resource, namespace: namespace, name: name)
        var tokenRequest = try decode(TokenRequest.self, request)
        var spec = tokenRequest.spec ?? TokenRequest.Spec()
        let seconds = spec.expirationSeconds ?? 3600
        if seconds < 600 || seconds > 1 << 32 {
            let message = seconds < 600 ? "may not specify a duration less than 10 minutes" : "may not specify a duration larger than 2^32 seconds"
            throw Status.invalid(kind: "TokenRequest", group: "authentication.k8s.io", name: name, causes: [
                StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(seconds): \(message)", field: "spec.expirationSeconds"),
            ])
        }
        var pod: ServiceAccountTokens.Claims.Reference?
        var secret: ServiceAccountTokens.Claims.Reference?
        var node: ServiceAccountTokens.Claims.Reference?
        if let ref = spec.boundObjectRef {
            let uid: String?
            switch ref.kind {
            case "Pod":
                let bound = try await boundObject(Pod.resource, namespace: namespace, name: ref.name ?? "")
                guard (bound.spec?.serviceAccountName ?? "default") == name else {
                    throw Status.badRequest("cannot bind token for serviceaccount \"\(name)\" to pod running with different serviceaccount name.")
                }
                uid = bound.metadata.uid
                // The node the pod runs on goes into the token too (ServiceAccountTokenPodNodeInfo), when it exists.
                if let nodeName = bound.spec?.nodeName, !nodeName.isEmpty,
                   let nodeUID = try? await boundObject(Node.resource, namespace: nil, name: nodeName).metadata.uid {
                    node = ServiceAccountTokens.Claims.Reference(name: nodeName, uid: nodeUID)
                }
            case "Secret": uid = try await boundObject(Secret.resource, namespace: namespace, name: ref.name ?? "").metadata.uid
            default:
                throw Status.badRequest("cannot bind token for object of type \(ref.kind ?? "")")
            }
            guard let uid, (ref.uid ?? "").isEmpty || ref.uid == uid else {
                throw Status(message: "the UID in the bound object reference (\(ref.uid ?? "")) does not match the UID in record. The object might have been deleted and then recreated",
                             reason: "Conflict", code: 409)
            }
            let reference = ServiceAccountTokens.Claims.Reference(name: ref.name ?? "", uid: uid)
            if ref.kind == "Pod" { pod = reference } else { secret = reference }
            spec.boundObjectRef?.uid = uid
        }
        if (spec.audiences ?? []).isEmpty { spec.audiences = security.serviceAccounts.apiAudiences }
        spec.expirationSeconds = seconds
        // Upstream's --service-account-extend-token-expiration (on by default): a pod-bound token asked for the
        // kubelet's 3607 s for the API's audiences is valid for a year, with `warnafter` at the asked expiry, while
        // the answer reports the asked expiry (so the kubelet still renews it at 80% of 3607 s).
        let extended = pod != nil && seconds == ServiceAccountAdmission.tokenExpirationSeconds
            && Set(spec.audiences ?? []).isSubset(of: Set(security.serviceAccounts.apiAudiences))
        let now = Date()
        let (token, _) = try security.serviceAccounts.issue(namespace: namespace, name: name, uid: account.metadata.uid ?? "",
                                                            audiences: spec.audiences, seconds: extended ? ServiceAccountTokens.extendedSeconds : seconds,
                                                            pod: pod, secret: secret, node: node,
                                                            warnAfter: extended ? Int64(now.timeIntervalSince1970) + seconds : nil, now: now)
        tokenRequest = TokenRequest(metadata: ObjectMeta(name: name, namespace: namespace, creationTimestamp: .now()), spec: spec,
                                    status: .init(token: token, expirationTimestamp: Time(now.addingTimeInterval(TimeInterval(seconds)))))
        return .encoded(tokenRequest, status: 201)
    }

    /// What a TokenRequest reads of the service account and the objects a token is bound to: their uid, and of a
    /// Pod its service account and node. Decoding only these skips building a whole Pod or Node (a Node's status
    /// lists its images) for every pod's token.
    private struct BoundObject: Decodable {
        struct Metadata: Decodable { var uid: String? }
        struct Spec: Decodable {
            var serviceAccountName: String?
            var nodeName: String?
        }
        var metadata = Metadata()
        var spec: Spec?
    }

    /// The stored object `name` of `resource`, as much as a TokenRequest reads of it; NotFound when there is none.
    private func boundObject(_ resource: ResourceInfo, namespace: String?, name: String) async throws -> BoundObject {
        guard let kv = try await core.store.get(key: StoredObject.key(resource, namespace: namespace, name: name)) else {
            throw Status.notFound(resource, name: name)
        }
        return try KubeJSON.decode(BoundObject.self, from: kv.value)
    }

    // MARK: Reviews

    private func tokenReview(_ request: APIRequest) async throws -> APIResponse {
        var review = try decode(TokenReview.self, request)
        guard let security else { throw Status(message: "token review needs the server's TLS set-up (not --insecure-http)", reason: "ServiceUnavailable", code: 503) }
        guard let token = review.spec.token, !token.isEmpty else {
            throw Status.invalid(kind: "TokenReview", group: "authentication.k8s.io", name: "", causes: [
                StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.token"),
            ])
        }
        let audiences = (review.spec.audiences ?? []).isEmpty ? nil : review.spec.audiences
        switch await security.authenticator.authenticate(token: token, audiences: audiences) {
        case .success(let identity):
            review.status = .init(authenticated: true, user: identity.userInfo, audiences: audiences ?? security.serviceAccounts.apiAudiences)
        case .failure(let error):
            review.status = .init(authenticated: false, user: UserInfo(), error: "[invalid bearer token, \(error.description)]")
        }
        review.metadata = ObjectMeta(creationTimestamp: .now())
        return .encoded(review, status: 201)
    }

    private func selfSubjectReview(_ request: APIRequest) throws -> APIResponse {
        _ = try? decode(SelfSubjectReview.self, request)
        var review = SelfSubjectReview(status: .init(userInfo: (request.user ?? .anonymous).userInfo))
        review.metadata = ObjectMeta(creationTimestamp: .now())
        return .encoded(review, status: 201)
    }

    /// What the requester may do in `spec.namespace`, as upstream's rule resolvers enumerate it: RBAC's rules (the
    /// cluster-wide bindings' and the namespace's), split into resource and non-resource rules; a node's list is
    /// incomplete, as the Node authorizer does not enumerate what its graph allows.
    private func selfSubjectRulesReview(_ request: APIRequest) throws -> APIResponse {
        let body = try core.parseBody(request)
        guard let namespace = body["spec"]?["namespace"]?.stringValue, !namespace.isEmpty else { throw Status.badRequest("no namespace on request") }
        let identity = request.user ?? Identity(name: "", groups: ["system:masters"])
        var resourceRules: [JSONValue] = [], nonResourceRules: [JSONValue] = []
        var incomplete = false, evaluationError: String?
        func strings(_ values: [String]?) -> JSONValue { .array((values ?? []).map { .string($0) }) }
        if let security {
            for rule in security.rbac.rules(for: identity, namespace: namespace) {
                if !(rule.resources ?? []).isEmpty {
                    var entry: JSONValue = ["verbs": strings(rule.verbs), "apiGroups": strings(rule.apiGroups), "resources": strings(rule.resources)]
                    if !(rule.resourceNames ?? []).isEmpty { entry["resourceNames"] = strings(rule.resourceNames) }
                    resourceRules.append(entry)
                }
                if !(rule.nonResourceURLs ?? []).isEmpty {
                    nonResourceRules.append(["verbs": strings(rule.verbs), "nonResourceURLs": strings(rule.nonResourceURLs)])
                }
            }
            if identity.isNode {
                incomplete = true
                evaluationError = "node authorizer does not support user rule resolution"
            }
        } else {
            resourceRules = [["verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]]]
            nonResourceRules = [["verbs": ["*"], "nonResourceURLs": ["*"]]]
        }
        var status: JSONValue = ["resourceRules": .array(resourceRules), "nonResourceRules": .array(nonResourceRules), "incomplete": .bool(incomplete)]
        if let evaluationError { status["evaluationError"] = .string(evaluationError) }
        return .json(["kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1",
                      "metadata": ["creationTimestamp": .string(Time.now().description)],
                      "spec": ["namespace": .string(namespace)], "status": status], status: 201)
    }

    private func accessReview(_ request: APIRequest, _ path: ResourcePath) async throws -> APIResponse {
        var review = try decode(SubjectAccessReview.self, request)
        let isSelf = path.plural == "selfsubjectaccessreviews"
        let identity: Identity
        if isSelf {
            identity = request.user ?? Identity(name: "", groups: ["system:masters"])
        } else {
            guard !(review.spec.user ?? "").isEmpty || !(review.spec.groups ?? []).isEmpty else {
                throw Status.invalid(kind: review.kind ?? "SubjectAccessReview", group: "authorization.k8s.io", name: "", causes: [
                    StatusCause(reason: "FieldValueRequired", message: "Required value: at least one of user or group must be specified", field: "spec.user"),
                ])
            }
            identity = Identity(name: review.spec.user ?? "", uid: review.spec.uid ?? "", groups: review.spec.groups ?? [], extra: review.spec.extra ?? [:])
        }
        if path.plural == "localsubjectaccessreviews", let namespace = path.namespace {
            if review.spec.resourceAttributes?.namespace == nil { review.spec.resourceAttributes?.namespace = namespace }
            guard review.spec.resourceAttributes?.namespace == namespace else {
                throw Status.badRequest("spec.resourceAttributes.namespace must match namespace: \(namespace)")
            }
        }
        let attributes: RequestAttributes
        if let r = review.spec.resourceAttributes {
            attributes = RequestAttributes(verb: r.verb ?? "", apiGroup: r.group ?? "", resource: r.resource ?? "", subresource: r.subresource ?? "",
                                           namespace: r.namespace ?? "", name: r.name ?? "")
        } else if let n = review.spec.nonResourceAttributes {
            attributes = RequestAttributes(nonResourcePath: n.path ?? "", verb: n.verb ?? "")
        } else {
            throw Status.invalid(kind: review.kind ?? "SubjectAccessReview", group: "authorization.k8s.io", name: "", causes: [
                StatusCause(reason: "FieldValueRequired", message: "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified",
                            field: "spec.resourceAttributes"),
            ])
        }
        if let security {
            let (allowed, reason) = await security.decide(identity, attributes)
            review.status = SubjectAccessReviewStatus(allowed: allowed, reason: reason.isEmpty ? nil : reason)
        } else {
            review.status = SubjectAccessReviewStatus(allowed: true, reason: "no authorization on an insecure port")
        }
        if isSelf { review.spec.user = nil; review.spec.groups = nil }
        review.metadata = ObjectMeta(creationTimestamp: .now())
        return .encoded(review, status: 201)
    }
}

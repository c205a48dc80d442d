import ClusterPKI
import Foundation
import KubeAPI
import Logging
import Store
import Synchronization

/// Decides who a request is, in upstream's order: a client certificate the TLS layer verified against the cluster CA
/// (CN = user, O = groups), else a bearer token (the static token file, bootstrap tokens, then service-account
/// JWTs), else anonymous
/// when `--anonymous-auth` allows it. A presented but invalid token is a 401 even with anonymous access on.
struct Authenticator: Sendable {
    let tokenFile: StaticTokenFile?
    /// Bootstrap tokens (`--enable-bootstrap-token-auth`); nil when off.
    var bootstrapTokens: BootstrapTokens? = nil
    let serviceAccounts: ServiceAccountTokens?
    let anonymous: Bool
    let store: any Store
    let logger: Logger
    /// Subjects of the client certificates seen lately, so a certificate is parsed once, not on every request.
    let subjects = SubjectCache()
    /// Where `apiserver_client_certificate_expiration_seconds` is recorded; nil: not recorded.
    var metrics: APIMetrics? = nil

    enum Outcome: Sendable {
        case authenticated(Identity)
        case unauthorized
    }

    func authenticate(_ request: APIRequest) async -> Outcome {
        if let der = request.clientCertificate, let entry = subjects.subject(der), !entry.subject.commonName.isEmpty {
            let (subject, validity) = (entry.subject, entry.validity)
            // Checked on every request, as upstream's x509 authenticator verifies the chain at the current time: a
            // connection opened before its certificate expired does not keep it usable.
            let now = Date()
            metrics?.recordClientCertificate(remaining: validity.upperBound.timeIntervalSince(now))
            guard validity.contains(now) else {
                logger.debug("client certificate is not valid now", metadata: ["user": "\(subject.commonName)",
                                                                             "notBefore": "\(validity.lowerBound)", "notAfter": "\(validity.upperBound)"])
                return .unauthorized
            }
            return .authenticated(Identity(name: subject.commonName, groups: subject.organizations).authenticated())
        }
        if let header = request.header("authorization") {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return .unauthorized }
            let token = parts[1].trimmingCharacters(in: .whitespaces)
            switch await authenticate(token: token, audiences: nil) {
            case .success(let identity): return .authenticated(identity)
            case .failure(let error):
                logger.debug("token rejected", metadata: ["error": "\(error)"])
                return .unauthorized
            }
        }
        return anonymous ? .authenticated(.anonymous) : .unauthorized
    }

    /// A bearer token's identity (what TokenReview answers as well).
    func authenticate(token: String, audiences: [String]?) async -> Result<Identity, AuthError> {
        if token.isEmpty { return .failure(AuthError("empty token")) }
        if let identity = tokenFile?.users[token] { return .success(identity.authenticated()) }
        if let bootstrapTokens, let identity = await bootstrapTokens.authenticate(token) { return .success(identity) }
        guard let serviceAccounts, token.split(separator: ".").count == 3 else { return .failure(AuthError("invalid bearer token")) }
        let claims: ServiceAccountTokens.Claims
        switch serviceAccounts.verify(token, audiences: audiences) {
        case .success(let c): claims = c
        case .failure(let error): return .failure(error)
        }
        let namespace = claims.kubernetes.namespace, name = claims.kubernetes.serviceaccount.name
        // The token lives only as long as its ServiceAccount (same UID) and the object it is bound to.
        guard let account = await object(ServiceAccount.self, namespace: namespace, name: name),
              account.metadata.uid == claims.kubernetes.serviceaccount.uid else {
            return .failure(AuthError("service account \(namespace)/\(name) has been deleted"))
        }
        var extra: [String: [String]] = ["authentication.kubernetes.io/credential-id": ["JTI=\(claims.jti)"]]
        if let pod = claims.kubernetes.pod {
            guard let bound = await object(Pod.self, namespace: namespace, name: pod.name), bound.metadata.uid == pod.uid else {
                return .failure(AuthError("pod \(namespace)/\(pod.name) bound to the token has been deleted"))
            }
            extra["authentication.kubernetes.io/pod-name"] = [pod.name]
            extra["authentication.kubernetes.io/pod-uid"] = [pod.uid]
        }
        if let node = claims.kubernetes.node {
            extra["authentication.kubernetes.io/node-name"] = [node.name]
            extra["authentication.kubernetes.io/node-uid"] = [node.uid]
        }
        if let secret = claims.kubernetes.secret {
            guard let bound = await object(Secret.self, namespace: namespace, name: secret.name), bound.metadata.uid == secret.uid else {
                return .failure(AuthError("secret \(namespace)/\(secret.name) bound to the token has been deleted"))
            }
        }
        return .success(Identity(name: claims.sub, uid: claims.kubernetes.serviceaccount.uid,
                                 groups: ["system:serviceaccounts", "system:serviceaccounts:\(namespace)", "system:authenticated"],
                                 extra: extra))
    }

    private func object<K: KubeObject>(_ type: K.Type, namespace: String, name: String) async -> K? {
        guard let kv = try? await store.get(key: StoredObject.key(K.resource, namespace: namespace, name: name)) else { return nil }
        return try? KubeJSON.decode(K.self, from: kv.value)
    }
}

/// A bounded map from a verified certificate's DER bytes to its subject and validity (emptied when full: client
/// certificates are few and long-lived).
final class SubjectCache: Sendable {
    private let entries = Mutex<[[UInt8]: (subject: CertificateSubject, validity: ClosedRange<Date>)]>([:])
    static let capacity = 4096

    func subject(_ der: [UInt8]) -> (subject: CertificateSubject, validity: ClosedRange<Date>)? {
        if let known = entries.withLock({ $0[der] }) { return known }
        guard let subject = try? CertificateSubject(der: der), let validity = try? CertificateSubject.validity(der: der) else { return nil }
        entries.withLock {
            if $0.count >= Self.capacity { $0.removeAll(keepingCapacity: true) }
            $0[der] = (subject, validity)
        }
        return (subject, validity)
    }
}

extension Status {
    /// 401, as upstream answers a request it cannot authenticate.
    static let unauthorized = Status(message: "Unauthorized", reason: "Unauthorized", code: 401)

    /// 403 in upstream's words: `pods is forbidden: User "x" cannot create resource "pods" in API group "" in the
    /// namespace "default"`, with the authorizer's reason appended when it has one.
    static func forbidden(_ attributes: RequestAttributes, user: String, reason: String = "") -> Status {
        let suffix = reason.isEmpty ? "" : ": \(reason)"
        guard attributes.isResourceRequest else {
            return Status(message: "forbidden: User \"\(user)\" cannot \(attributes.verb) path \"\(attributes.path)\"\(suffix)",
                          reason: "Forbidden", details: StatusDetails(), code: 403)
        }
        var resource = attributes.resource
        if !attributes.subresource.isEmpty { resource += "/\(attributes.subresource)" }
        // The subject names the resource without its subresource (`pods "x" is forbidden: … resource "pods/exec"`).
        let qualified = attributes.apiGroup.isEmpty ? attributes.resource : "\(attributes.resource).\(attributes.apiGroup)"
        let subject = attributes.name.isEmpty ? qualified : "\(qualified) \"\(attributes.name)\""
        let scope = attributes.namespace.isEmpty ? "at the cluster scope" : "in the namespace \"\(attributes.namespace)\""
        return Status(message: "\(subject) is forbidden: User \"\(user)\" cannot \(attributes.verb) resource \"\(resource)\" in API group \"\(attributes.apiGroup)\" \(scope)\(suffix)",
                      reason: "Forbidden",
                      details: StatusDetails(name: attributes.name.isEmpty ? nil : attributes.name, group: attributes.apiGroup, kind: attributes.resource),
                      code: 403)
    }
}

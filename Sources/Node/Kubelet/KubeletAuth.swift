import ClusterPKI
import Crypto
import Foundation
import KubeAPI
import KubeClient
import Logging
import Metrics
import Synchronization

/// Who may use the kubelet's port, decided as upstream's kubelet does in webhook mode (`authentication.webhook`,
/// `authorization.mode: Webhook`, the KubeletConfiguration defaults):
///
/// - **Authentication**: a client certificate the TLS layer verified against the cluster CA (CN = user, O = groups),
///   else a bearer token the API server vouches for in a `TokenReview` (answers cached 2 minutes, upstream's
///   `--authentication-token-webhook-cache-ttl`), else anonymous (`system:anonymous`) when `--anonymous-auth` allows
///   it; otherwise 401 `Unauthorized`.
/// - **Authorization**: a `SubjectAccessReview` for the request as a verb on the node — `get`/`create`/`update`/
///   `patch`/`delete` from the HTTP method, resource `nodes`, name = the node, subresource `stats`, `metrics`, `log` or
///   `spec` by path and `proxy` for everything else (pods, exec, attach, portForward, containerLogs, run, healthz).
///   Allowed answers are cached 5 minutes, denied ones 30 seconds (upstream's webhook cache TTLs); a denial is 403
///   `Forbidden (user=…, verb=…, resource=nodes, subresource=…)`, a failed review 500 `Authorization error (…)`.
///
/// The API server reaches the kubelet as `kube-apiserver-kubelet-client` in `system:masters`, which every review
/// allows. The reviews are posted with the agent's own credentials (`system:node:<name>`, whose `system:node` rules
/// include creating TokenReviews and SubjectAccessReviews).
final class KubeletAuth: Sendable {
    /// An authenticated caller (upstream's `user.Info`).
    struct User: Sendable, Hashable {
        var name: String
        var uid = ""
        var groups: [String] = []
        var extra: [String: [String]] = [:]

        static let anonymous = User(name: "system:anonymous", groups: ["system:unauthenticated"])
    }

    /// What a request asks of the node, as the authorizer sees it.
    struct Attributes: Sendable, Hashable {
        var verb: String
        var subresource: String
    }

    /// A refused request: the status and upstream's plain-text body.
    struct Refusal: Error, Sendable, Equatable {
        var statusCode: Int
        var message: String
    }

    typealias Mode = KubeletConfiguration.AuthorizationMode

    /// Answers a token's review (the API server's `TokenReview`); a thrown error is not cached.
    typealias TokenReviewer = @Sendable (String) async throws -> TokenReview.Status
    /// Answers an access review (the API server's `SubjectAccessReview`); a thrown error is not cached.
    typealias AccessReviewer = @Sendable (SubjectAccessReviewSpec) async throws -> SubjectAccessReviewStatus

    static let tokenCacheTTL: Duration = .seconds(120)
    static let allowedCacheTTL: Duration = .seconds(300)
    static let deniedCacheTTL: Duration = .seconds(30)
    /// Entries per cache before it is emptied (callers are few: the API server, metrics scrapers, operators).
    static let cacheCapacity = 4096

    let nodeName: String
    let anonymous: Bool
    let mode: Mode
    private let reviewToken: TokenReviewer
    private let reviewAccess: AccessReviewer
    private let logger: Logger
    private let subjects = Mutex<[[UInt8]: CertificateSubject]>([:])
    private let tokens = Mutex<[SHA256Digest: (user: User?, expires: ContinuousClock.Instant)]>([:])
    private let decisions = Mutex<[SubjectAccessReviewSpec: (allowed: Bool, expires: ContinuousClock.Instant)]>([:])

    init(nodeName: String, anonymous: Bool = false, mode: Mode = .webhook,
         reviewToken: @escaping TokenReviewer, reviewAccess: @escaping AccessReviewer, logger: Logger) {
        self.nodeName = nodeName
        self.anonymous = anonymous
        self.mode = mode
        self.reviewToken = reviewToken
        self.reviewAccess = reviewAccess
        self.logger = logger
    }

    /// Reviews posted to the API server through `client` (the agent's own credentials).
    convenience init(nodeName: String, anonymous: Bool, mode: Mode, client: KubeClient, logger: Logger) {
        self.init(nodeName: nodeName, anonymous: anonymous, mode: mode, reviewToken: { token in
            try await Self.timed("apiserver_delegated_authn_request") {
                try await client.review(TokenReview(spec: .init(token: token))).status ?? .init(authenticated: false)
            }
        }, reviewAccess: { spec in
            try await Self.timed("apiserver_delegated_authz_request") {
                try await client.review(SubjectAccessReview(spec: spec)).status ?? .init(allowed: false)
            }
        }, logger: logger)
    }

    /// nil when the request may go on, else why not.
    func refusal(method: String, path: String, authorization: String?, clientCertificate: [UInt8]?) async -> Refusal? {
        guard let user = await authenticate(authorization: authorization, clientCertificate: clientCertificate) else {
            return Refusal(statusCode: 401, message: "Unauthorized")
        }
        let attributes = Self.attributes(method: method, path: path)
        let described = "(user=\(user.name), verb=\(attributes.verb), resource=nodes, subresource=\(attributes.subresource))"
        do {
            guard try await authorize(user, attributes) else {
                logger.debug("Forbidden", metadata: ["user": "\(user.name)", "verb": "\(attributes.verb)", "subresource": "\(attributes.subresource)"])
                return Refusal(statusCode: 403, message: "Forbidden \(described)")
            }
        } catch {
            logger.error("Authorization error", metadata: ["user": "\(user.name)", "verb": "\(attributes.verb)",
                                                           "subresource": "\(attributes.subresource)", "error": "\(error)"])
            return Refusal(statusCode: 500, message: "Authorization error \(described)")
        }
        return nil
    }

    // MARK: Authentication

    /// The caller, or nil (401).
    func authenticate(authorization: String?, clientCertificate: [UInt8]?) async -> User? {
        if let der = clientCertificate, let subject = subject(der), !subject.commonName.isEmpty {
            return Self.authenticated(User(name: subject.commonName, groups: subject.organizations))
        }
        if let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
            let token = parts[1].trimmingCharacters(in: .whitespaces)
            guard !token.isEmpty else { return nil }
            return await user(token: token)
        }
        return anonymous ? .anonymous : nil
    }

    /// Everyone authenticated is in `system:authenticated`, as upstream's authenticator union adds it.
    private static func authenticated(_ user: User) -> User {
        var user = user
        if !user.groups.contains("system:authenticated") { user.groups.append("system:authenticated") }
        return user
    }

    private func subject(_ der: [UInt8]) -> CertificateSubject? {
        if let known = subjects.withLock({ $0[der] }) { return known }
        guard let subject = try? CertificateSubject(der: der) else { return nil }
        subjects.withLock {
            if $0.count >= Self.cacheCapacity { $0.removeAll(keepingCapacity: true) }
            $0[der] = subject
        }
        return subject
    }

    /// A bearer token's user from the cache or a TokenReview (tokens are kept only as their SHA-256).
    private func user(token: String) async -> User? {
        let key = SHA256.hash(data: Data(token.utf8))
        let now = ContinuousClock.now
        if let cached = tokens.withLock({ $0[key] }), cached.expires > now { return cached.user }
        let status: TokenReview.Status
        do {
            status = try await reviewToken(token)
        } catch {
            logger.warning("token review failed", metadata: ["error": "\(error)"])
            return nil
        }
        var user: User?
        if status.authenticated == true, let info = status.user, let name = info.username, !name.isEmpty {
            user = Self.authenticated(User(name: name, uid: info.uid ?? "", groups: info.groups ?? [], extra: info.extra ?? [:]))
        } else {
            logger.debug("token rejected", metadata: ["error": "\(status.error ?? "not authenticated")"])
        }
        tokens.withLock {
            if $0.count >= Self.cacheCapacity { $0 = $0.filter { $0.value.expires > now } }
            if $0.count >= Self.cacheCapacity { $0.removeAll(keepingCapacity: true) }
            $0[key] = (user, now + Self.tokenCacheTTL)
        }
        return user
    }

    // MARK: Authorization

    /// The verb and subresource upstream's kubelet derives from a request (`GetRequestAttributes`).
    static func attributes(method: String, path: String) -> Attributes {
        let verb = switch method.uppercased() {
        case "POST": "create"
        case "GET": "get"
        case "PUT": "update"
        case "PATCH": "patch"
        case "DELETE": "delete"
        default: ""
        }
        let subresource = if isSubpath(path, of: "/stats/") { "stats" }
            else if isSubpath(path, of: "/metrics") { "metrics" }
            else if isSubpath(path, of: "/logs/") { "log" }
            else if isSubpath(path, of: "/spec/") { "spec" }
            else { "proxy" }
        return Attributes(verb: verb, subresource: subresource)
    }

    /// `/stats` and `/stats/summary` are under `/stats/`; `/statsx` is not.
    private static func isSubpath(_ path: String, of root: String) -> Bool {
        let root = root.hasSuffix("/") ? String(root.dropLast()) : root
        return path == root || path.hasPrefix(root + "/")
    }

    /// The SubjectAccessReview upstream's webhook authorizer sends for `attributes` on this node.
    func accessReview(_ user: User, _ attributes: Attributes) -> SubjectAccessReviewSpec {
        SubjectAccessReviewSpec(
            resourceAttributes: ResourceAttributes(namespace: "", verb: attributes.verb, group: "", version: "v1", resource: "nodes",
                                                   subresource: attributes.subresource, name: nodeName),
            user: user.name, groups: user.groups.isEmpty ? nil : user.groups, extra: user.extra.isEmpty ? nil : user.extra,
            uid: user.uid.isEmpty ? nil : user.uid)
    }

    private func authorize(_ user: User, _ attributes: Attributes) async throws -> Bool {
        guard mode == .webhook else { return true }
        let spec = accessReview(user, attributes)
        let now = ContinuousClock.now
        if let cached = decisions.withLock({ $0[spec] }), cached.expires > now { return cached.allowed }
        let status = try await reviewAccess(spec)
        let allowed = status.allowed && status.denied != true
        if !allowed, let reason = status.reason, !reason.isEmpty {
            logger.debug("access denied", metadata: ["user": "\(user.name)", "reason": "\(reason)"])
        }
        decisions.withLock {
            if $0.count >= Self.cacheCapacity { $0 = $0.filter { $0.value.expires > now } }
            if $0.count >= Self.cacheCapacity { $0.removeAll(keepingCapacity: true) }
            $0[spec] = (allowed, now + (allowed ? Self.allowedCacheTTL : Self.deniedCacheTTL))
        }
        return allowed
    }

    // MARK: Metrics

    /// Counts and times a review under upstream's delegated-auth names: `<name>_total{code}` and
    /// `<name>_duration_seconds{code}` (code: the HTTP status, or `<error>` when none came back).
    private static func timed<T: Sendable>(_ name: String, _ body: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        let code: String
        defer {
            Counter(label: "\(name)_total", dimensions: [("code", code)]).increment()
            Metrics.Timer(label: "\(name)_duration_seconds", dimensions: [("code", code)], preferredDisplayUnit: .seconds)
                .recordInterval(since: start)
        }
        do {
            let value = try await body()
            code = "201"
            return value
        } catch let error as KubeClientError {
            code = error.code.map(String.init) ?? "<error>"
            throw error
        } catch {
            code = "<error>"
            throw error
        }
    }
}

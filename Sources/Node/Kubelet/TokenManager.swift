import Foundation
import KubeAPI
import KubeClient
import Synchronization

/// The kubelet's service-account token manager: tokens for `serviceAccountToken` projections, requested through
/// the TokenRequest API bound to the pod (name and UID), cached per pod, account, audience and lifetime, and
/// requested again once 80% of their lifetime has passed (or after 24 hours), as upstream's token manager does.
final class TokenManager: Sendable {
    struct Key: Hashable, Sendable {
        var namespace: String
        var serviceAccount: String
        var audience: String
        var expirationSeconds: Int64
        var podUID: String
    }

    private struct Entry: Sendable {
        var token: String
        var issued: Date
        var expires: Date
        var seconds: Int64
    }

    /// Upstream's default and floor for a projection's `expirationSeconds`.
    static let defaultExpirationSeconds: Int64 = 3600
    static let maxTTL: TimeInterval = 24 * 3600

    private let client: KubeClient
    private let entries = Mutex<[Key: Entry]>([:])

    init(client: KubeClient) { self.client = client }

    /// The token for the projection in `pod`, from the cache while it is fresh enough, else a new one.
    func token(for projection: ServiceAccountTokenProjection, pod: Pod, now: Date = Date()) async throws -> String {
        let namespace = pod.metadata.namespace ?? "default"
        let key = Key(namespace: namespace, serviceAccount: pod.spec?.serviceAccountName ?? "default", audience: projection.audience ?? "",
                      expirationSeconds: projection.expirationSeconds ?? Self.defaultExpirationSeconds, podUID: pod.metadata.uid ?? "")
        if let entry = entries.withLock({ $0[key] }), !Self.requiresRefresh(issued: entry.issued, expires: entry.expires, seconds: entry.seconds, now: now) {
            return entry.token
        }
        let request = TokenRequest(spec: TokenRequest.Spec(
            audiences: key.audience.isEmpty ? nil : [key.audience], expirationSeconds: key.expirationSeconds,
            boundObjectRef: BoundObjectReference(kind: "Pod", apiVersion: "v1", name: pod.metadata.name, uid: key.podUID)))
        let answer = try await client.createToken(serviceAccount: key.serviceAccount, namespace: namespace, request)
        guard let token = answer.status?.token, !token.isEmpty else {
            throw ContainerConfigError(message: "the TokenRequest for service account \(namespace)/\(key.serviceAccount) returned no token")
        }
        let seconds = answer.spec?.expirationSeconds ?? key.expirationSeconds
        let expires = answer.status?.expirationTimestamp?.date ?? now.addingTimeInterval(TimeInterval(seconds))
        entries.withLock { $0[key] = Entry(token: token, issued: expires.addingTimeInterval(-TimeInterval(seconds)), expires: expires, seconds: seconds) }
        return token
    }

    /// Whether a token issued at `issued` for `seconds` and expiring at `expires` is due: 80% of its lifetime or
    /// 24 hours have passed.
    static func requiresRefresh(issued: Date, expires: Date, seconds: Int64, now: Date) -> Bool {
        if now >= issued.addingTimeInterval(maxTTL) { return true }
        return now >= expires.addingTimeInterval(-TimeInterval(seconds) * 0.2)
    }

    /// Drops the tokens of a pod that is gone.
    func forget(podUID: String) {
        entries.withLock { entries in entries = entries.filter { $0.key.podUID != podUID } }
    }
}

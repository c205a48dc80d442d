import Foundation
import KubeAPI
import Store

/// Bootstrap tokens (`--enable-bootstrap-token-auth`, as kubeadm runs kube-apiserver): a bearer token
/// `<id>.<secret>` (`[a-z0-9]{6}.[a-z0-9]{16}`) authenticates as `system:bootstrap:<id>` in `system:bootstrappers`
/// (plus the Secret's `auth-extra-groups`) while the `kube-system/bootstrap-token-<id>` Secret of type
/// `bootstrap.kubernetes.io/token` holds that secret, allows authentication and has not expired.
struct BootstrapTokens: Sendable {
    static let secretType = "bootstrap.kubernetes.io/token"
    static let defaultGroup = "system:bootstrappers"

    let store: any Store

    /// `(id, secret)` of a token in the bootstrap form.
    static func parse(_ token: String) -> (id: String, secret: String)? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        func valid(_ part: Substring, _ count: Int) -> Bool {
            part.utf8.count == count && part.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) }
        }
        guard parts.count == 2, valid(parts[0], 6), valid(parts[1], 16) else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    /// The token's identity; nil when the token is not a valid bootstrap token (other authenticators may try it).
    func authenticate(_ token: String, now: Date = Date()) async -> Identity? {
        guard let (id, secretValue) = Self.parse(token),
              let kv = try? await store.get(key: StoredObject.key(Secret.resource, namespace: "kube-system", name: "bootstrap-token-\(id)")),
              let secret = try? KubeJSON.decode(Secret.self, from: kv.value),
              secret.metadata.deletionTimestamp == nil, secret.type == Self.secretType else { return nil }
        func value(_ key: String) -> String {
            secret.data?[key].flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        // Constant-time comparison of the secret half, as upstream's subtle.ConstantTimeCompare.
        let expected = Array(value("token-secret").utf8), given = Array(secretValue.utf8)
        guard expected.count == given.count, zip(expected, given).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else { return nil }
        guard value("token-id") == id, !Self.hasExpired(value("expiration"), now: now),
              value("usage-bootstrap-authentication") == "true", let groups = Self.groups(value("auth-extra-groups")) else { return nil }
        return Identity(name: "system:bootstrap:\(id)", groups: groups).authenticated()
    }

    /// An `expiration` (RFC 3339) in the past, or one that does not parse, has expired; none never does.
    static func hasExpired(_ expiration: String, now: Date) -> Bool {
        guard !expiration.isEmpty else { return false }
        let formatter = ISO8601DateFormatter()
        var date = formatter.date(from: expiration)
        if date == nil {
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            date = formatter.date(from: expiration)
        }
        guard let date else { return true }
        return date <= now
    }

    /// `system:bootstrappers` and the extra groups (each `system:bootstrappers:…`), sorted as upstream's set lists
    /// them; nil when an extra group is malformed.
    static func groups(_ extra: String) -> [String]? {
        var groups: Set<String> = [defaultGroup]
        for raw in extra.split(separator: ",") {
            let group = raw.trimmingCharacters(in: .whitespaces)
            guard group.hasPrefix(defaultGroup + ":") else { return nil }
            let rest = group.dropFirst(defaultGroup.count + 1)
            guard (1...256).contains(rest.count), let last = rest.utf8.last,
                  (0x61...0x7a).contains(last) || (0x30...0x39).contains(last),
                  rest.utf8.allSatisfy({ (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-") })
            else { return nil }
            groups.insert(group)
        }
        return groups.sorted()
    }
}

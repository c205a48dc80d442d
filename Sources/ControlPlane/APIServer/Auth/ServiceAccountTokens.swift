import Crypto
import Foundation
import KubeAPI

/// Service-account tokens: JWTs signed with the cluster's service-account key (ES256), carrying upstream's claims
/// (`iss`, `sub` = `system:serviceaccount:<ns>:<name>`, `aud`, `exp`/`iat`/`nbf`, `jti` and the private
/// `kubernetes.io` claim naming the namespace, the ServiceAccount and the object the token is bound to).
struct ServiceAccountTokens: Sendable {
    /// The claims this server writes and checks.
    struct Claims: Codable, Sendable, Equatable {
        struct Reference: Codable, Sendable, Equatable {
            var name: String
            var uid: String
        }
        struct Private: Codable, Sendable, Equatable {
            var namespace: String
            var serviceaccount: Reference
            var pod: Reference?
            var secret: Reference?
            var node: Reference?
            /// When an extended pod token should have been renewed (Unix seconds).
            var warnafter: Int64?
        }
        var iss: String
        var sub: String
        var aud: [String]
        var exp: Int64
        var iat: Int64
        var nbf: Int64
        var jti: String
        var kubernetes: Private

        enum CodingKeys: String, CodingKey {
            case iss, sub, aud, exp, iat, nbf, jti
            case kubernetes = "kubernetes.io"
        }
    }

    struct Header: Codable { var alg: String; var kid: String }

    let key: P256.Signing.PrivateKey
    /// `--service-account-issuer`'s default on a kubeadm cluster.
    let issuer: String
    /// The audiences the API server accepts (`--api-audiences`, defaulting to the issuer).
    let apiAudiences: [String]
    let keyID: String
    /// Upstream's ExpirationExtensionSeconds: the lifetime of an extended pod token (one year).
    static let extendedSeconds: Int64 = 365 * 24 * 3600

    init(key: P256.Signing.PrivateKey, issuer: String = "https://kubernetes.default.svc.cluster.local") {
        self.key = key
        self.issuer = issuer
        apiAudiences = [issuer]
        // Upstream's key ID: base64url of the SHA-256 of the DER public key.
        keyID = Self.base64URL(Data(SHA256.hash(data: key.publicKey.derRepresentation)))
    }

    /// Signs a token for the ServiceAccount; `seconds` of validity.
    func issue(namespace: String, name: String, uid: String, audiences: [String]?, seconds: Int64,
               pod: Claims.Reference? = nil, secret: Claims.Reference? = nil, node: Claims.Reference? = nil,
               warnAfter: Int64? = nil, now: Date = Date()) throws -> (token: String, expires: Date) {
        let iat = Int64(now.timeIntervalSince1970)
        let claims = Claims(iss: issuer, sub: "system:serviceaccount:\(namespace):\(name)",
                            aud: (audiences?.isEmpty ?? true) ? apiAudiences : audiences!, exp: iat + seconds, iat: iat, nbf: iat,
                            jti: UUID().uuidString.lowercased(),
                            kubernetes: .init(namespace: namespace, serviceaccount: .init(name: name, uid: uid), pod: pod, secret: secret, node: node,
                                              warnafter: warnAfter))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let header = Self.base64URL(try encoder.encode(Header(alg: "ES256", kid: keyID)))
        let payload = Self.base64URL(try encoder.encode(claims))
        let signingInput = header + "." + payload
        let signature = try key.signature(for: Data(signingInput.utf8)).rawRepresentation
        return (signingInput + "." + Self.base64URL(signature), Date(timeIntervalSince1970: TimeInterval(claims.exp)))
    }

    /// The claims of a token this key signed, if its signature, issuer, time window and audience hold.
    func verify(_ token: String, audiences: [String]? = nil, now: Date = Date()) -> Result<Claims, AuthError> {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Self.decodeBase64URL(parts[0]), let payloadData = Self.decodeBase64URL(parts[1]),
              let signatureData = Self.decodeBase64URL(parts[2]),
              let header = try? JSONDecoder().decode(Header.self, from: headerData) else {
            return .failure(AuthError("not a service account token"))
        }
        guard header.alg == "ES256", let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signatureData),
              key.publicKey.isValidSignature(signature, for: Data((parts[0] + "." + parts[1]).utf8)) else {
            return .failure(AuthError("invalid signature"))
        }
        guard let claims = try? JSONDecoder().decode(Claims.self, from: payloadData), claims.iss == issuer else {
            return .failure(AuthError("token issuer not recognised"))
        }
        let seconds = Int64(now.timeIntervalSince1970)
        // Upstream allows 60 s of clock skew either way.
        guard claims.exp + 60 >= seconds else { return .failure(AuthError("service account token has expired")) }
        guard claims.nbf - 60 <= seconds else { return .failure(AuthError("service account token is not valid yet")) }
        let accepted = audiences ?? apiAudiences
        guard claims.aud.contains(where: accepted.contains) else { return .failure(AuthError("token audiences \(claims.aud) is invalid for the target audiences \(accepted)")) }
        return .success(claims)
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: Substring) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}

import Foundation

/// Credentials for one pull, the fields of the CRI `AuthConfig`: basic `username`/`password` (or `auth`,
/// base64 of `user:pass`), an OAuth2 refresh token (`identityToken`) exchanged at the token realm, or a
/// bearer token (`registryToken`) sent as is.
public struct RegistryCredentials: Sendable, Hashable {
    public var username: String
    public var password: String
    public var auth: String
    public var identityToken: String
    public var registryToken: String

    public init(username: String = "", password: String = "", auth: String = "", identityToken: String = "",
                registryToken: String = "") {
        self.username = username
        self.password = password
        self.auth = auth
        self.identityToken = identityToken
        self.registryToken = registryToken
    }

    /// The user and password, from `username`/`password` or else decoded from `auth`.
    var basic: (user: String, password: String)? {
        if !username.isEmpty { return (username, password) }
        guard !auth.isEmpty, let data = Data(base64Encoded: auth), let text = String(data: data, encoding: .utf8),
              let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    var isEmpty: Bool { basic == nil && identityToken.isEmpty && registryToken.isEmpty }
}

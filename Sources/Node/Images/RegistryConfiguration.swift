import Foundation
import Yams

/// Where and how to reach registries, in the shape of k3s's `registries.yaml` (JSON works too):
///
/// ```yaml
/// mirrors:
///   docker.io:
///     endpoint: ["http://127.0.0.1:5000"]
/// configs:
///   "127.0.0.1:5000":
///     auth: {username: user, password: pass}
///     tls: {insecure_skip_verify: true, ca_file: /etc/ssl/private-ca.pem}
/// ```
///
/// Mirror endpoints are tried in order, then the registry itself. Without a mirror, plain HTTP is used only
/// for loopback registries (`localhost`, `127.0.0.1`, `[::1]`); everything else is HTTPS.
public struct RegistryConfiguration: Sendable, Equatable {
    /// One registry host's settings (`configs.<host>`).
    public struct HostConfig: Sendable, Equatable, Decodable {
        public struct Auth: Sendable, Equatable, Decodable {
            public var username: String?
            public var password: String?
            public var auth: String?
            public var identityToken: String?
            enum CodingKeys: String, CodingKey {
                case username, password, auth
                case identityToken = "identity_token"
            }
        }

        public struct TLS: Sendable, Equatable, Decodable {
            public var insecureSkipVerify: Bool?
            public var caFile: String?
            enum CodingKeys: String, CodingKey {
                case insecureSkipVerify = "insecure_skip_verify"
                case caFile = "ca_file"
            }
        }

        public var auth: Auth?
        public var tls: TLS?

        public init(auth: Auth? = nil, tls: TLS? = nil) {
            self.auth = auth
            self.tls = tls
        }
    }

    /// One registry host's mirrors (`mirrors.<host>`).
    public struct Mirror: Sendable, Equatable, Decodable {
        public var endpoint: [String]
        public init(endpoint: [String]) { self.endpoint = endpoint }
    }

    /// A place to send requests for one registry: scheme, host, TLS and credentials.
    public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
        /// `http://127.0.0.1:5000` or `https://registry-1.docker.io`; requests go to `baseURL + "/v2/…"`.
        public var baseURL: String
        /// `host[:port]` of `baseURL`, the key for `configs`.
        public var host: String
        public var insecureSkipVerify: Bool
        public var caFile: String?
        public var credentials: RegistryCredentials?
        public var description: String { baseURL }
    }

    public var mirrors: [String: Mirror]
    public var configs: [String: HostConfig]

    public init(mirrors: [String: Mirror] = [:], configs: [String: HostConfig] = [:]) {
        self.mirrors = mirrors
        self.configs = configs
    }

    private struct File: Decodable {
        var mirrors: [String: Mirror]?
        var configs: [String: HostConfig]?
    }

    /// Reads a `registries.yaml` (or JSON). A missing file is an empty configuration, as in k3s.
    public static func load(fromFile path: String) throws(ImageError) -> RegistryConfiguration {
        guard FileManager.default.fileExists(atPath: path) else { return RegistryConfiguration() }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ImageError(.io, "cannot read registry configuration \(path)", cause: error)
        }
        return try parse(text, source: path)
    }

    /// Parses `registries.yaml` text.
    public static func parse(_ text: String, source: String = "registries.yaml") throws(ImageError) -> RegistryConfiguration {
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return RegistryConfiguration() }
        do {
            let file = try YAMLDecoder().decode(File.self, from: text)
            return RegistryConfiguration(mirrors: file.mirrors ?? [:], configs: file.configs ?? [:])
        } catch {
            throw ImageError(.invalidContent, "invalid registry configuration \(source): \(error)", cause: error)
        }
    }

    /// The endpoints to try for `registry`, in order: its mirrors (or the `*` mirrors), then the registry itself.
    public func endpoints(for registry: String) -> [Endpoint] {
        var result: [Endpoint] = []
        for url in (mirrors[registry] ?? mirrors["*"])?.endpoint ?? [] {
            if let endpoint = endpoint(url: url) , !result.contains(endpoint) { result.append(endpoint) }
        }
        let defaultHost = registry == "docker.io" ? "registry-1.docker.io" : registry
        let scheme = RegistryConfiguration.isLoopback(defaultHost) ? "http" : "https"
        if let own = endpoint(url: "\(scheme)://\(defaultHost)", configKey: registry), !result.contains(own) {
            result.append(own)
        }
        return result
    }

    private func endpoint(url: String, configKey: String? = nil) -> Endpoint? {
        var text = url.trimmingCharacters(in: .whitespaces)
        if !text.contains("://") {
            text = (RegistryConfiguration.isLoopback(text) ? "http://" : "https://") + text
        }
        while text.hasSuffix("/") { text.removeLast() }
        if text.hasSuffix("/v2") { text.removeLast(3) }
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else { return nil }
        let hostPort = (host.contains(":") ? "[\(host)]" : host) + (components.port.map { ":\($0)" } ?? "")
        let config = configs[hostPort] ?? configKey.flatMap { configs[$0] }
        var credentials: RegistryCredentials?
        if let auth = config?.auth {
            credentials = RegistryCredentials(username: auth.username ?? "", password: auth.password ?? "",
                                              auth: auth.auth ?? "", identityToken: auth.identityToken ?? "")
        }
        return Endpoint(baseURL: text, host: hostPort, insecureSkipVerify: config?.tls?.insecureSkipVerify ?? false,
                        caFile: config?.tls?.caFile, credentials: credentials)
    }

    /// `localhost`, `127.x.x.x` and `[::1]`, with or without a port.
    static func isLoopback(_ hostPort: String) -> Bool {
        var host = hostPort
        if host.hasPrefix("[") {
            host = String(host.dropFirst().prefix { $0 != "]" })
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        return host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

import Foundation

/// The kubeconfig file model (`clientcmd/api/v1.Config`): clusters, users and the contexts that pair them.
///
/// It is `Codable` with the file's own keys, so it decodes from JSON here and from YAML at the edges, which is where
/// the architecture keeps YAML (KubeClient does not depend on Yams; a line-based reader would misread the flow
/// mappings, quoting and block scalars that kubectl and other tools write):
///
/// ```swift
/// // in a command, with Yams:
/// let kubeconfig = try YAMLDecoder().decode(Kubeconfig.self, from: String(contentsOfFile: path, encoding: .utf8))
/// let config = try KubeClient.Configuration(kubeconfig: kubeconfig, directory: (path as NSString).deletingLastPathComponent)
/// ```
public struct Kubeconfig: Codable, Sendable, Hashable {
    /// A named cluster: where the server is and how to trust it.
    public struct Cluster: Codable, Sendable, Hashable {
        public var server: String
        /// Path to a PEM CA bundle, relative to the kubeconfig's directory.
        public var certificateAuthority: String?
        /// Base64 of a PEM CA bundle.
        public var certificateAuthorityData: String?
        public var insecureSkipTLSVerify: Bool?
        public var tlsServerName: String?

        public init(server: String, certificateAuthority: String? = nil, certificateAuthorityData: String? = nil,
                    insecureSkipTLSVerify: Bool? = nil, tlsServerName: String? = nil) {
            self.server = server
            self.certificateAuthority = certificateAuthority
            self.certificateAuthorityData = certificateAuthorityData
            self.insecureSkipTLSVerify = insecureSkipTLSVerify
            self.tlsServerName = tlsServerName
        }

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
        }
    }

    /// A named user's credentials: a client certificate, a bearer token, or neither.
    public struct AuthInfo: Codable, Sendable, Hashable {
        public var clientCertificate: String?
        public var clientCertificateData: String?
        public var clientKey: String?
        public var clientKeyData: String?
        public var token: String?
        /// Path of a file holding the token (re-read when the configuration is built).
        public var tokenFile: String?

        public init(clientCertificate: String? = nil, clientCertificateData: String? = nil, clientKey: String? = nil,
                    clientKeyData: String? = nil, token: String? = nil, tokenFile: String? = nil) {
            self.clientCertificate = clientCertificate
            self.clientCertificateData = clientCertificateData
            self.clientKey = clientKey
            self.clientKeyData = clientKeyData
            self.token = token
            self.tokenFile = tokenFile
        }

        enum CodingKeys: String, CodingKey {
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case token, tokenFile
        }
    }

    /// A named pairing of a cluster and a user, with a default namespace.
    public struct Context: Codable, Sendable, Hashable {
        public var cluster: String
        public var user: String
        public var namespace: String?

        public init(cluster: String, user: String, namespace: String? = nil) {
            self.cluster = cluster
            self.user = user
            self.namespace = namespace
        }
    }

    /// `{name, cluster}` as the file lists clusters.
    public struct NamedCluster: Codable, Sendable, Hashable {
        public var name: String
        public var cluster: Cluster
        public init(name: String, cluster: Cluster) { self.name = name; self.cluster = cluster }
    }

    /// `{name, user}` as the file lists users.
    public struct NamedAuthInfo: Codable, Sendable, Hashable {
        public var name: String
        public var user: AuthInfo
        public init(name: String, user: AuthInfo) { self.name = name; self.user = user }
    }

    /// `{name, context}` as the file lists contexts.
    public struct NamedContext: Codable, Sendable, Hashable {
        public var name: String
        public var context: Context
        public init(name: String, context: Context) { self.name = name; self.context = context }
    }

    public var apiVersion: String?
    public var kind: String?
    public var clusters: [NamedCluster]
    public var users: [NamedAuthInfo]
    public var contexts: [NamedContext]
    public var currentContext: String?

    public init(clusters: [NamedCluster] = [], users: [NamedAuthInfo] = [], contexts: [NamedContext] = [],
                currentContext: String? = nil) {
        self.apiVersion = "v1"
        self.kind = "Config"
        self.clusters = clusters
        self.users = users
        self.contexts = contexts
        self.currentContext = currentContext
    }

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, clusters, users, contexts
        case currentContext = "current-context"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        clusters = try c.decodeIfPresent([NamedCluster].self, forKey: .clusters) ?? []
        users = try c.decodeIfPresent([NamedAuthInfo].self, forKey: .users) ?? []
        contexts = try c.decodeIfPresent([NamedContext].self, forKey: .contexts) ?? []
        currentContext = try c.decodeIfPresent(String.self, forKey: .currentContext)
    }

    /// Decodes a kubeconfig written as JSON (YAML is decoded by the caller into this same type).
    public init(json: Data) throws(KubeClientError) {
        do {
            self = try JSONDecoder().decode(Kubeconfig.self, from: json)
        } catch {
            throw .configuration("kubeconfig is not valid JSON: \(error)")
        }
    }
}

extension KubeClient.Configuration {
    /// The configuration a kubeconfig context describes: `context` or else `current-context`.
    ///
    /// Relative file references (`certificate-authority`, `client-certificate`, `client-key`, `tokenFile`) are
    /// resolved against `directory`, the kubeconfig's own folder, as kubectl does.
    public init(kubeconfig: Kubeconfig, context: String? = nil, directory: String? = nil) throws(KubeClientError) {
        guard let contextName = context ?? kubeconfig.currentContext else {
            throw .configuration("kubeconfig has no current-context and none was given")
        }
        guard let named = kubeconfig.contexts.first(where: { $0.name == contextName }) else {
            throw .configuration("context \"\(contextName)\" not found in kubeconfig")
        }
        guard let cluster = kubeconfig.clusters.first(where: { $0.name == named.context.cluster })?.cluster else {
            throw .configuration("cluster \"\(named.context.cluster)\" of context \"\(contextName)\" not found")
        }
        if cluster.tlsServerName != nil {
            throw .configuration("cluster \"\(named.context.cluster)\": tls-server-name is not supported")
        }
        let user = kubeconfig.users.first(where: { $0.name == named.context.user })?.user ?? Kubeconfig.AuthInfo()
        guard let server = URL(string: cluster.server), server.scheme != nil, server.host != nil else {
            throw .configuration("cluster \"\(named.context.cluster)\" has an invalid server URL \"\(cluster.server)\"")
        }
        let read = { (path: String?, data: String?, what: String) throws(KubeClientError) -> Data? in
            try Self.material(path: path, base64: data, what: what, directory: directory)
        }
        var token = user.token
        if token == nil, let tokenData = try read(user.tokenFile, nil, "tokenFile") {
            token = String(decoding: tokenData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        self.init(server: server,
                  certificateAuthority: try read(cluster.certificateAuthority, cluster.certificateAuthorityData, "certificate-authority"),
                  clientCertificate: try read(user.clientCertificate, user.clientCertificateData, "client-certificate"),
                  clientKey: try read(user.clientKey, user.clientKeyData, "client-key"),
                  bearerToken: token,
                  insecureSkipTLSVerify: cluster.insecureSkipTLSVerify ?? false,
                  namespace: named.context.namespace ?? "default")
    }

    /// Inline base64 data wins over a file path, as in kubectl.
    private static func material(path: String?, base64: String?, what: String, directory: String?) throws(KubeClientError) -> Data? {
        if let base64, !base64.isEmpty {
            guard let data = Data(base64Encoded: base64, options: .ignoreUnknownCharacters) else {
                throw .configuration("\(what)-data is not valid base64")
            }
            return data
        }
        guard let path, !path.isEmpty else { return nil }
        let resolved = path.hasPrefix("/") || directory == nil ? path : "\(directory!)/\(path)"
        guard let data = FileManager.default.contents(atPath: resolved) else {
            throw .configuration("cannot read \(what) \(resolved)")
        }
        return data
    }
}

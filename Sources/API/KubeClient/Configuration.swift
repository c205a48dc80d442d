import Foundation

extension KubeClient {
    /// Where the API server is and how to authenticate to it.
    ///
    /// Built directly, or from a kubeconfig (`Configuration(kubeconfig:context:directory:)`). TLS material is kept as
    /// PEM bytes so a configuration is a plain value that can be checked, copied and logged (secrets redacted).
    ///
    /// ```swift
    /// let config = KubeClient.Configuration(server: URL(string: "https://10.0.0.1:6443")!,
    ///                                       certificateAuthority: caPEM, bearerToken: token)
    /// let client = try KubeClient(configuration: config, logger: logger)
    /// ```
    public struct Configuration: Sendable, CustomStringConvertible {
        /// The API server's base URL (`http://127.0.0.1:6443`, `https://api.example:6443`).
        public var server: URL
        /// PEM bundle of the CAs that sign the server certificate; `nil` uses the system trust store.
        public var certificateAuthority: Data?
        /// PEM client certificate (chain) for mutual TLS; needs `clientKey`.
        public var clientCertificate: Data?
        /// PEM private key of `clientCertificate`.
        public var clientKey: Data?
        /// Sent as `Authorization: Bearer <token>`.
        public var bearerToken: String?
        /// Skips server certificate verification (kubeconfig `insecure-skip-tls-verify`); for labs only.
        public var insecureSkipTLSVerify: Bool
        /// The namespace a kubeconfig context names; callers use it when they have none of their own.
        public var namespace: String
        /// Sent as `User-Agent`, so server logs and metrics tell components apart.
        public var userAgent: String
        /// Limit for connecting to the server.
        public var connectTimeout: Duration
        /// Limit for one non-watch request, from sending to the last byte of the response.
        public var requestTimeout: Duration
        /// Leaves `metadata.managedFields` out of every object decoded from responses and watches — most of the
        /// decoding cost of a small object. For clients that never write managedFields back whole (controllers,
        /// the scheduler, the kubelet): an update without them keeps the stored ones.
        public var omitsManagedFields = false
        /// Shared by the clients of one process whose watches see the same changes (the controllers and the
        /// scheduler inside `swiftlet server`): each watch line is decoded once for all of them. `nil`: every watch
        /// decodes its own lines.
        public var sharedWatchDecoding: SharedWatchDecoding?

        public init(server: URL, certificateAuthority: Data? = nil, clientCertificate: Data? = nil,
                    clientKey: Data? = nil, bearerToken: String? = nil, insecureSkipTLSVerify: Bool = false,
                    namespace: String = "default", userAgent: String = "swiftlet",
                    connectTimeout: Duration = .seconds(10), requestTimeout: Duration = .seconds(60)) {
            self.server = server
            self.certificateAuthority = certificateAuthority
            self.clientCertificate = clientCertificate
            self.clientKey = clientKey
            self.bearerToken = bearerToken
            self.insecureSkipTLSVerify = insecureSkipTLSVerify
            self.namespace = namespace
            self.userAgent = userAgent
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
        }

        /// Whether the connection uses TLS.
        public var usesTLS: Bool { server.scheme?.lowercased() == "https" }

        public var description: String {
            var parts = ["server: \(server.absoluteString)", "namespace: \(namespace)"]
            if certificateAuthority != nil { parts.append("ca: yes") }
            if clientCertificate != nil { parts.append("client-certificate: yes") }
            if bearerToken != nil { parts.append("token: <redacted>") }
            if insecureSkipTLSVerify { parts.append("insecure-skip-tls-verify") }
            return "Configuration(" + parts.joined(separator: ", ") + ")"
        }
    }
}

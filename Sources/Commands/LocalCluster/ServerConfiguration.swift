/// The one `swiftlet server` of a local cluster: embedded store, controllers, scheduler, cluster DNS.
public struct ServerConfiguration: Codable, Sendable, Equatable {
    /// The store and the server's own `admin.kubeconfig`.
    public var dataDirectory: String
    /// host:port.
    public var listen: String
    /// IP:PORT cluster DNS serves on (pods reach it as kube-dns), none when nil.
    public var clusterDNSAddress: String?
    /// More `swiftlet server` flags, appended as given (e.g. `--node-monitor-grace-period=20s`).
    public var extraArguments: [String]?

    public init(dataDirectory: String, listen: String, clusterDNSAddress: String? = nil, extraArguments: [String] = []) {
        self.dataDirectory = dataDirectory
        self.listen = listen
        self.clusterDNSAddress = clusterDNSAddress
        self.extraArguments = extraArguments.isEmpty ? nil : extraArguments
    }

    public var kubeconfig: String { dataDirectory + "/admin.kubeconfig" }

    public var arguments: [String] {
        ["server", "--data-dir", dataDirectory, "--listen", listen] + (clusterDNSAddress.map { ["--cluster-dns-address", $0] } ?? [])
            + (extraArguments ?? [])
    }
}

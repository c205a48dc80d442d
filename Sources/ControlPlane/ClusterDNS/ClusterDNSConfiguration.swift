import NIOCore

/// Where the cluster DNS server listens, what it answers for, and where it forwards the rest.
public struct ClusterDNSConfiguration: Sendable {
    /// The address to listen on (UDP and TCP); `0.0.0.0` or `::` for every address.
    public var host: String
    /// The port; 0 picks a free one (the same for UDP and TCP).
    public var port: Int
    /// The cluster domain (`--cluster-domain`).
    public var domain: String
    /// TTL of the cluster's records.
    public var ttl: UInt32
    /// Upstream resolvers as `IP` or `IP:port` (`[IPv6]:port`); nil: the nameservers of `resolvConfPath` except
    /// this server itself.
    public var upstreams: [String]?
    public var resolvConfPath: String
    /// How long one upstream gets to answer before the next is tried…
    public var forwardAttemptTimeout: Duration
    /// …and how long a forwarded query may take in all before it is answered with SERVFAIL.
    public var forwardDeadline: Duration
    /// Queries answered at once; past this the server stops reading UDP until one finishes.
    public var maxConcurrentQueries: Int
    /// A TCP connection without a query for this long is closed (RFC 7766 §6.2.3).
    public var tcpIdleTimeout: Duration

    public init(host: String = "127.0.0.1", port: Int = 53, domain: String = "cluster.local", ttl: UInt32 = 5,
                upstreams: [String]? = nil, resolvConfPath: String = "/etc/resolv.conf",
                forwardAttemptTimeout: Duration = .seconds(2), forwardDeadline: Duration = .seconds(5),
                maxConcurrentQueries: Int = 1024, tcpIdleTimeout: Duration = .seconds(10)) {
        self.host = host
        self.port = port
        self.domain = domain
        self.ttl = ttl
        self.upstreams = upstreams
        self.resolvConfPath = resolvConfPath
        self.forwardAttemptTimeout = forwardAttemptTimeout
        self.forwardDeadline = forwardDeadline
        self.maxConcurrentQueries = maxConcurrentQueries
        self.tcpIdleTimeout = tcpIdleTimeout
    }

    /// `IP`, `IP:port` or `[IPv6]:port` as a socket address (port 53 when none is given).
    public static func socketAddress(_ text: String) throws(ClusterDNSError) -> SocketAddress {
        let (host, port) = try hostAndPort(text)
        do { return try SocketAddress(ipAddress: host, port: port) } catch {
            throw ClusterDNSError(.invalidConfiguration, "\(text) is not a socket address", cause: error)
        }
    }

    /// `IP`, `IP:port` or `[IPv6]:port` taken apart, the address in canonical form (port 53 when none is given).
    public static func hostAndPort(_ text: String) throws(ClusterDNSError) -> (host: String, port: Int) {
        var host = text
        var port = 53
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") {
                guard let p = Int(rest.dropFirst()), (1...65535).contains(p) else {
                    throw ClusterDNSError(.invalidConfiguration, "bad port in \(text)")
                }
                port = p
            } else if !rest.isEmpty {
                throw ClusterDNSError(.invalidConfiguration, "\(text) is not IP[:PORT]")
            }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            host = String(text[..<colon])
            guard let p = Int(text[text.index(after: colon)...]), (0...65535).contains(p) else {
                throw ClusterDNSError(.invalidConfiguration, "bad port in \(text)")
            }
            port = p
        }
        guard let ip = IPAddress(host) else { throw ClusterDNSError(.invalidConfiguration, "\(text) is not an IP address") }
        return (ip.description, port)
    }
}

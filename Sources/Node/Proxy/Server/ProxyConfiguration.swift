/// Settings of the service proxy, with upstream kube-proxy's defaults.
public struct ProxyConfiguration: Sendable {
    /// The nftables table (in the `ip` family) the proxy owns; nothing else is ever touched.
    public var tableName: String
    /// Least time between two syncs that rewrite rules wholesale (`--min-sync-period`, default 1 s, a burst of two
    /// as kube-proxy's): bursts of changes coalesce. An nftables partial sync, whose cost grows only with the change,
    /// uses a tenth of that budget (see ``SyncRunner``).
    public var minSyncPeriod: Duration
    /// Most time between two syncs (`--sync-period`, default 30 s); each checks the ruleset generation.
    public var syncPeriod: Duration
    /// How often a full resync rewrites the whole table as a safety net (upstream: 1 h).
    public var fullSyncPeriod: Duration
    /// The pod network(s) (`--cluster-cidr`): traffic from elsewhere to a ClusterIP is masqueraded.
    /// Empty: the node's `spec.podCIDRs` are used once known.
    public var clusterCIDRs: [String]
    /// The packet-mark bit asking for masquerade (`--masquerade-bit`, default 14: `0x4000`).
    public var masqueradeBit: UInt32
    /// Extra node addresses NodePorts answer on, beyond the Node's `status.addresses`.
    public var nodePortAddresses: [String]
    /// Whether NodePorts answer on `127.0.0.0/8` in the iptables mode (upstream's `--iptables-localhost-nodeports`,
    /// default true): the proxier sets `net.ipv4.conf.all.route_localnet=1` in its namespace so DNAT from
    /// loopback can be routed, and drops outside traffic to `127.0.0.0/8` that is not already tracked
    /// (`KUBE-FIREWALL`, as upstream). IPv4 only. The nftables mode never serves NodePorts on localhost
    /// (as upstream's: route_localnet is a security hazard), whatever this says.
    public var localhostNodePorts: Bool
    /// `/healthz` turns unhealthy when a queued change waits longer than this for a sync.
    public var healthTimeout: Duration
    /// Where `/healthz` and `/livez` are served (upstream's `--healthz-bind-address`, `0.0.0.0:10256` in
    /// `swiftlet proxy`); `nil`: not served.
    public var healthzBindAddress: (host: String, port: Int)?

    public init(
        tableName: String = "swiftlet-proxy", minSyncPeriod: Duration = .seconds(1), syncPeriod: Duration = .seconds(30),
        fullSyncPeriod: Duration = .seconds(3600), clusterCIDRs: [String] = [], masqueradeBit: UInt32 = 14,
        nodePortAddresses: [String] = [], localhostNodePorts: Bool = true, healthTimeout: Duration = .seconds(60),
        healthzBindAddress: (host: String, port: Int)? = nil
    ) {
        self.localhostNodePorts = localhostNodePorts
        self.healthzBindAddress = healthzBindAddress
        self.tableName = tableName
        self.minSyncPeriod = minSyncPeriod
        self.syncPeriod = syncPeriod
        self.fullSyncPeriod = fullSyncPeriod
        self.clusterCIDRs = clusterCIDRs
        self.masqueradeBit = masqueradeBit
        self.nodePortAddresses = nodePortAddresses
        self.healthTimeout = healthTimeout
    }

    /// The masquerade mark.
    public var masqueradeMark: UInt32 { 1 << masqueradeBit }
}

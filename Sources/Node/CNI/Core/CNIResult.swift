import LinuxSystem

/// The result of ADD: interfaces created, addresses assigned, routes and DNS, in one model for every
/// supported version.
///
/// The 0.3.x/0.4.0 family and the 1.x family differ only in their JSON: 0.x tags each IP with
/// `"version": "4"|"6"` and always prints `dns`; 1.x drops the tag, adds interface `mtu`/`socketPath`/
/// `pciID` and omits an empty `dns`. ``converted(to:)`` moves between them as libcni's converters do, and
/// encoding writes the shape of ``cniVersion``.
///
///     let result = try CNIResult.decode(from: stdout, fallbackVersion: config.cniVersion)
///     let legacy = try result.converted(to: CNIVersion(0, 4, 0))
public struct CNIResult: Sendable, Hashable {
    public var cniVersion: CNIVersion
    public var interfaces: [Interface]
    public var ips: [IPConfig]
    public var routes: [Route]
    public var dns: DNS

    public init(
        cniVersion: CNIVersion = .current, interfaces: [Interface] = [], ips: [IPConfig] = [],
        routes: [Route] = [], dns: DNS = DNS()
    ) {
        self.cniVersion = cniVersion
        self.interfaces = interfaces
        self.ips = ips
        self.routes = routes
        self.dns = dns
    }

    /// This result as `version` sees it; throws code 1 when either side is not a supported version.
    public func converted(to version: CNIVersion) throws(CNIError) -> CNIResult {
        guard CNIVersion.supported.contains(cniVersion), CNIVersion.supported.contains(version) else {
            throw CNIError(
                .incompatibleVersion, "no converter for CNI result version \(cniVersion) to \(version)")
        }
        var copy = self
        copy.cniVersion = version
        if version.major == 0 {
            copy.interfaces = interfaces.map { Interface(name: $0.name, mac: $0.mac, sandbox: $0.sandbox) }
        }
        return copy
    }
}

extension CNIResult {
    /// A network interface the plugin created or configured.
    public struct Interface: Sendable, Hashable, Codable {
        public var name: String
        public var mac: String?
        /// 1.x only.
        public var mtu: Int?
        /// The netns path for interfaces inside the sandbox; absent for host interfaces.
        public var sandbox: String?
        /// 1.x only: a vhost-user or similar socket.
        public var socketPath: String?
        /// 1.x only: the PCI ID of a passed-through device.
        public var pciID: String?

        public init(
            name: String, mac: String? = nil, mtu: Int? = nil, sandbox: String? = nil,
            socketPath: String? = nil, pciID: String? = nil
        ) {
            self.name = name
            self.mac = mac
            self.mtu = mtu
            self.sandbox = sandbox
            self.socketPath = socketPath
            self.pciID = pciID
        }
    }

    /// An address assigned to an interface (by index into ``CNIResult/interfaces``).
    public struct IPConfig: Sendable, Hashable {
        public var interface: Int?
        /// The address with its prefix length, host bits kept (`10.88.0.5/16`).
        public var address: IPNetwork
        public var gateway: IPAddress?

        public init(interface: Int? = nil, address: IPNetwork, gateway: IPAddress? = nil) {
            self.interface = interface
            self.address = address
            self.gateway = gateway
        }
    }

    /// A route to install in the sandbox.
    public struct Route: Sendable, Hashable {
        public var destination: IPNetwork
        public var gateway: IPAddress?
        public var mtu: Int?
        public var advmss: Int?
        public var priority: Int?
        public var table: Int?
        public var scope: Int?

        public init(
            destination: IPNetwork, gateway: IPAddress? = nil, mtu: Int? = nil, advmss: Int? = nil,
            priority: Int? = nil, table: Int? = nil, scope: Int? = nil
        ) {
            self.destination = destination
            self.gateway = gateway
            self.mtu = mtu
            self.advmss = advmss
            self.priority = priority
            self.table = table
            self.scope = scope
        }
    }

    /// Resolver settings for the sandbox.
    public struct DNS: Sendable, Hashable, Codable {
        public var nameservers: [String]?
        public var domain: String?
        public var search: [String]?
        public var options: [String]?

        public init(nameservers: [String]? = nil, domain: String? = nil, search: [String]? = nil, options: [String]? = nil) {
            self.nameservers = nameservers
            self.domain = domain
            self.search = search
            self.options = options
        }

        /// Whether no field carries anything (libcni's `DNS.IsEmpty`).
        public var isEmpty: Bool {
            (nameservers ?? []).isEmpty && (domain ?? "").isEmpty && (search ?? []).isEmpty && (options ?? []).isEmpty
        }
    }
}

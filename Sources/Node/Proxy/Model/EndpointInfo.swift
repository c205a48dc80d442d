/// One backend of a service port, merged from the service's EndpointSlices (upstream's `Endpoint`).
public struct EndpointInfo: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var ip: String
    public var port: UInt16
    /// `conditions.ready` (unset counts as ready).
    public var ready: Bool
    /// `conditions.serving` (unset: same as ready).
    public var serving: Bool
    public var terminating: Bool
    public var nodeName: String?
    /// Whether the endpoint runs on this proxy's node.
    public var isLocal: Bool
    /// The zones of `hints.forZones` (topology-aware routing), sorted; empty without hints.
    public var zoneHints: [String]

    public init(ip: String, port: UInt16, ready: Bool = true, serving: Bool? = nil, terminating: Bool = false,
                nodeName: String? = nil, isLocal: Bool = false, zoneHints: [String] = []) {
        self.ip = ip
        self.port = port
        self.ready = ready
        self.serving = serving ?? ready
        self.terminating = terminating
        self.nodeName = nodeName
        self.isLocal = isLocal
        self.zoneHints = Array(Set(zoneHints)).sorted()
    }

    /// Whether the address is IPv6.
    public var isIPv6: Bool { ip.contains(":") }

    /// `10.0.0.1:80` / `[fd00::1]:80`.
    public var description: String { isIPv6 ? "[\(ip)]:\(port)" : "\(ip):\(port)" }

    public static func < (lhs: EndpointInfo, rhs: EndpointInfo) -> Bool {
        (lhs.ip, lhs.port) < (rhs.ip, rhs.port)
    }
}

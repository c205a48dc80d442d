import CMnl
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// A route (`RTM_NEWROUTE`), as `ip route` shows it and as the `*Route` calls take it.
///
///     var route = Route(destination: try IPNetwork(parsing: "10.1.0.0/16"),
///                       gateway: try IPAddress(parsing: "10.0.0.1"))
///     route.priority = 100
///     try netlink.replaceRoute(route)
public struct Route: Sendable, Hashable {
    /// The destination network; `0.0.0.0/0` or `::/0` for a default route.
    public var destination: IPNetwork
    /// The next hop (`via`).
    public var gateway: IPAddress?
    /// The output interface index (`dev`).
    public var outputInterface: Int32?
    /// The metric (`metric` / `priority`); lower wins.
    public var priority: UInt32?
    public var scope: RouteScope
    /// The routing table (`RT_TABLE_MAIN` is 254, `local` 255).
    public var table: UInt32
    /// Who installed it (`proto`).
    public var routeProtocol: RouteProtocol
    /// The source address preferred for traffic on this route (`src`).
    public var preferredSource: IPAddress?
    /// `RTN_*`: 1 unicast, 2 local, 3 broadcast, 6 blackhole, 7 unreachable.
    public var type: UInt8

    /// The main routing table, where `ip route` works by default.
    public static let mainTable = UInt32(RT_TABLE_MAIN.rawValue)

    /// A unicast route. When `scope` is `nil` it follows `ip route`: `link` for a directly connected
    /// route (no gateway), `universe` otherwise.
    public init(
        destination: IPNetwork, gateway: IPAddress? = nil, outputInterface: Int32? = nil, priority: UInt32? = nil,
        scope: RouteScope? = nil, table: UInt32 = Route.mainTable, routeProtocol: RouteProtocol = .boot,
        preferredSource: IPAddress? = nil
    ) {
        self.destination = destination
        self.gateway = gateway
        self.outputInterface = outputInterface
        self.priority = priority
        self.scope = scope ?? (gateway == nil ? .link : .universe)
        self.table = table
        self.routeProtocol = routeProtocol
        self.preferredSource = preferredSource
        self.type = UInt8(RTN_UNICAST)
    }
}

/// How far a route's destination is (`RT_SCOPE_*`).
public struct RouteScope: RawRepresentable, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let universe = RouteScope(rawValue: UInt8(RT_SCOPE_UNIVERSE.rawValue))
    public static let site = RouteScope(rawValue: UInt8(RT_SCOPE_SITE.rawValue))
    public static let link = RouteScope(rawValue: UInt8(RT_SCOPE_LINK.rawValue))
    public static let host = RouteScope(rawValue: UInt8(RT_SCOPE_HOST.rawValue))
    public static let nowhere = RouteScope(rawValue: UInt8(RT_SCOPE_NOWHERE.rawValue))
}

/// Which agent installed a route (`RTPROT_*`).
public struct RouteProtocol: RawRepresentable, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Added by the kernel (connected routes).
    public static let kernel = RouteProtocol(rawValue: UInt8(RTPROT_KERNEL))
    /// Added by an administrator, what `ip route add` uses.
    public static let boot = RouteProtocol(rawValue: UInt8(RTPROT_BOOT))
    public static let `static` = RouteProtocol(rawValue: UInt8(RTPROT_STATIC))
}

extension Route {
    /// Decodes an `RTM_NEWROUTE` message.
    init?(_ reply: NetlinkReply) {
        guard reply.type == RTM_NEWROUTE, let info = reply.familyHeader(rtmsg.self),
              let family = IPFamily(addressFamily: info.rtm_family)
        else { return nil }
        let attributes = reply.attributes(after: rtmsg.self)
        let any: IPAddress = family == .v4 ? .v4(IPv4Address(value: 0)) : .v6(IPv6Address(value: 0))
        guard let destination = try? IPNetwork(
            address: attributes.ipAddress(Int(RTA_DST.rawValue)) ?? any, prefixLength: Int(info.rtm_dst_len))
        else { return nil }
        self.destination = destination
        gateway = attributes.ipAddress(Int(RTA_GATEWAY.rawValue))
        outputInterface = attributes.i32(Int(RTA_OIF.rawValue))
        priority = attributes.u32(Int(RTA_PRIORITY.rawValue))
        scope = RouteScope(rawValue: info.rtm_scope)
        table = attributes.u32(Int(RTA_TABLE.rawValue)) ?? UInt32(info.rtm_table)
        routeProtocol = RouteProtocol(rawValue: info.rtm_protocol)
        preferredSource = attributes.ipAddress(Int(RTA_PREFSRC.rawValue))
        type = info.rtm_type
    }
}

import CMnl
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

extension RouteNetlink {
    /// Adds `route` (`ip route add`). `EEXIST` if an equal route is already there.
    public func addRoute(_ route: Route) throws {
        try execute(routeRequest(RTM_NEWROUTE, route, flags: NLM_F_CREATE | NLM_F_EXCL), "add route", route.destination.description)
    }

    /// Adds `route` or replaces the one with the same destination, table and metric (`ip route replace`).
    public func replaceRoute(_ route: Route) throws {
        try execute(routeRequest(RTM_NEWROUTE, route, flags: NLM_F_CREATE | NLM_F_REPLACE), "replace route", route.destination.description)
    }

    /// Deletes the first route matching `route` (`ip route del`): destination and table always, and the
    /// gateway, interface, metric and source where set; scope and protocol match anything. `ESRCH` if none.
    public func deleteRoute(_ route: Route) throws {
        var match = route
        match.scope = .nowhere
        match.routeProtocol = RouteProtocol(rawValue: 0)
        try execute(routeRequest(RTM_DELROUTE, match), "delete route", route.destination.description)
    }

    /// The routes of one family in `table` (the main table by default; `nil` for every table).
    public func routes(family: IPFamily, table: UInt32? = Route.mainTable) throws -> [Route] {
        var info = rtmsg()
        info.rtm_family = UInt8(family.addressFamily)
        let replies = try dump(RTM_GETROUTE, header: info, "list routes")
        return replies.compactMap(Route.init).filter { table == nil || $0.table == table }
    }

    private func routeRequest(_ type: Int, _ route: Route, flags: Int32 = 0) -> NetlinkRequest {
        let request = Self.request(type, flags: flags)
        var info = rtmsg()
        info.rtm_family = UInt8(route.destination.address.family.addressFamily)
        info.rtm_dst_len = UInt8(route.destination.prefixLength)
        info.rtm_table = route.table < 256 ? UInt8(route.table) : UInt8(RT_TABLE_UNSPEC.rawValue)
        info.rtm_protocol = route.routeProtocol.rawValue
        info.rtm_scope = route.scope.rawValue
        info.rtm_type = route.type
        request.putHeader(info)
        if route.destination.prefixLength > 0 { request.put(Int(RTA_DST.rawValue), bytes: route.destination.address.bytes) }
        if let gateway = route.gateway { request.put(Int(RTA_GATEWAY.rawValue), bytes: gateway.bytes) }
        if let index = route.outputInterface { request.put(Int(RTA_OIF.rawValue), u32: UInt32(bitPattern: index)) }
        if let priority = route.priority { request.put(Int(RTA_PRIORITY.rawValue), u32: priority) }
        if let source = route.preferredSource { request.put(Int(RTA_PREFSRC.rawValue), bytes: source.bytes) }
        request.put(Int(RTA_TABLE.rawValue), u32: route.table)
        return request
    }
}

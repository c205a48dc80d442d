import Foundation
import LinuxSystem
import Netlink
import Testing

@Suite("Routes (integration, in throwaway namespaces)")
struct RouteTests {
    /// A namespace with `v0` (10.0.0.1/24, fd00::1/64) up and its peer `v1` up.
    private func withConnectedLink(_ body: (RouteNetlink, NetworkNamespace, Int32) throws -> Void) throws {
        try withNetlink { netlink, namespace in
            try netlink.createVeth(named: "v0", peerName: "v1")
            try netlink.addAddress(try IPNetwork(parsing: "10.0.0.1/24"), to: "v0")
            try netlink.addAddress(try IPNetwork(parsing: "fd00::1/64"), to: "v0", noDAD: true)
            try netlink.setUp("v0")
            try netlink.setUp("v1")
            try body(netlink, namespace, try netlink.link(named: "v0").index)
        }
    }

    @Test func replaceWithMetricAndScopeLink() throws {
        try withConnectedLink { netlink, namespace, v0 in
            let destination = try IPNetwork(parsing: "10.1.0.0/16")
            try netlink.addRoute(Route(destination: destination, gateway: try IPAddress(parsing: "10.0.0.2"), priority: 100))
            try netlink.replaceRoute(Route(destination: destination, gateway: try IPAddress(parsing: "10.0.0.3"), priority: 100))
            try netlink.addRoute(Route(destination: try IPNetwork(parsing: "10.2.0.0/16"), outputInterface: v0))

            let routes = try netlink.routes(family: .v4)
            let replaced = routes.filter { $0.destination == destination }
            #expect(replaced.count == 1)
            #expect(replaced.first?.gateway == (try IPAddress(parsing: "10.0.0.3")))
            #expect(replaced.first?.priority == 100)
            #expect(replaced.first?.outputInterface == v0)
            #expect(replaced.first?.scope == .universe)
            #expect(replaced.first?.routeProtocol == .boot)
            let onLink = try #require(routes.first { $0.destination.description == "10.2.0.0/16" })
            #expect(onLink.scope == .link)
            #expect(onLink.gateway == nil)
            let connected = try #require(routes.first { $0.destination.description == "10.0.0.0/24" })
            #expect(connected.routeProtocol == .kernel)
            #expect(connected.preferredSource == (try IPAddress(parsing: "10.0.0.1")))

            let shown = try namespace.ip("route", "show")
            let viaShown = try #require(shown.first { $0["dst"] as? String == "10.1.0.0/16" })
            #expect(viaShown["gateway"] as? String == "10.0.0.3")
            #expect(viaShown["metric"] as? Int == 100)
            #expect(viaShown["dev"] as? String == "v0")
            let linkShown = try #require(shown.first { $0["dst"] as? String == "10.2.0.0/16" })
            #expect(linkShown["scope"] as? String == "link")
            #expect(Set(shown.compactMap { $0["dst"] as? String }) == Set(routes.map { $0.destination.description }))
        }
    }

    @Test func defaultAndIPv6Routes() throws {
        try withConnectedLink { netlink, namespace, v0 in
            let defaultRoute = try Route(destination: IPNetwork(parsing: "0.0.0.0/0"), gateway: IPAddress(parsing: "10.0.0.254"))
            try netlink.addRoute(defaultRoute)
            let v6 = try Route(destination: IPNetwork(parsing: "fd01::/64"), gateway: IPAddress(parsing: "fd00::2"), priority: 50)
            try netlink.addRoute(v6)

            #expect(try netlink.routes(family: .v4).contains { $0.destination.prefixLength == 0 && $0.gateway == defaultRoute.gateway })
            let found = try #require(try netlink.routes(family: .v6).first { $0.destination == v6.destination })
            #expect(found.gateway == v6.gateway)
            #expect(found.priority == 50)
            #expect(found.outputInterface == v0)
            #expect(try namespace.ip("route", "show", "default").first?["gateway"] as? String == "10.0.0.254")
            let shown6 = try namespace.ip("-6", "route", "show", "fd01::/64").first
            #expect(shown6?["gateway"] as? String == "fd00::2")
            #expect(shown6?["metric"] as? Int == 50)
            #expect(try netlink.routes(family: .v6, table: nil).contains { $0.table == 255 })

            try netlink.deleteRoute(defaultRoute)
            try netlink.deleteRoute(v6)
            #expect(try namespace.ip("route", "show", "default").isEmpty)
            #expect(try !netlink.routes(family: .v6).contains { $0.destination == v6.destination })
        }
    }

    @Test func duplicateAndMissingRoutesAreTypedErrors() throws {
        try withConnectedLink { netlink, _, _ in
            let route = try Route(destination: IPNetwork(parsing: "10.9.0.0/16"), gateway: IPAddress(parsing: "10.0.0.2"))
            try netlink.addRoute(route)
            let duplicate = #expect(throws: NetlinkError.self) { try netlink.addRoute(route) }
            #expect(duplicate?.errno == EEXIST)
            #expect(duplicate?.operation == "add route")
            #expect(duplicate?.subject == "10.9.0.0/16")
            try netlink.deleteRoute(route)
            let missing = #expect(throws: NetlinkError.self) { try netlink.deleteRoute(route) }
            #expect(missing?.errno == ESRCH)
            let unreachable = #expect(throws: NetlinkError.self) {
                try netlink.addRoute(Route(destination: IPNetwork(parsing: "10.8.0.0/16"), gateway: IPAddress(parsing: "192.0.2.1")))
            }
            #expect(unreachable?.errno == ENETUNREACH)
            #expect(unreachable?.kernelMessage != nil)
        }
    }
}

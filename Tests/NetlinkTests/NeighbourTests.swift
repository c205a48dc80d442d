import Foundation
import LinuxSystem
import Netlink
import Testing

@Suite("Neighbours (integration, in throwaway namespaces)")
struct NeighbourTests {
    @Test func addReplaceListAndDelete() throws {
        try withNetlink { netlink, namespace in
            try netlink.createVeth(named: "v0", peerName: "v1")
            try netlink.setUp("v0")
            let index = try netlink.link(named: "v0").index
            let first = try MACAddress(parsing: "02:00:00:00:00:09")
            let second = try MACAddress(parsing: "02:00:00:00:00:0a")
            let v4 = try Neighbour(linkIndex: index, address: IPAddress(parsing: "10.0.0.9"), macAddress: first)
            let v6 = try Neighbour(linkIndex: index, address: IPAddress(parsing: "fd00::9"), macAddress: first)
            try netlink.addNeighbour(v4)
            try netlink.addNeighbour(v6)

            let duplicate = #expect(throws: NetlinkError.self) { try netlink.addNeighbour(v4) }
            #expect(duplicate?.errno == EEXIST)
            #expect(duplicate?.operation == "add neighbour")

            var moved = v4
            moved.macAddress = second
            try netlink.replaceNeighbour(moved)

            let listed = try netlink.neighbours(on: "v0", family: .v4)
            #expect(listed.count == 1)
            #expect(listed.first?.macAddress == second)
            #expect(listed.first?.state == .permanent)
            #expect(try netlink.neighbours(on: "v0", family: .v6).contains { $0.address == v6.address && $0.macAddress == first })

            let shown = try #require(try namespace.ip("neigh", "show", "dev", "v0", "10.0.0.9").first)
            #expect(shown["lladdr"] as? String == "02:00:00:00:00:0a")
            #expect(shown["state"] as? [String] == ["PERMANENT"])

            try netlink.deleteNeighbour(v4.address, on: "v0")
            try netlink.deleteNeighbour(v6.address, on: .index(index))
            #expect(try netlink.neighbours(on: "v0").filter { $0.state == .permanent }.isEmpty)
            let missing = #expect(throws: NetlinkError.self) { try netlink.deleteNeighbour(v4.address, on: "v0") }
            #expect(missing?.errno == ENOENT)
        }
    }
}

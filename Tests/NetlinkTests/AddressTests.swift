import Foundation
import LinuxSystem
import Netlink
import Testing

@Suite("Interface addresses (integration, in throwaway namespaces)")
struct AddressTests {
    @Test func addListAndDeleteIPv4AndIPv6() throws {
        try withNetlink { netlink, namespace in
            try netlink.createVeth(named: "v0", peerName: "v1")
            let v4 = try IPNetwork(parsing: "10.0.0.5/24")
            let v6 = try IPNetwork(parsing: "fd00::5/64")
            try netlink.addAddress(v4, to: "v0", broadcast: v4.broadcast)
            try netlink.addAddress(v6, to: "v0", noDAD: true)

            let index = try netlink.link(named: "v0").index
            let ours = try netlink.addresses(on: "v0")
            #expect(Set(ours.map(\.address)) == [v4, v6])
            #expect(ours.allSatisfy { $0.linkIndex == index })
            #expect(ours.first { $0.address == v4 }?.broadcast == (try IPAddress(parsing: "10.0.0.255")))
            let inet6 = try #require(ours.first { $0.address == v6 })
            #expect(inet6.flags.contains(.noDAD))
            #expect(!inet6.flags.contains(.tentative))
            #expect(try netlink.addresses(on: "v0", family: .v6).map(\.address) == [v6])
            #expect(try netlink.addresses(family: .v4).map(\.address.description) == ["10.0.0.5/24"])

            let shown = try #require(try namespace.ip("addr", "show", "dev", "v0").first?["addr_info"] as? [[String: Any]])
            let inet = try #require(shown.first { $0["family"] as? String == "inet" })
            #expect(inet["local"] as? String == "10.0.0.5")
            #expect(inet["prefixlen"] as? Int == 24)
            #expect(inet["broadcast"] as? String == "10.0.0.255")
            let shown6 = shown.filter { $0["family"] as? String == "inet6" }.compactMap { $0["local"] as? String }
            #expect(shown6 == ["fd00::5"])

            try netlink.deleteAddress(v4, from: "v0")
            try netlink.deleteAddress(v6, from: .index(index))
            #expect(try netlink.addresses(on: "v0").isEmpty)
            let remaining = try namespace.ip("addr", "show", "dev", "v0").first?["addr_info"] as? [[String: Any]] ?? []
            #expect(remaining.isEmpty)
        }
    }

    @Test func duplicateAddressIsEEXISTAndMissingIsEADDRNOTAVAIL() throws {
        try withNetlink { netlink, _ in
            try netlink.createVeth(named: "v0", peerName: "v1")
            let address = try IPNetwork(parsing: "192.168.7.1/24")
            try netlink.addAddress(address, to: "v0")
            let duplicate = #expect(throws: NetlinkError.self) { try netlink.addAddress(address, to: "v0") }
            #expect(duplicate?.errno == EEXIST)
            #expect(duplicate?.operation == "add address")

            let missing = #expect(throws: NetlinkError.self) {
                try netlink.deleteAddress(try IPNetwork(parsing: "192.168.8.1/24"), from: "v0")
            }
            #expect(missing?.errno == EADDRNOTAVAIL)

            let noLink = #expect(throws: NetlinkError.self) { try netlink.addAddress(address, to: "nope0") }
            #expect(noLink?.errno == ENODEV)
            #expect(noLink?.operation == "add address")
        }
    }
}

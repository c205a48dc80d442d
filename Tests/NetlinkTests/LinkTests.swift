import Foundation
import LinuxSystem
import Netlink
import Testing
import TestSupport

@Suite("Links (integration, in throwaway namespaces)")
struct LinkTests {
    @Test func vethPairWithPeerCreatedInSecondNamespace() throws {
        try withNetlink { host, hostNamespace in
            try withThrowawayNetworkNamespace(prefix: "swt-nl") { container in
                let echoed = try host.createVeth(named: "veth-host", peerName: "eth0", peerNamespace: container, mtu: 1450)
                let hostEnd = try host.link(named: "veth-host")
                // The kernel's echo of the new end is the link as read back (it is still down).
                #expect(echoed?.index == hostEnd.index)
                #expect(echoed?.parentIndex == hostEnd.parentIndex)
                #expect(echoed?.macAddress == hostEnd.macAddress)
                #expect(echoed?.mtu == 1450)
                #expect(hostEnd.kind == "veth")
                #expect(hostEnd.mtu == 1450)
                #expect(try host.links().map(\.name).sorted() == ["lo", "veth-host"])

                let inside = try RouteNetlink(in: container)
                let peer = try inside.link(named: "eth0")
                #expect(peer.kind == "veth")
                #expect(peer.parentIndex == hostEnd.index)
                #expect(hostEnd.parentIndex == peer.index)

                let ipHost = try hostNamespace.ip("-d", "link", "show", "veth-host")
                #expect(ipHost.first?["ifindex"] as? Int == Int(hostEnd.index))
                #expect((ipHost.first?["linkinfo"] as? [String: Any])?["info_kind"] as? String == "veth")
                let ipPeer = try container.ip("link", "show")
                #expect(ipPeer.compactMap { $0["ifname"] as? String }.sorted() == ["eth0", "lo"])
                #expect(ipPeer.first { $0["ifname"] as? String == "eth0" }?["mtu"] as? Int == 1450)

                try host.deleteLink("veth-host")
                #expect(try inside.links().map(\.name) == ["lo"])
            }
        }
    }

    @Test func moveLinkToAnotherNamespace() throws {
        try withNetlink { netlink, _ in
            try withThrowawayNetworkNamespace(prefix: "swt-nl") { other in
                try netlink.createVeth(named: "a0", peerName: "a1")
                try netlink.move("a1", to: other)
                #expect(try netlink.links().map(\.name).sorted() == ["a0", "lo"])
                #expect(try other.ip("link", "show").contains { $0["ifname"] as? String == "a1" })
            }
        }
    }

    @Test func bridgeWithMasterHairpinAndIsolation() throws {
        try withNetlink { netlink, namespace in
            try netlink.createBridge(named: "br0", mtu: 1400)
            #expect(try netlink.link(named: "br0").mtu == 1400)
            let mac = try #require(MACAddress("02:00:00:00:00:42"))
            #expect(try netlink.createVeth(named: "p0", peerName: "p1", address: mac)?.macAddress == mac)
            #expect(try netlink.link(named: "p0").macAddress == mac)
            try netlink.setMaster("p0", "br0", bringUp: true)
            #expect(try netlink.link(named: "p0").isUp)
            try netlink.setBridgePort("p0", BridgePortSettings(hairpin: true, isolated: true, learning: false))

            let bridge = try netlink.link(named: "br0")
            let port = try netlink.link(named: "p0")
            #expect(bridge.kind == "bridge")
            #expect(port.masterIndex == bridge.index)
            #expect(port.bridgePort == BridgePortSettings(hairpin: true, isolated: true, learning: false))

            let shown = try #require(try namespace.ip("-d", "link", "show", "p0").first)
            #expect(shown["master"] as? String == "br0")
            let slave = (shown["linkinfo"] as? [String: Any])?["info_slave_data"] as? [String: Any]
            #expect(slave?["hairpin"] as? Bool == true)
            #expect(slave?["isolated"] as? Bool == true)
            #expect(slave?["learning"] as? Bool == false)

            try netlink.setBridgePort("p0", BridgePortSettings(hairpin: false))
            #expect(try netlink.link(named: "p0").bridgePort == BridgePortSettings(hairpin: false, isolated: true, learning: false))

            try netlink.setMaster("p0", nil)
            #expect(try netlink.link(named: "p0").masterIndex == nil)
            #expect(try namespace.ip("link", "show", "p0").first?["master"] == nil)
        }
    }

    @Test(.enabled(if: KernelFeatures.bridgeVLANFiltering, "kernel built without CONFIG_BRIDGE_VLAN_FILTERING"))
    func bridgeVLANFiltering() throws {
        try withNetlink { netlink, namespace in
            try netlink.createBridge(named: "br0", vlanFiltering: true)
            try netlink.createBridge(named: "br1")
            #expect(try netlink.link(named: "br0").vlanFiltering == true)
            #expect(try netlink.link(named: "br1").vlanFiltering == false)
            let info = try namespace.ip("-d", "link", "show", "br0").first?["linkinfo"] as? [String: Any]
            #expect((info?["info_data"] as? [String: Any])?["vlan_filtering"] as? Int == 1)

            try netlink.createVeth(named: "p0", peerName: "p1")
            try netlink.setMaster("p0", "br0")
            try netlink.addBridgeVLAN(BridgeVLAN(id: 100, isPVID: true, isUntagged: true), to: "p0")
            try netlink.addBridgeVLAN(BridgeVLAN(id: 200), to: "p0")
            try netlink.addBridgeVLAN(BridgeVLAN(id: 300), to: "br0", onBridge: true)
            #expect(try netlink.bridgeVLANs("p0") == [
                BridgeVLAN(id: 1, isUntagged: true),
                BridgeVLAN(id: 100, isPVID: true, isUntagged: true),
                BridgeVLAN(id: 200),
            ])
            #expect(try netlink.bridgeVLANs("br0").contains(BridgeVLAN(id: 300)))

            let shown = try IPCommand.json(["-n", namespace.name!, "vlan", "show"], command: "bridge")
            let port = shown.first { $0["ifname"] as? String == "p0" }?["vlans"] as? [[String: Any]]
            #expect(port?.compactMap { $0["vlan"] as? Int } == [1, 100, 200])
            #expect(port?.first { $0["vlan"] as? Int == 100 }?["flags"] as? [String] == ["PVID", "Egress Untagged"])

            try netlink.deleteBridgeVLAN(200, from: "p0")
            #expect(try netlink.bridgeVLANs("p0").map(\.id) == [1, 100])
        }
    }

    @Test func mtuMACRenameUpAndDown() throws {
        try withNetlink { netlink, namespace in
            try netlink.createVeth(named: "v0", peerName: "v1")
            let mac = try MACAddress(parsing: "02:00:5e:10:00:01")
            try netlink.setMTU("v0", 1280)
            try netlink.setMACAddress("v0", mac)
            try netlink.rename("v0", to: "eth7")
            try netlink.setUp("eth7")
            try netlink.setUp("v1")

            let link = try netlink.link(named: "eth7")
            #expect(link.mtu == 1280)
            #expect(link.macAddress == mac)
            #expect(link.isUp)
            let shown = try #require(try namespace.ip("link", "show", "eth7").first)
            #expect(shown["mtu"] as? Int == 1280)
            #expect(shown["address"] as? String == "02:00:5e:10:00:01")
            #expect((shown["flags"] as? [String])?.contains("UP") == true)

            try netlink.setDown(.index(link.index))
            #expect(try !netlink.link(.index(link.index)).isUp)
            #expect((try namespace.ip("link", "show", "eth7").first?["flags"] as? [String])?.contains("UP") == false)
        }
    }

    @Test func deletingMissingLinkIsENODEV() throws {
        try withNetlink { netlink, _ in
            let error = #expect(throws: NetlinkError.self) { try netlink.deleteLink("swt-missing") }
            #expect(error?.errno == ENODEV)
            #expect(error?.operation == "delete link")
            #expect(error?.subject == "swt-missing")
            #expect(error?.description.hasPrefix("delete link swt-missing: No such device") == true)
            let getError = #expect(throws: NetlinkError.self) { try netlink.link(named: "swt-missing") }
            #expect(getError?.errno == ENODEV)
        }
    }

    @Test func duplicateLinkIsEEXISTAndKernelMessagesArrive() throws {
        try withNetlink { netlink, _ in
            try netlink.createBridge(named: "br0")
            let duplicate = #expect(throws: NetlinkError.self) { try netlink.createBridge(named: "br0") }
            #expect(duplicate?.errno == EEXIST)
            #expect(duplicate?.operation == "create bridge")

            try netlink.createVeth(named: "v0", peerName: "v1")
            let tooBig = #expect(throws: NetlinkError.self) { try netlink.setMTU("v0", 1_000_000) }
            #expect(tooBig?.errno == EINVAL)
            #expect(tooBig?.kernelMessage?.isEmpty == false)
        }
    }
}

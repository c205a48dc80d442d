import Foundation
import LinuxSystem
import Netlink
import Testing

/// A fake ``NetlinkSocket`` that records each request datagram and answers it from a script, or
/// with a plain acknowledgement.
private final class RecordingSocket: NetlinkSocket {
    let portID: UInt32 = 4242
    private(set) var sent: [[UInt8]] = []
    /// Builds the reply datagrams for a request with the given sequence number.
    var script: (UInt32) -> [[UInt8]] = { [ack(sequence: $0)] }
    private var pending: [[UInt8]] = []

    func send(_ datagram: [UInt8]) throws {
        sent.append(datagram)
        let sequence = UInt32(datagram[8]) | UInt32(datagram[9]) << 8 | UInt32(datagram[10]) << 16 | UInt32(datagram[11]) << 24
        pending = script(sequence)
    }

    func receive() throws -> [UInt8] { pending.removeFirst() }
}

/// Little-endian (host order on every Linux we run on) encodings, to spell out kernel structs.
private func le16(_ value: UInt16) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
private func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }

/// `struct nlmsghdr`: len, type, flags, seq, pid.
private func header(length: Int, type: UInt16, flags: UInt16, sequence: UInt32 = 1, pid: UInt32 = 0) -> [UInt8] {
    le32(UInt32(length)) + le16(type) + le16(flags) + le32(sequence) + le32(pid)
}

/// An `NLMSG_ERROR` with code 0 (an ack), capped: `nlmsgerr` echoes only the request header.
private func ack(sequence: UInt32) -> [UInt8] {
    header(length: 36, type: 2, flags: 0x100, sequence: sequence, pid: 4242) + le32(0) + header(length: 16, type: 0, flags: 0)
}

/// An attribute: `struct nlattr` (len, type) then the payload padded to 4 bytes.
private func attribute(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] {
    le16(UInt16(4 + payload.count)) + le16(type) + payload + [UInt8](repeating: 0, count: (4 - payload.count % 4) % 4)
}

private let nested: UInt16 = 0x8000
private let requestAckCreateExclusive: UInt16 = 0x0001 | 0x0004 | 0x0400 | 0x0200
private let requestAckEchoCreateExclusive: UInt16 = requestAckCreateExclusive | 0x0008

@Suite("Netlink messages, byte for byte (fake socket)")
struct NetlinkMessageTests {
    @Test func vethCreate() throws {
        let socket = RecordingSocket()
        try RouteNetlink(socket: socket).createVeth(named: "a", peerName: "b")
        let ifinfomsg = [UInt8](repeating: 0, count: 16)  // family, pad, type, index, flags, change: all 0
        let peer = attribute(1 | nested, ifinfomsg + attribute(3, Array("b\0".utf8)))             // VETH_INFO_PEER
        let linkInfo = attribute(18 | nested,                                                    // IFLA_LINKINFO
            attribute(1, Array("veth\0".utf8))                                                   //   IFLA_INFO_KIND
            + attribute(2 | nested, peer))                                                       //   IFLA_INFO_DATA
        let body = ifinfomsg + attribute(3, Array("a\0".utf8)) + linkInfo                        // IFLA_IFNAME
        let expected = header(length: 16 + body.count, type: 16, flags: requestAckEchoCreateExclusive) + body  // RTM_NEWLINK
        #expect(expected.count == 88)
        #expect(socket.sent == [expected])
    }

    @Test func addressAdd() throws {
        let socket = RecordingSocket()
        let network = try IPNetwork(parsing: "10.0.0.5/24")
        try RouteNetlink(socket: socket).addAddress(network, to: .index(7), broadcast: network.broadcast)
        let ifaddrmsg: [UInt8] = [2, 24, 0, 0] + le32(7)     // AF_INET, prefixlen, flags, scope, index
        let body = ifaddrmsg
            + attribute(2, [10, 0, 0, 5])                      // IFA_LOCAL
            + attribute(1, [10, 0, 0, 5])                      // IFA_ADDRESS
            + attribute(4, [10, 0, 0, 255])                    // IFA_BROADCAST
        let expected = header(length: 48, type: 20, flags: requestAckCreateExclusive) + body  // RTM_NEWADDR
        #expect(socket.sent == [expected])
    }

    @Test func bridgePortFlagsAndVLAN() throws {
        let socket = RecordingSocket()
        let netlink = RouteNetlink(socket: socket)
        try netlink.setBridgePort(.index(5), BridgePortSettings(hairpin: true, isolated: true))
        try netlink.addBridgeVLAN(BridgeVLAN(id: 100, isPVID: true, isUntagged: true), to: .index(5))
        let bridgePort: [UInt8] = [7, 0] + le16(0) + le32(5) + le32(0) + le32(0)  // ifinfomsg, AF_BRIDGE, index 5
        let protinfo = attribute(12 | nested,                 // IFLA_PROTINFO
            attribute(4, [1])                                 //   IFLA_BRPORT_MODE (hairpin)
            + attribute(33, [1]))                             //   IFLA_BRPORT_ISOLATED
        let vlan = attribute(26 | nested,                     // IFLA_AF_SPEC
            attribute(2, le16(0x2 | 0x4) + le16(100)))        //   IFLA_BRIDGE_VLAN_INFO {PVID|UNTAGGED, vid}
        #expect(socket.sent == [
            header(length: 52, type: 19, flags: 0x5) + bridgePort + protinfo,            // RTM_SETLINK
            header(length: 44, type: 19, flags: 0x5, sequence: 2) + bridgePort + vlan,
        ])
    }

    @Test func errorWithExtendedAck() throws {
        let socket = RecordingSocket()
        socket.script = { sequence in
            let tlv = attribute(1, Array("boom\0".utf8))      // NLMSGERR_ATTR_MSG
            let error = header(length: 36 + tlv.count, type: 2, flags: 0x100 | 0x200, sequence: sequence, pid: 4242)
                + le32(UInt32(bitPattern: -EEXIST)) + header(length: 16, type: 16, flags: 0) + tlv
            // A stale reply to an older request comes first and must be ignored.
            return [ack(sequence: sequence &- 1) + error]
        }
        let error = #expect(throws: NetlinkError.self) { try RouteNetlink(socket: socket).createBridge(named: "br0") }
        #expect(error == NetlinkError(errno: EEXIST, operation: "create bridge", subject: "br0", kernelMessage: "boom"))
        #expect(error?.description == #"create bridge br0: File exists (errno 17) — kernel: "boom""#)
    }

    @Test func multipartDump() throws {
        let socket = RecordingSocket()
        socket.script = { sequence in
            func link(_ index: UInt32, _ name: String) -> [UInt8] {
                let body = [0, 0] + le16(1) + le32(index) + le32(1) + le32(0) + attribute(3, Array((name + "\0").utf8))
                    + attribute(4, le32(1500))                                     // IFLA_MTU
                return header(length: 16 + body.count, type: 16, flags: 0x2, sequence: sequence, pid: 4242) + body
            }
            let done = header(length: 20, type: 3, flags: 0x2, sequence: sequence, pid: 4242) + le32(0)
            return [link(1, "lo") + link(2, "eth0"), link(3, "eth1") + done]
        }
        let links = try RouteNetlink(socket: socket).links()
        #expect(links.map(\.name) == ["lo", "eth0", "eth1"])
        #expect(links.map(\.mtu) == [1500, 1500, 1500])
        #expect(links.allSatisfy { $0.isUp })
        #expect(socket.sent.first?[4...5] == [18, 0])                             // RTM_GETLINK
        #expect(socket.sent.first?[6...7] == [0x01, 0x03])                        // NLM_F_REQUEST | NLM_F_DUMP
    }

    @Test func bridgeVLANListing() throws {
        let socket = RecordingSocket()
        socket.script = { sequence in
            let vlans = attribute(26 | nested,                                     // IFLA_AF_SPEC
                attribute(2, le16(0x4) + le16(1)) + attribute(2, le16(0x2) + le16(100)))
            let body = [7, 0] + le16(1) + le32(5) + le32(0) + le32(0) + vlans
            let link = header(length: 16 + body.count, type: 16, flags: 0x2, sequence: sequence, pid: 4242) + body
            let done = header(length: 20, type: 3, flags: 0x2, sequence: sequence, pid: 4242) + le32(0)
            return [link + done]
        }
        let vlans = try RouteNetlink(socket: socket).bridgeVLANs(.index(5))
        #expect(vlans == [BridgeVLAN(id: 1, isUntagged: true), BridgeVLAN(id: 100, isPVID: true)])
        let request = try #require(socket.sent.first)
        #expect(request[16] == 7)                                                  // ifinfomsg.ifi_family = AF_BRIDGE
        #expect(Array(request[32...]) == attribute(29, le32(2)))                   // IFLA_EXT_MASK = RTEXT_FILTER_BRVLAN
    }
}

/// ctnetlink (`NETLINK_NETFILTER`, `NFNL_SUBSYS_CTNETLINK`) requests and replies, byte for byte.
@Suite("Conntrack netlink messages, byte for byte (fake socket)")
struct ConntrackMessageTests {
    private func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }

    /// `CTA_TUPLE_*`: `CTA_TUPLE_IP` { src, dst } and `CTA_TUPLE_PROTO` { num, sport, dport }.
    private func tuple(_ type: UInt16, _ source: [UInt8], _ destination: [UInt8], _ sport: UInt16, _ dport: UInt16) -> [UInt8] {
        attribute(type | nested,
                  attribute(1 | nested, attribute(1, source) + attribute(2, destination))
                  + attribute(2 | nested, attribute(1, [17]) + attribute(2, be16(sport)) + attribute(3, be16(dport))))
    }

    @Test func deleteSendsTheOriginalTuple() throws {
        let socket = RecordingSocket()
        let entry = ConntrackEntry(
            original: ConntrackTuple(source: try IPAddress(parsing: "192.168.77.2"), destination: try IPAddress(parsing: "10.96.0.60"),
                                     protocolNumber: 17, sourcePort: 41000, destinationPort: 53),
            reply: ConntrackTuple(source: try IPAddress(parsing: "10.244.0.12"), destination: try IPAddress(parsing: "192.168.77.2"),
                                  protocolNumber: 17, sourcePort: 9000, destinationPort: 41000))
        #expect(try ConntrackNetlink(socket: socket).delete(entry))
        let body: [UInt8] = [2, 0, 0, 0] + tuple(1, [192, 168, 77, 2], [10, 96, 0, 60], 41000, 53)  // nfgenmsg AF_INET, CTA_TUPLE_ORIG
        let expected = header(length: 16 + body.count, type: 0x0102, flags: 0x0001 | 0x0004) + body  // CTNETLINK << 8 | IPCTNL_MSG_CT_DELETE
        #expect(socket.sent == [expected])
    }

    @Test func listParsesBothTuplesOfEachEntry() throws {
        let socket = RecordingSocket()
        socket.script = { sequence in
            let body: [UInt8] = [2, 0, 0, 0]
                + tuple(1, [192, 168, 77, 2], [10, 96, 0, 60], 41000, 53)
                + tuple(2, [10, 244, 0, 12], [192, 168, 77, 2], 9000, 41000)
            let entry = header(length: 16 + body.count, type: 0x0100, flags: 0x0002, sequence: sequence, pid: 4242) + body
            let done = header(length: 20, type: 3, flags: 0x0002, sequence: sequence, pid: 4242) + le32(0)
            return [entry + done]
        }
        let entries = try ConntrackNetlink(socket: socket).entries(family: .v4, protocolNumber: 17)
        #expect(entries.count == 1)
        #expect(entries.first?.original.destination.description == "10.96.0.60" && entries.first?.original.destinationPort == 53)
        #expect(entries.first?.reply.source.description == "10.244.0.12" && entries.first?.reply.sourcePort == 9000)
        // A dump request: CTNETLINK << 8 | IPCTNL_MSG_CT_GET, NLM_F_REQUEST | NLM_F_DUMP, nfgenmsg AF_INET.
        #expect(socket.sent == [header(length: 20, type: 0x0101, flags: 0x0001 | 0x0300) + [2, 0, 0, 0]])
    }
}


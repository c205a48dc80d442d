import CMnl
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// One direction of a connection-tracking entry: addresses, layer-4 protocol number and ports.
public struct ConntrackTuple: Hashable, Sendable, CustomStringConvertible {
    public var source: IPAddress
    public var destination: IPAddress
    /// IANA protocol number (17: UDP).
    public var protocolNumber: UInt8
    public var sourcePort: UInt16
    public var destinationPort: UInt16

    public init(source: IPAddress, destination: IPAddress, protocolNumber: UInt8, sourcePort: UInt16, destinationPort: UInt16) {
        self.source = source
        self.destination = destination
        self.protocolNumber = protocolNumber
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    public var description: String { "proto \(protocolNumber) \(source):\(sourcePort) -> \(destination):\(destinationPort)" }
}

/// A connection-tracking entry: the original direction (as the client sent it) and the reply direction
/// (after NAT: its source is the endpoint a DNAT chose).
public struct ConntrackEntry: Hashable, Sendable, CustomStringConvertible {
    public var original: ConntrackTuple
    public var reply: ConntrackTuple
    /// The conntrack zone (0 when none).
    public var zone: UInt16

    public init(original: ConntrackTuple, reply: ConntrackTuple, zone: UInt16 = 0) {
        self.original = original
        self.reply = reply
        self.zone = zone
    }

    public var description: String { "\(original) (reply \(reply))" }
}

/// The kernel's connection-tracking table over ctnetlink (`NETLINK_NETFILTER`, subsystem
/// `NFNL_SUBSYS_CTNETLINK`) with libmnl: list entries, delete one. No `conntrack` process.
///
///     let conntrack = try ConntrackNetlink(in: nodeNamespace)
///     try conntrack.deleteEntries(family: .v4, protocolNumber: 17) { $0.original.destinationPort == 53 }
///
/// Not thread-safe: use it from one task or thread at a time.
public final class ConntrackNetlink {
    // From <linux/netfilter/nfnetlink.h> and <linux/netfilter/nfnetlink_conntrack.h> (stable uapi numbers;
    // those headers are not in CMnl, whose users also import libnftnl's copies).
    static let subsystem = 1  // NFNL_SUBSYS_CTNETLINK
    static let messageGet = 1  // IPCTNL_MSG_CT_GET
    static let messageDelete = 2  // IPCTNL_MSG_CT_DELETE
    static let tupleOriginal = 1, tupleReply = 2, zoneAttribute = 18  // CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_ZONE
    static let tupleIP = 1, tupleProto = 2  // CTA_TUPLE_IP, CTA_TUPLE_PROTO
    static let ipV4Source = 1, ipV4Destination = 2, ipV6Source = 3, ipV6Destination = 4  // CTA_IP_V4_SRC …
    static let protoNumber = 1, protoSourcePort = 2, protoDestinationPort = 3  // CTA_PROTO_NUM, CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT

    /// `struct nfgenmsg`: family, version (`NFNETLINK_V0`), resource id (big-endian 0).
    struct GenericHeader {
        var family: UInt8
        var version: UInt8 = 0
        var resourceID: UInt16 = 0
    }

    private let session: NetlinkSession

    /// A session over `socket` (a `NETLINK_NETFILTER` socket, or a fake in unit tests).
    public init(socket: any NetlinkSocket, firstSequence: UInt32 = 1) {
        session = NetlinkSession(socket: socket, firstSequence: firstSequence)
    }

    /// A session on the calling thread's network namespace.
    public convenience init() throws {
        self.init(socket: try KernelNetlinkSocket(bus: NETLINK_NETFILTER))
    }

    /// A session on `namespace`: its socket is opened on a thread inside `namespace`.
    public convenience init(in namespace: NetworkNamespace) throws {
        let socket = try namespace.run { try KernelNetlinkSocket(bus: NETLINK_NETFILTER) }
        self.init(socket: socket)
    }

    private static func type(_ message: Int) -> Int { subsystem << 8 | message }

    private static func header(_ family: IPFamily) -> GenericHeader {
        GenericHeader(family: UInt8(family == .v4 ? AF_INET : AF_INET6))
    }

    /// Every entry of `family` (whose layer-4 protocol is `protocolNumber`, if given).
    public func entries(family: IPFamily, protocolNumber: UInt8? = nil) throws -> [ConntrackEntry] {
        let replies = try session.dump(Self.type(Self.messageGet), header: Self.header(family), "list conntrack entries")
        return replies.compactMap { reply in
            let attributes = reply.attributes(after: GenericHeader.self)
            guard let original = attributes.nested(Self.tupleOriginal).flatMap(Self.tuple),
                  let replyTuple = attributes.nested(Self.tupleReply).flatMap(Self.tuple) else { return nil }
            if let protocolNumber, original.protocolNumber != protocolNumber { return nil }
            let zone = attributes[Self.zoneAttribute].map { UInt16($0.first ?? 0) << 8 | UInt16($0.dropFirst().first ?? 0) } ?? 0
            return ConntrackEntry(original: original, reply: replyTuple, zone: zone)
        }
    }

    /// Deletes `entry` (found by its original tuple and zone); returns false if it was already gone.
    @discardableResult
    public func delete(_ entry: ConntrackEntry) throws -> Bool {
        let request = NetlinkRequest(type: Self.type(Self.messageDelete), flags: NLM_F_ACK)
        request.putHeader(Self.header(entry.original.source.family))
        request.nest(Self.tupleOriginal) { Self.put(entry.original, into: request) }
        if entry.zone != 0 { request.put(Self.zoneAttribute, u16: entry.zone.bigEndian) }
        do {
            try session.execute(request, "delete conntrack entry", entry.description)
            return true
        } catch let error as NetlinkError {
            guard error.errno == ENOENT else { throw error }
            return false
        }
    }

    /// Deletes every entry of `family` (whose layer-4 protocol is `protocolNumber`, if given) that
    /// `predicate` selects, in one pass over the table as vishvananda/netlink's `ConntrackDeleteFilters`
    /// does; returns how many were deleted (entries that vanished meanwhile are not counted).
    ///
    ///     // the reference portmap's flush of a UDP host port
    ///     try conntrack.deleteEntries(family: .v4, protocolNumber: 17) { $0.original.destinationPort == 5353 }
    @discardableResult
    public func deleteEntries(family: IPFamily, protocolNumber: UInt8? = nil,
                              where predicate: (ConntrackEntry) throws -> Bool) throws -> Int {
        var deleted = 0
        for entry in try entries(family: family, protocolNumber: protocolNumber) where try predicate(entry) {
            if try delete(entry) { deleted += 1 }
        }
        return deleted
    }

    private static func put(_ tuple: ConntrackTuple, into request: NetlinkRequest) {
        request.nest(tupleIP) {
            let v4 = tuple.source.isIPv4
            request.put(v4 ? ipV4Source : ipV6Source, bytes: tuple.source.bytes)
            request.put(v4 ? ipV4Destination : ipV6Destination, bytes: tuple.destination.bytes)
        }
        request.nest(tupleProto) {
            request.put(protoNumber, u8: tuple.protocolNumber)
            request.put(protoSourcePort, u16: tuple.sourcePort.bigEndian)
            request.put(protoDestinationPort, u16: tuple.destinationPort.bigEndian)
        }
    }

    private static func tuple(_ attributes: NetlinkAttributes) -> ConntrackTuple? {
        guard let ip = attributes.nested(tupleIP), let proto = attributes.nested(tupleProto),
              let source = ip.ipAddress(ipV4Source) ?? ip.ipAddress(ipV6Source),
              let destination = ip.ipAddress(ipV4Destination) ?? ip.ipAddress(ipV6Destination),
              let number = proto.u8(protoNumber) else { return nil }
        func port(_ type: Int) -> UInt16 {
            guard let bytes = proto[type], bytes.count >= 2 else { return 0 }
            return UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        }
        return ConntrackTuple(source: source, destination: destination, protocolNumber: number,
                              sourcePort: port(protoSourcePort), destinationPort: port(protoDestinationPort))
    }
}

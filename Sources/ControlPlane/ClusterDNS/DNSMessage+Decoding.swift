extension DNSMessage {
    /// Parses a message. Every length is checked against the bytes present, compression pointers must point
    /// strictly backwards (so a pointer loop cannot exist), names stay within 255 bytes, and record data must be
    /// exactly as long as its RDLENGTH says; anything else throws `.malformedMessage`, never reads out of bounds.
    public init(decoding bytes: [UInt8]) throws(ClusterDNSError) {
        var reader = DNSReader(bytes: bytes)
        id = try reader.readUInt16()
        let flags = try reader.readUInt16()
        isResponse = flags & 0x8000 != 0
        opcode = UInt8((flags >> 11) & 0x0F)
        isAuthoritative = flags & 0x0400 != 0
        isTruncated = flags & 0x0200 != 0
        recursionDesired = flags & 0x0100 != 0
        recursionAvailable = flags & 0x0080 != 0
        authenticData = flags & 0x0020 != 0
        checkingDisabled = flags & 0x0010 != 0
        let headerRcode = flags & 0x000F
        let questionCount = try reader.readUInt16()
        let counts = [try reader.readUInt16(), try reader.readUInt16(), try reader.readUInt16()]
        questions = []
        for _ in 0..<questionCount {
            let name = try reader.readName()
            let type = RecordType(rawValue: try reader.readUInt16())
            questions.append(Question(name: name, type: type, recordClass: try reader.readUInt16()))
        }
        var sections: [[ResourceRecord]] = [[], [], []]
        var edns: EDNS?
        var extendedRcode: UInt16 = 0
        for section in 0..<3 {
            for _ in 0..<counts[section] {
                let name = try reader.readName()
                let type = RecordType(rawValue: try reader.readUInt16())
                let recordClass = try reader.readUInt16()
                let ttl = try reader.readUInt32()
                let length = Int(try reader.readUInt16())
                if type == .opt {
                    guard section == 2, name.isRoot, edns == nil else {
                        throw ClusterDNSError(.malformedMessage, "OPT record outside the additional section, not at the root, or repeated")
                    }
                    edns = EDNS(udpPayloadSize: recordClass, version: UInt8((ttl >> 16) & 0xFF), dnssecOK: ttl & 0x8000 != 0,
                                options: try reader.readBytes(length))
                    extendedRcode = UInt16(ttl >> 24)
                    continue
                }
                let data = try reader.readRecordData(type: type, length: length)
                sections[section].append(ResourceRecord(name: name, ttl: ttl, data: data, recordClass: recordClass))
            }
        }
        answers = sections[0]
        authority = sections[1]
        additional = sections[2]
        self.edns = edns
        rcode = ResponseCode(rawValue: extendedRcode << 4 | headerRcode)
    }

    /// A FORMERR reply to bytes that could not be parsed, built from their header alone (RFC 1035 leaves the
    /// question out when it cannot be read); nil when even the 12-byte header is missing or the bytes are
    /// themselves a response (never answer a response: that is how reflection loops start).
    public static func formatErrorReply(to bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 12, bytes[2] & 0x80 == 0 else { return nil }
        // Same id; QR set, opcode and RD kept; RCODE 1; no sections.
        return [bytes[0], bytes[1], 0x80 | (bytes[2] & 0x79), 0x01, 0, 0, 0, 0, 0, 0, 0, 0]
    }
}

/// Reads wire-format fields from a message, bounds-checked.
struct DNSReader {
    /// Most pointer hops a name may take; backwards-only pointers already rule out loops, this bounds the work.
    static let maxPointerHops = 64

    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    private func need(_ count: Int) throws(ClusterDNSError) {
        guard count >= 0, offset + count <= bytes.count else {
            throw ClusterDNSError(.malformedMessage, "message ends at byte \(bytes.count), \(count) more needed at \(offset)")
        }
    }

    mutating func readUInt8() throws(ClusterDNSError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt16() throws(ClusterDNSError) -> UInt16 {
        try need(2)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func readUInt32() throws(ClusterDNSError) -> UInt32 {
        UInt32(try readUInt16()) << 16 | UInt32(try readUInt16())
    }

    mutating func readBytes(_ count: Int) throws(ClusterDNSError) -> [UInt8] {
        try need(count)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Reads a possibly compressed name at the current offset and moves past it (past the first pointer, if any).
    mutating func readName() throws(ClusterDNSError) -> DomainName {
        var labels: [[UInt8]] = []
        var position = offset
        var wireLength = 1
        var jumped = false
        var hops = 0
        // A pointer must land before the start of the label sequence it is part of.
        var floor = offset
        while true {
            guard position < bytes.count else { throw ClusterDNSError(.malformedMessage, "name runs past the end of the message") }
            let length = Int(bytes[position])
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    if !jumped { offset = position + 1 }
                    return DomainName(checkedLabels: labels)
                }
                guard position + 1 + length <= bytes.count else {
                    throw ClusterDNSError(.malformedMessage, "label runs past the end of the message")
                }
                wireLength += 1 + length
                guard wireLength <= DomainName.maxWireLength else {
                    throw ClusterDNSError(.malformedMessage, "name longer than 255 bytes")
                }
                labels.append(Array(bytes[position + 1..<position + 1 + length]))
                position += 1 + length
            case 0xC0:
                guard position + 1 < bytes.count else { throw ClusterDNSError(.malformedMessage, "compression pointer cut short") }
                let target = (length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < floor else {
                    throw ClusterDNSError(.malformedMessage, "compression pointer at \(position) to \(target) does not point backwards")
                }
                hops += 1
                guard hops <= Self.maxPointerHops else { throw ClusterDNSError(.malformedMessage, "too many compression pointers") }
                if !jumped {
                    offset = position + 2
                    jumped = true
                }
                floor = target
                position = target
            default:
                throw ClusterDNSError(.malformedMessage, "unsupported label type 0x\(String(length & 0xC0, radix: 16)) at \(position)")
            }
        }
    }

    /// Reads `length` bytes of record data of `type`; names inside must end exactly where the data does.
    mutating func readRecordData(type: RecordType, length: Int) throws(ClusterDNSError) -> RecordData {
        try need(length)
        let end = offset + length
        let data: RecordData
        switch type {
        case .a:
            guard length == 4 else { throw ClusterDNSError(.malformedMessage, "A record of \(length) bytes") }
            data = .a(try readBytes(4))
        case .aaaa:
            guard length == 16 else { throw ClusterDNSError(.malformedMessage, "AAAA record of \(length) bytes") }
            data = .aaaa(try readBytes(16))
        case .cname: data = .cname(try readName())
        case .ns: data = .ns(try readName())
        case .ptr: data = .ptr(try readName())
        case .mx: data = .mx(preference: try readUInt16(), exchange: try readName())
        case .srv: data = .srv(priority: try readUInt16(), weight: try readUInt16(), port: try readUInt16(), target: try readName())
        case .soa:
            data = .soa(SOAData(primaryNameServer: try readName(), mailbox: try readName(), serial: try readUInt32(),
                                refresh: try readUInt32(), retry: try readUInt32(), expire: try readUInt32(), minimumTTL: try readUInt32()))
        case .txt:
            var strings: [[UInt8]] = []
            while offset < end {
                let count = Int(try readUInt8())
                guard offset + count <= end else { throw ClusterDNSError(.malformedMessage, "TXT string runs past its record") }
                strings.append(try readBytes(count))
            }
            data = .txt(strings)
        default:
            data = .unknown(type, try readBytes(length))
        }
        guard offset == end else {
            throw ClusterDNSError(.malformedMessage, "\(type) record data is \(length) bytes but its fields take \(offset - end + length)")
        }
        return data
    }
}

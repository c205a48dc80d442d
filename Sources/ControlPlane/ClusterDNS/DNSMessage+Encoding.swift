extension DNSMessage {
    /// The wire form, with names compressed (RFC 1035 §4.1.4). When the message does not fit in `limit` bytes, the
    /// records that do not fit are left out and, if any of them were answer or authority records, the TC bit is
    /// set, so a UDP client retries over TCP; the question and the OPT record are always kept.
    public func encoded(limit: Int = 65535) throws(ClusterDNSError) -> [UInt8] {
        var writer = DNSWriter()
        writer.bytes.append(contentsOf: [UInt8](repeating: 0, count: 12))
        for question in questions {
            try writer.write(question.name, compress: true)
            writer.write(question.type.rawValue)
            writer.write(question.recordClass)
        }
        let optSize = edns.map { 11 + $0.options.count } ?? 0
        var counts = [UInt16](repeating: 0, count: 3)
        var truncated = isTruncated
        var full = false
        for (section, records) in [answers, authority, additional].enumerated() where !full {
            for record in records {
                let mark = writer.bytes.count
                try writer.write(record)
                if writer.bytes.count + optSize > limit {
                    writer.bytes.removeSubrange(mark...)
                    if section < 2 { truncated = true }
                    full = true
                    break
                }
                counts[section] += 1
            }
        }
        var extendedRcode: UInt8 = 0
        if let edns {
            extendedRcode = UInt8(truncatingIfNeeded: rcode.rawValue >> 4)
            writer.bytes.append(0)
            writer.write(RecordType.opt.rawValue)
            writer.write(edns.udpPayloadSize)
            writer.write(UInt32(extendedRcode) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0))
            writer.write(UInt16(edns.options.count))
            writer.bytes.append(contentsOf: edns.options)
            counts[2] += 1
        } else if rcode.rawValue > 15 {
            throw ClusterDNSError(.unencodable, "response code \(rcode) needs EDNS")
        }
        var flags: UInt16 = 0
        if isResponse { flags |= 0x8000 }
        flags |= UInt16(opcode & 0x0F) << 11
        if isAuthoritative { flags |= 0x0400 }
        if truncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        if authenticData { flags |= 0x0020 }
        if checkingDisabled { flags |= 0x0010 }
        flags |= rcode.rawValue & 0x0F
        writer.put(id, at: 0)
        writer.put(flags, at: 2)
        writer.put(UInt16(questions.count), at: 4)
        writer.put(counts[0], at: 6)
        writer.put(counts[1], at: 8)
        writer.put(counts[2], at: 10)
        return writer.bytes
    }
}

/// Appends wire-format fields to a buffer, remembering where each name suffix was written so later names can
/// point back at it.
struct DNSWriter {
    var bytes: [UInt8] = []
    /// Lower-cased wire form of a name suffix → its offset (only offsets a 14-bit pointer can reach).
    private var suffixes: [[UInt8]: Int] = [:]

    init() { bytes.reserveCapacity(512) }

    mutating func write(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    mutating func write(_ value: UInt32) {
        write(UInt16(value >> 16))
        write(UInt16(value & 0xFFFF))
    }

    mutating func put(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(value & 0xFF)
    }

    /// Writes `name`, ending in a pointer to an earlier copy of its longest already-written suffix when
    /// `compress` is set (SRV targets must not be compressed, RFC 2782).
    mutating func write(_ name: DomainName, compress: Bool) throws(ClusterDNSError) {
        guard name.wireLength <= DomainName.maxWireLength else {
            throw ClusterDNSError(.unencodable, "domain name \(name) is longer than 255 bytes")
        }
        let labels = name.labels
        for index in labels.indices {
            if compress {
                let key = DomainName(checkedLabels: Array(labels[index...])).canonicalWire
                if let offset = suffixes[key] {
                    write(0xC000 | UInt16(offset))
                    return
                }
                if bytes.count < 0x4000 { suffixes[key] = bytes.count }
            }
            bytes.append(UInt8(labels[index].count))
            bytes.append(contentsOf: labels[index])
        }
        bytes.append(0)
    }

    mutating func write(_ record: ResourceRecord) throws(ClusterDNSError) {
        try write(record.name, compress: true)
        write(record.type.rawValue)
        write(record.recordClass)
        write(record.ttl)
        let lengthOffset = bytes.count
        write(UInt16(0))
        switch record.data {
        case .a(let address):
            guard address.count == 4 else { throw ClusterDNSError(.unencodable, "A record of \(address.count) bytes") }
            bytes.append(contentsOf: address)
        case .aaaa(let address):
            guard address.count == 16 else { throw ClusterDNSError(.unencodable, "AAAA record of \(address.count) bytes") }
            bytes.append(contentsOf: address)
        case .cname(let name), .ns(let name), .ptr(let name):
            try write(name, compress: true)
        case .mx(let preference, let exchange):
            write(preference)
            try write(exchange, compress: true)
        case .srv(let priority, let weight, let port, let target):
            write(priority)
            write(weight)
            write(port)
            try write(target, compress: false)
        case .soa(let soa):
            try write(soa.primaryNameServer, compress: true)
            try write(soa.mailbox, compress: true)
            for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimumTTL] { write(value) }
        case .txt(let strings):
            for string in strings {
                guard string.count <= 255 else { throw ClusterDNSError(.unencodable, "TXT string of \(string.count) bytes") }
                bytes.append(UInt8(string.count))
                bytes.append(contentsOf: string)
            }
        case .unknown(_, let data):
            bytes.append(contentsOf: data)
        }
        let length = bytes.count - lengthOffset - 2
        guard length <= 0xFFFF else { throw ClusterDNSError(.unencodable, "record data of \(length) bytes") }
        put(UInt16(length), at: lengthOffset)
    }
}

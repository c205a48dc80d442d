/// Cuts a byte stream into ``SPDYFrame``s. The bytes may arrive split anywhere (a WebSocket tunnel carries
/// whatever the peer's writes were), so the decoder keeps what it has not yet used.
public struct SPDYFrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    /// Adds bytes read from the connection.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil until more bytes arrive.
    public mutating func next() throws(SPDYError) -> SPDYFrame? {
        guard buffer.count - start >= 8 else { return nil }
        let length = Int(buffer[start + 5]) << 16 | Int(buffer[start + 6]) << 8 | Int(buffer[start + 7])
        guard buffer.count - start >= 8 + length else { return nil }
        let header = Array(buffer[start..<start + 8])
        let body = Array(buffer[start + 8..<start + 8 + length])
        start += 8 + length
        if start > 64 * 1024 {
            buffer.removeFirst(start)
            start = 0
        }
        return try Self.frame(header: header, body: body)
    }

    private static func frame(header: [UInt8], body: [UInt8]) throws(SPDYError) -> SPDYFrame {
        let flags = header[4]
        guard header[0] & 0x80 != 0 else {
            return .data(streamID: word(header, 0) & 0x7FFF_FFFF, flags: flags, payload: body)
        }
        let version = UInt16(header[0] & 0x7F) << 8 | UInt16(header[1])
        guard version == SPDYFrame.version else { throw .unsupportedVersion(version) }
        let type = UInt16(header[2]) << 8 | UInt16(header[3])
        func need(_ count: Int) throws(SPDYError) {
            guard body.count >= count else { throw .malformedFrame(type: type, length: body.count) }
        }
        switch type {
        case 1:
            try need(10)
            return .synStream(streamID: word(body, 0) & 0x7FFF_FFFF, associatedStreamID: word(body, 4) & 0x7FFF_FFFF,
                              priority: body[8] >> 5, flags: flags, headerBlock: Array(body[10...]))
        case 2:
            try need(4)
            return .synReply(streamID: word(body, 0) & 0x7FFF_FFFF, flags: flags, headerBlock: Array(body[4...]))
        case 3:
            try need(8)
            return .rstStream(streamID: word(body, 0) & 0x7FFF_FFFF, status: word(body, 4))
        case 4:
            try need(4)
            let count = Int(word(body, 0))
            try need(4 + count * 8)
            let entries = (0..<count).map { index in
                let offset = 4 + index * 8
                return SPDYFrame.Setting(flags: body[offset], id: word(body, offset) & 0xFF_FFFF, value: word(body, offset + 4))
            }
            return .settings(flags: flags, entries: entries)
        case 6:
            try need(4)
            return .ping(id: word(body, 0))
        case 7:
            try need(4)
            return .goAway(lastGoodStreamID: word(body, 0) & 0x7FFF_FFFF, status: body.count >= 8 ? word(body, 4) : 0)
        case 8:
            try need(4)
            return .headers(streamID: word(body, 0) & 0x7FFF_FFFF, flags: flags, headerBlock: Array(body[4...]))
        case 9:
            try need(8)
            return .windowUpdate(streamID: word(body, 0) & 0x7FFF_FFFF, delta: word(body, 4) & 0x7FFF_FFFF)
        default:
            return .unknownControl(type: type)
        }
    }

    private static func word(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}

/// Reads protobuf wire primitives from one region of a byte buffer.
///
/// Offsets are positions in the whole buffer (the request body), so errors point at the byte a client sent.
/// Sub-messages are read by making a reader over the region a length-delimited field covers.
struct WireReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int
    /// The field path being read, for error messages.
    let path: String

    init(bytes: [UInt8], region: Range<Int>, path: String) {
        self.bytes = bytes
        self.offset = region.lowerBound
        self.end = region.upperBound
        self.path = path
    }

    var isAtEnd: Bool { offset >= end }

    func error(_ reason: String, at position: Int? = nil) -> ProtobufError {
        ProtobufError(.malformed, reason, path: path, offset: position ?? offset)
    }

    mutating func readVarint() throws -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw error("truncated varint", at: start) }
            let byte = bytes[offset]
            offset += 1
            guard shift < 64 else { throw error("varint longer than 10 bytes", at: start) }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// Reads a field key, returning the field number and wire type.
    mutating func readTag() throws -> (number: Int, wireType: WireType) {
        let start = offset
        let key = try readVarint()
        let number = key >> 3
        guard number > 0, number <= 536_870_911 else { throw error("invalid field number \(number)", at: start) }
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw error("unsupported wire type \(key & 7) for field \(number)", at: start)
        }
        return (Int(number), wireType)
    }

    /// Reads a length prefix and returns the region of the buffer it covers, leaving the reader after it.
    mutating func readLengthDelimited() throws -> Range<Int> {
        let start = offset
        let length = try readVarint()
        guard length <= UInt64(end - offset) else {
            throw error("length \(length) runs past the end of the message", at: start)
        }
        let region = offset..<offset + Int(length)
        offset = region.upperBound
        return region
    }

    /// Skips the value of a field whose number the schema does not know.
    mutating func skip(_ wireType: WireType) throws {
        switch wireType {
        case .varint: _ = try readVarint()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .fixed64: try advance(8)
        case .fixed32: try advance(4)
        }
    }

    private mutating func advance(_ count: Int) throws {
        guard end - offset >= count else { throw error("truncated \(count)-byte value") }
        offset += count
    }
}

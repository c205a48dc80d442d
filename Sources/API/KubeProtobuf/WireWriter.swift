/// Appends protobuf wire primitives to a byte buffer.
struct WireWriter {
    private(set) var bytes: [UInt8] = []

    mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func writeTag(_ number: Int, _ wireType: WireType) {
        writeVarint(UInt64(number) << 3 | UInt64(wireType.rawValue))
    }

    /// A varint field; negative numbers are sign-extended to ten bytes, as Go encodes `int32` and `int64`.
    mutating func writeVarintField(_ number: Int, _ value: Int64) {
        writeTag(number, .varint)
        writeVarint(UInt64(bitPattern: value))
    }

    mutating func writeBytesField(_ number: Int, _ value: some Collection<UInt8>) {
        writeTag(number, .lengthDelimited)
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func writeStringField(_ number: Int, _ value: String) {
        writeBytesField(number, Array(value.utf8))
    }
}

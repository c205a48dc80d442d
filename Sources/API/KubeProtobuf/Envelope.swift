import Foundation

/// The wrapper around every Kubernetes protobuf body: the magic `k8s\0`, then a `runtime.Unknown` message
/// `{typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3, contentType = 4}` whose `raw` bytes
/// are the object's own message (k8s.io/apimachinery/pkg/runtime/serializer/protobuf/protobuf.go).
struct Envelope {
    static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]

    var apiVersion = ""
    var kind = ""
    /// Where the object's message lies in the body.
    var raw = 0..<0

    /// Parses the envelope of `bytes`; the object message is left in place, at `raw`.
    init(parsing bytes: [UInt8]) throws {
        guard bytes.starts(with: Self.magic) else {
            throw ProtobufError(.malformed, "not a Kubernetes protobuf body: it does not start with \"k8s\\0\"", offset: 0)
        }
        var reader = WireReader(bytes: bytes, region: Self.magic.count..<bytes.count, path: "")
        var raw = bytes.count..<bytes.count
        while !reader.isAtEnd {
            let tagOffset = reader.offset
            let (number, wireType) = try reader.readTag()
            guard (1...4).contains(number) else {
                try reader.skip(wireType)
                continue
            }
            guard wireType == .lengthDelimited else {
                throw reader.error("unexpected wire type \(wireType.rawValue) for field \(number)", at: tagOffset)
            }
            let region = try reader.readLengthDelimited()
            switch number {
            case 1: try parseTypeMeta(bytes, region)
            case 2: raw = region
            case 3:
                guard region.isEmpty else {
                    let encoding = String(decoding: bytes[region], as: UTF8.self)
                    throw ProtobufError(.malformed, "unsupported contentEncoding \"\(encoding)\"", offset: region.lowerBound)
                }
            default: break  // contentType: the body's own Content-Type already said protobuf
            }
        }
        self.raw = raw
    }

    private mutating func parseTypeMeta(_ bytes: [UInt8], _ region: Range<Int>) throws {
        var reader = WireReader(bytes: bytes, region: region, path: "typeMeta")
        while !reader.isAtEnd {
            let tagOffset = reader.offset
            let (number, wireType) = try reader.readTag()
            guard number == 1 || number == 2 else {
                try reader.skip(wireType)
                continue
            }
            guard wireType == .lengthDelimited else {
                throw reader.error("unexpected wire type \(wireType.rawValue) for field \(number)", at: tagOffset)
            }
            let text = String(decoding: bytes[try reader.readLengthDelimited()], as: UTF8.self)
            if number == 1 { apiVersion = text } else { kind = text }
        }
    }

    /// The body for an object message, written as Go writes it: every field, the empty ones too.
    static func encode(apiVersion: String, kind: String, raw: [UInt8]) -> Data {
        var typeMeta = WireWriter()
        typeMeta.writeStringField(1, apiVersion)
        typeMeta.writeStringField(2, kind)
        var unknown = WireWriter()
        unknown.writeBytesField(1, typeMeta.bytes)
        unknown.writeBytesField(2, raw)
        unknown.writeStringField(3, "")
        unknown.writeStringField(4, "")
        return Data(magic + unknown.bytes)
    }
}

#if canImport(Glibc)
import Glibc
#endif
import CZlib

/// The name/value pairs of a SYN_STREAM, SYN_REPLY or HEADERS frame. SPDY sends names in lower case and
/// several values of one name joined by NUL bytes; ``value(_:)`` gives the first.
public struct SPDYHeaders: Sendable, Equatable {
    public var pairs: [(name: String, value: String)]

    public init(_ pairs: [(name: String, value: String)] = []) {
        self.pairs = pairs
    }

    /// The first value of `name` (case-insensitive).
    public func value(_ name: String) -> String? {
        let wanted = name.lowercased()
        return pairs.first { $0.name == wanted }?.value.split(separator: "\0", omittingEmptySubsequences: false).first.map(String.init)
    }

    public static func == (lhs: SPDYHeaders, rhs: SPDYHeaders) -> Bool {
        lhs.pairs.map(\.name) == rhs.pairs.map(\.name) && lhs.pairs.map(\.value) == rhs.pairs.map(\.value)
    }

    /// The uncompressed block: a 32-bit count, then each name and value with a 32-bit length.
    var serialized: [UInt8] {
        var bytes = SPDYFrame.word(UInt32(pairs.count))
        for (name, value) in pairs {
            bytes += SPDYFrame.word(UInt32(name.utf8.count)) + Array(name.lowercased().utf8)
            bytes += SPDYFrame.word(UInt32(value.utf8.count)) + Array(value.utf8)
        }
        return bytes
    }

    init(serialized bytes: [UInt8]) throws(SPDYError) {
        var offset = 0
        func word() throws(SPDYError) -> Int {
            guard offset + 4 <= bytes.count else { throw .malformedHeaderBlock("truncated at byte \(offset) of \(bytes.count)") }
            defer { offset += 4 }
            return Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        }
        func string() throws(SPDYError) -> String {
            let length = try word()
            guard offset + length <= bytes.count else { throw .malformedHeaderBlock("a \(length)-byte string overruns the block") }
            defer { offset += length }
            return String(decoding: bytes[offset..<offset + length], as: UTF8.self)
        }
        let count = try word()
        guard count <= bytes.count / 8 else { throw .malformedHeaderBlock("\(count) pairs cannot fit in \(bytes.count) bytes") }
        var pairs: [(name: String, value: String)] = []
        for _ in 0..<count {
            let name = try string()
            pairs.append((name, try string()))
        }
        self.pairs = pairs
    }
}

/// The receiving side's zlib stream: every header block a peer sends on one connection continues the same
/// compressed stream, so one inflater serves a whole connection, in frame order.
public final class SPDYHeaderInflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)

    public init() throws(SPDYError) {
        stream.initialize(to: z_stream())
        let code = swiftlet_inflateInit2(stream, 15)
        guard code == Z_OK else { throw .compression(operation: "inflateInit", code: code) }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// The headers of one compressed block.
    public func headers(from block: [UInt8]) throws(SPDYError) -> SPDYHeaders {
        try SPDYHeaders(serialized: inflate(block))
    }

    private func inflate(_ input: [UInt8]) throws(SPDYError) -> [UInt8] {
        var input = input, output: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 4096)
        let result: SPDYError? = input.withUnsafeMutableBufferPointer { source in
            stream.pointee.next_in = source.baseAddress
            stream.pointee.avail_in = uInt(source.count)
            while true {
                let (code, produced) = chunk.withUnsafeMutableBufferPointer { target in
                    stream.pointee.next_out = target.baseAddress
                    stream.pointee.avail_out = uInt(target.count)
                    var code = CZlib.inflate(stream, Z_SYNC_FLUSH)
                    if code == Z_NEED_DICT {
                        code = SPDYHeaderDictionary.bytes.withUnsafeBufferPointer {
                            inflateSetDictionary(stream, $0.baseAddress, uInt($0.count))
                        }
                        if code == Z_OK { code = CZlib.inflate(stream, Z_SYNC_FLUSH) }
                    }
                    return (code, target.count - Int(stream.pointee.avail_out))
                }
                output += chunk[0..<produced]
                if code == Z_BUF_ERROR || (code == Z_OK && stream.pointee.avail_in == 0 && produced < chunk.count) { return nil }
                guard code == Z_OK else { return .compression(operation: "inflate", code: code) }
            }
        }
        stream.pointee.next_in = nil
        if let result { throw result }
        return output
    }
}

/// The sending side's zlib stream (see ``SPDYHeaderInflater``): blocks must go on the wire in the order they
/// were compressed.
public final class SPDYHeaderDeflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)

    public init() throws(SPDYError) {
        stream.initialize(to: z_stream())
        var code = swiftlet_deflateInit2(stream, Z_BEST_SPEED, 15)
        guard code == Z_OK else { throw .compression(operation: "deflateInit", code: code) }
        code = SPDYHeaderDictionary.bytes.withUnsafeBufferPointer { deflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
        guard code == Z_OK else { throw .compression(operation: "deflateSetDictionary", code: code) }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// `headers` compressed as the next block of this connection (ending in a sync flush, so the peer can
    /// decode it at once).
    public func block(_ headers: SPDYHeaders) throws(SPDYError) -> [UInt8] {
        var input = headers.serialized, output: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 4096)
        let failure: Int32? = input.withUnsafeMutableBufferPointer { source in
            stream.pointee.next_in = source.baseAddress
            stream.pointee.avail_in = uInt(source.count)
            while true {
                let (code, produced, left) = chunk.withUnsafeMutableBufferPointer { target in
                    stream.pointee.next_out = target.baseAddress
                    stream.pointee.avail_out = uInt(target.count)
                    let code = deflate(stream, Z_SYNC_FLUSH)
                    return (code, target.count - Int(stream.pointee.avail_out), Int(stream.pointee.avail_out))
                }
                output += chunk[0..<produced]
                guard code == Z_OK || code == Z_BUF_ERROR else { return code }
                if left > 0 { return nil }
            }
        }
        stream.pointee.next_in = nil
        if let failure { throw .compression(operation: "deflate", code: failure) }
        return output
    }
}

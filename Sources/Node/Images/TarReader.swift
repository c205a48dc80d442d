/// Reads a tar stream entry by entry: ustar and old-GNU headers, GNU long names (`L`/`K`), PAX extended
/// (`x`) and global (`g`) headers including `SCHILY.xattr.*`, base-256 numbers. `next()` returns the next
/// entry; its data is read with `read(into:)` before calling `next()` again (unread data is skipped).
struct TarReader {
    private let source: any ByteSource
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var sourceEnded = false
    /// Bytes of the current entry's data not yet read, and the padding after them.
    private var remaining: Int64 = 0
    private var padding: Int64 = 0
    private var globalPAX: [String: [UInt8]] = [:]
    let name: String

    init(_ source: any ByteSource, name: String) {
        self.source = source
        self.name = name
        buffer = [UInt8](repeating: 0, count: 1 << 16)
    }

    /// The next entry, or nil after the end-of-archive marker (or a clean end of stream).
    mutating func next() throws(ImageError) -> TarEntry? {
        try skip(remaining + padding)
        remaining = 0
        padding = 0
        var longName: String?
        var longLink: String?
        var pax: [String: [UInt8]] = [:]
        while true {
            guard let header = try readBlock() else {
                if longName != nil || !pax.isEmpty { throw corrupt("archive ends after an extended header") }
                return nil
            }
            if header.allSatisfy({ $0 == 0 }) { return nil }
            try verifyChecksum(header)
            let typeflag = header[156]
            let size = try number(header, 124, 12)
            guard size >= 0 else { throw corrupt("negative size") }
            switch typeflag {
            case UInt8(ascii: "L"), UInt8(ascii: "K"):
                guard size < 1 << 20 else { throw corrupt("GNU long name of \(size) bytes") }
                var data = try readData(Int(size))
                while data.last == 0 { data.removeLast() }
                if typeflag == UInt8(ascii: "L") { longName = String(decoding: data, as: UTF8.self) } else { longLink = String(decoding: data, as: UTF8.self) }
                continue
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                guard size < 1 << 24 else { throw corrupt("PAX header of \(size) bytes") }
                let records = try parsePAX(try readData(Int(size)))
                if typeflag == UInt8(ascii: "x") { pax.merge(records) { _, new in new } } else { globalPAX.merge(records) { _, new in new } }
                continue
            default:
                break
            }
            let records = globalPAX.merging(pax) { _, new in new }
            var entry = TarEntry(
                path: longName ?? headerPath(header), kind: kind(typeflag), linkTarget: longLink ?? string(header, 157, 100),
                mode: UInt32(truncatingIfNeeded: try number(header, 100, 8)), uid: UInt32(truncatingIfNeeded: try number(header, 108, 8)),
                gid: UInt32(truncatingIfNeeded: try number(header, 116, 8)), size: size, mtime: Double(try number(header, 136, 12)),
                deviceMajor: UInt32(truncatingIfNeeded: try number(header, 329, 8)),
                deviceMinor: UInt32(truncatingIfNeeded: try number(header, 337, 8)), xattrs: [:])
            for (key, value) in records {
                let text = String(decoding: value, as: UTF8.self)
                switch key {
                case "path": entry.path = text
                case "linkpath": entry.linkTarget = text
                case "size": guard let v = Int64(text), v >= 0 else { throw corrupt("PAX size \(text)") }; entry.size = v
                case "uid": if let v = UInt32(text) { entry.uid = v }
                case "gid": if let v = UInt32(text) { entry.gid = v }
                case "mtime": if let v = Double(text) { entry.mtime = v }
                default:
                    if key.hasPrefix("SCHILY.xattr.") { entry.xattrs[String(key.dropFirst(13))] = value }
                    else if key.hasPrefix("LIBARCHIVE.xattr.") { continue }
                }
            }
            // Header-only types (links, directories, devices, fifos) carry no data whatever size they record,
            // as in Go's archive/tar.
            let hasData = entry.kind == .file || { if case .other = entry.kind { return true } else { return false } }()
            if !hasData { entry.size = 0 }
            remaining = entry.size
            padding = (512 - entry.size % 512) % 512
            return entry
        }
    }

    /// Reads up to `buffer.count` bytes of the current entry's data; 0 at its end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int {
        guard remaining > 0 else { return 0 }
        if start == end { try fill() }
        guard start < end else { throw corrupt("archive ends inside an entry") }
        let n = min(buffer.count, end - start, Int(min(remaining, Int64(Int.max))))
        self.buffer.withUnsafeBytes { bytes in
            buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + start, byteCount: n)
        }
        start += n
        remaining -= Int64(n)
        return n
    }

    // MARK: - Buffering

    private mutating func fill() throws(ImageError) {
        guard !sourceEnded else { return }
        if start == end { start = 0; end = 0 }
        if start > 0 {
            buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
            end -= start
            start = 0
        }
        let filled = end
        let source = self.source
        let result = buffer.withUnsafeMutableBytes { bytes in
            Result { () throws(ImageError) -> Int in try source.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[filled...])) }
        }
        let n = try result.get()
        if n == 0 { sourceEnded = true }
        end += n
    }

    /// One 512-byte header block; nil at a clean end of stream.
    private mutating func readBlock() throws(ImageError) -> [UInt8]? {
        while end - start < 512, !sourceEnded { try fill() }
        if end == start, sourceEnded { return nil }
        guard end - start >= 512 else { throw corrupt("archive ends inside a header") }
        defer { start += 512 }
        return Array(buffer[start..<(start + 512)])
    }

    /// `count` bytes of data plus its padding to the next block.
    private mutating func readData(_ count: Int) throws(ImageError) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            if start == end { try fill() }
            guard start < end else { throw corrupt("archive ends inside an extended header") }
            let n = min(count - out.count, end - start)
            out.append(contentsOf: buffer[start..<(start + n)])
            start += n
        }
        try skip(Int64((512 - count % 512) % 512))
        return out
    }

    private mutating func skip(_ count: Int64) throws(ImageError) {
        var left = count
        while left > 0 {
            if start == end { try fill() }
            guard start < end else { throw corrupt("archive ends inside an entry") }
            let n = Int(min(left, Int64(end - start)))
            start += n
            left -= Int64(n)
        }
    }

    // MARK: - Header fields

    private func corrupt(_ why: String) -> ImageError { ImageError(.invalidContent, "\(name): malformed tar: \(why)") }

    private func kind(_ flag: UInt8) -> TarEntry.Kind {
        switch flag {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): return .file
        case UInt8(ascii: "1"): return .hardlink
        case UInt8(ascii: "2"): return .symlink
        case UInt8(ascii: "3"): return .characterDevice
        case UInt8(ascii: "4"): return .blockDevice
        case UInt8(ascii: "5"): return .directory
        case UInt8(ascii: "6"): return .fifo
        default: return .other(flag)
        }
    }

    private func string(_ header: [UInt8], _ offset: Int, _ length: Int) -> String {
        let field = header[offset..<(offset + length)]
        let bytes = field.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// ustar `prefix/name`; the old GNU format keeps other data where the prefix would be.
    private func headerPath(_ header: [UInt8]) -> String {
        let name = string(header, 0, 100)
        let magic = header[257..<263]
        guard magic.elementsEqual(Array("ustar\0".utf8)) else { return name }
        let prefix = string(header, 345, 155)
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    /// Octal (NUL/space padded) or base-256 (high bit set) numeric field.
    private func number(_ header: [UInt8], _ offset: Int, _ length: Int) throws(ImageError) -> Int64 {
        let field = header[offset..<(offset + length)]
        if let first = field.first, first & 0x80 != 0 {
            var value: Int64 = Int64(first & 0x3f)
            let negative = first & 0x40 != 0
            for byte in field.dropFirst() {
                guard value < Int64.max >> 8 else { throw corrupt("numeric field overflows") }
                value = value << 8 | Int64(byte)
            }
            return negative ? -value : value
        }
        var value: Int64 = 0
        var seen = false
        for byte in field {
            if byte == 0 || byte == 32 { if seen { break } else { continue } }
            guard (48...55).contains(byte) else { throw corrupt("bad octal digit in header") }
            seen = true
            guard value < Int64.max >> 3 else { throw corrupt("numeric field overflows") }
            value = value << 3 | Int64(byte - 48)
        }
        return value
    }

    private func verifyChecksum(_ header: [UInt8]) throws(ImageError) {
        let recorded = try number(header, 148, 8)
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        for (index, byte) in header.enumerated() {
            let value = (148..<156).contains(index) ? 32 : byte
            unsigned += Int64(value)
            signed += Int64(Int8(bitPattern: value))
        }
        guard recorded == unsigned || recorded == signed else { throw corrupt("header checksum mismatch") }
    }

    /// `"<len> <key>=<value>\n"` records.
    private func parsePAX(_ data: [UInt8]) throws(ImageError) -> [String: [UInt8]] {
        var records: [String: [UInt8]] = [:]
        var index = 0
        while index < data.count {
            guard let space = data[index...].firstIndex(of: 32),
                  let length = Int(String(decoding: data[index..<space], as: UTF8.self)),
                  length > space - index, index + length <= data.count, data[index + length - 1] == 10 else {
                throw corrupt("malformed PAX record")
            }
            let record = data[(space + 1)..<(index + length - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")) else { throw corrupt("PAX record without '='") }
            records[String(decoding: record[record.startIndex..<equals], as: UTF8.self)] = Array(record[(equals + 1)...])
            index += length
        }
        return records
    }
}

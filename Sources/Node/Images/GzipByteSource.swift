import CZlib

/// Decompresses a gzip stream (RFC 1952, including concatenated members, as `pigz` writes) read from another
/// source, with zlib's `inflate` in gzip mode (`16 + MAX_WBITS`).
final class GzipByteSource: ByteSource {
    private let inner: any ByteSource
    private var stream = z_stream()
    private let input: UnsafeMutableRawBufferPointer
    private var finished = false
    private var inputEnded = false
    private let name: String

    init(_ inner: any ByteSource, name: String) throws(ImageError) {
        self.inner = inner
        self.name = name
        input = .allocate(byteCount: 65536, alignment: 8)
        let status = swiftlet_inflateInit2(&stream, 16 + MAX_WBITS)
        guard status == Z_OK else {
            input.deallocate()
            throw ImageError(.io, "inflateInit2 failed for \(name): zlib status \(status)")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(buffer.count)
        while stream.avail_out > 0 {
            if stream.avail_in == 0, !inputEnded {
                let n = try inner.read(into: input)
                if n == 0 {
                    inputEnded = true
                } else {
                    stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = uInt(n)
                }
            }
            if stream.avail_in == 0, inputEnded {
                // All input consumed: either we ended cleanly at a member boundary or the stream is truncated.
                let produced = buffer.count - Int(stream.avail_out)
                if produced > 0 { return produced }
                throw ImageError(.invalidContent, "\(name): gzip stream is truncated")
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                // Another member may follow; anything else (a zero-filled tail) ends the stream.
                if stream.avail_in == 0, !inputEnded {
                    let n = try inner.read(into: input)
                    if n == 0 { inputEnded = true } else {
                        stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                        stream.avail_in = uInt(n)
                    }
                }
                if stream.avail_in >= 2, stream.next_in[0] == 0x1f, stream.next_in[1] == 0x8b {
                    inflateReset(&stream)
                    continue
                }
                finished = true
                return buffer.count - Int(stream.avail_out)
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                throw ImageError(.invalidContent, "\(name): corrupt gzip data: \(message)")
            }
        }
        return buffer.count
    }
}

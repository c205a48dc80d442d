import Crypto

/// Passes another source through while computing the SHA-256 of everything read, so a layer's diff ID is
/// checked in the same pass that unpacks it.
final class DigestingByteSource: ByteSource {
    private let inner: any ByteSource
    private var hasher = SHA256()
    private(set) var count: Int64 = 0

    init(_ inner: any ByteSource) { self.inner = inner }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int {
        let n = try inner.read(into: buffer)
        if n > 0 {
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            count += Int64(n)
        }
        return n
    }

    /// Reads whatever is left (tar padding after the end-of-archive blocks) so the digest covers the whole stream.
    func drain() throws(ImageError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
        defer { buffer.deallocate() }
        while try read(into: buffer) > 0 {}
    }

    var digest: Digest { Digest(hasher.finalize()) }
}

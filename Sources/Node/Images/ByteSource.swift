/// A stream of bytes read in chunks: a file, a decompressor over another source, a digester. The unpacker
/// is written against this so tar, gzip and hashing compose without holding a layer in memory.
protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; 0 means end of stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int
}

import NIOCore

/// DNS over TCP frames every message with a two-byte big-endian length (RFC 1035 §4.2.2, RFC 7766): this
/// decoder cuts the stream into whole messages.
struct DNSFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
              buffer.readableBytes >= 2 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }
}

enum TCPFraming {
    /// `message` with its length in front.
    static func frame(_ message: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: message.count + 2)
        buffer.writeInteger(UInt16(message.count))
        buffer.writeBytes(message)
        return buffer
    }
}

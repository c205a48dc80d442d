import NIOCore

/// Answers the server's HTTP/2 PINGs in front of the HTTP/2 handler.
///
/// grpc-go servers (etcd) send a bandwidth-estimation PING with nearly every request they receive. swift-nio-http2
/// counts inbound PINGs against a denial-of-service limit (200 control frames per 30 s) and closes the connection
/// past it, so a busy gRPC client lost its connection every ~200 calls. This handler sits between the socket and
/// the HTTP/2 handler, passes every other frame through untouched and answers each PING with its ACK itself, as the
/// HTTP/2 handler would; PING ACKs (replies to our keepalive) still go to the HTTP/2 handler.
final class HTTP2PingResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let headerLength = 9
    private static let pingType: UInt8 = 6
    private static let ackFlag: UInt8 = 1

    /// Payload bytes of the current (passed through) frame still to come.
    private var remainingInFrame = 0
    /// Bytes at a frame boundary too few to decide on yet (part of a header, or of a PING).
    private var held: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        if var held = held.take() {
            held.writeBuffer(&input)
            input = held
        }
        // What arrived, unconsumed, to cut the passed-through runs from (a buffer only yields its readable bytes).
        let arrived = input
        var passStart = input.readerIndex
        while input.readableBytes > 0 {
            if remainingInFrame > 0 {
                let step = min(remainingInFrame, input.readableBytes)
                input.moveReaderIndex(forwardBy: step)
                remainingInFrame -= step
                continue
            }
            guard input.readableBytes >= Self.headerLength,
                  let lengthHigh = input.getInteger(at: input.readerIndex, as: UInt8.self),
                  let lengthLow = input.getInteger(at: input.readerIndex + 1, as: UInt16.self),
                  let type = input.getInteger(at: input.readerIndex + 3, as: UInt8.self),
                  let flags = input.getInteger(at: input.readerIndex + 4, as: UInt8.self) else { break }
            let length = Int(lengthHigh) << 16 | Int(lengthLow)
            if type == Self.pingType, flags & Self.ackFlag == 0 {
                guard input.readableBytes >= Self.headerLength + length else { break }
                forward(arrived, from: passStart, to: input.readerIndex, context: context)
                var ping = input.readSlice(length: Self.headerLength + length)!
                ping.setInteger(flags | Self.ackFlag, at: ping.readerIndex + 4)
                context.writeAndFlush(wrapOutboundOut(ping), promise: nil)
                passStart = input.readerIndex
                continue
            }
            input.moveReaderIndex(forwardBy: Self.headerLength)
            remainingInFrame = length
        }
        forward(arrived, from: passStart, to: input.readerIndex, context: context)
        if input.readableBytes > 0 { held = input.slice() }
    }

    /// Passes the bytes of `arrived` between `start` and `end` on to the HTTP/2 handler.
    private func forward(_ arrived: ByteBuffer, from start: Int, to end: Int, context: ChannelHandlerContext) {
        guard end > start, let bytes = arrived.getSlice(at: start, length: end - start) else { return }
        context.fireChannelRead(wrapInboundOut(bytes))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
    }
}

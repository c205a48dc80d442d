import ClusterDNS
import NIOCore
import NIOPosix
import Synchronization

/// A tiny authoritative server on loopback (UDP and TCP on one port) standing in for the resolvers of
/// /etc/resolv.conf, so forwarding is tested without the internet:
///
/// - `<anything>.example.test` A → 192.0.2.1; `big.example.test` → 60 addresses (too big for plain UDP)
/// - `slow.example.test` → never answered
/// - any PTR → `upstream.example.test.`
/// - anything else → NXDOMAIN
///
/// It records every question it gets, with the transport it came over.
final class FakeUpstream: Sendable {
    let port: Int
    private let channels: [any Channel]
    private let log: QueryLog

    init() async throws {
        let log = QueryLog()
        let group = MultiThreadedEventLoopGroup.singleton
        var lastError: (any Error)?
        for _ in 0..<10 {
            let udp = try await DatagramBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(UDPResponder(log: log)) }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            let port = udp.localAddress!.port!
            do {
                let tcp = try await ServerBootstrap(group: group)
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(TCPResponder(log: log)) }
                    }
                    .bind(host: "127.0.0.1", port: port).get()
                self.port = port
                self.channels = [udp, tcp]
                self.log = log
                return
            } catch {
                lastError = error
                try? await udp.close()
            }
        }
        throw lastError!
    }

    /// The questions received so far, as `name transport`.
    var received: [(name: String, transport: String)] { log.entries.withLock { $0 } }

    func stop() async {
        for channel in channels { try? await channel.close() }
    }

    /// The answer to `query` at most `limit` bytes long, or nil to stay silent.
    static func answer(_ bytes: [UInt8], limit: Int, log: QueryLog, transport: String) -> [UInt8]? {
        guard let query = try? DNSMessage(decoding: bytes), let question = query.questions.first else { return nil }
        log.entries.withLock { $0.append((question.name.description, transport)) }
        var reply = DNSMessage(replyingTo: query)
        reply.isAuthoritative = true
        reply.recursionAvailable = true
        reply.edns = query.edns.map { _ in EDNS(udpPayloadSize: 1232) }
        let name = question.name.description.lowercased()
        if question.type == .ptr {
            reply.answers = [ResourceRecord(name: question.name, ttl: 60, data: .ptr(try! DomainName("upstream.example.test")))]
        } else if name == "slow.example.test." {
            return nil
        } else if name == "big.example.test.", question.type == .a {
            reply.answers = (1...60).map { ResourceRecord(name: question.name, ttl: 60, data: .a([192, 0, 2, UInt8($0)])) }
        } else if name.hasSuffix(".example.test."), question.type == .a {
            reply.answers = [ResourceRecord(name: question.name, ttl: 60, data: .a([192, 0, 2, 1]))]
        } else if !name.hasSuffix(".example.test.") {
            reply.rcode = .nameError
        }
        return try? reply.encoded(limit: limit)
    }
}

private final class UDPResponder: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let log: QueryLog

    init(log: QueryLog) { self.log = log }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        let limit = (try? DNSMessage(decoding: bytes))?.udpSizeLimit ?? 512
        guard let reply = FakeUpstream.answer(bytes, limit: limit, log: log, transport: "udp") else { return }
        context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: reply))), promise: nil)
    }
}

private final class TCPResponder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let log: QueryLog
    private var pending: [UInt8] = []

    init(log: QueryLog) { self.log = log }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending += Array(unwrapInboundIn(data).readableBytesView)
        while pending.count >= 2, pending.count >= 2 + (Int(pending[0]) << 8 | Int(pending[1])) {
            let length = Int(pending[0]) << 8 | Int(pending[1])
            let message = Array(pending[2..<2 + length])
            pending.removeFirst(2 + length)
            guard let reply = FakeUpstream.answer(message, limit: 65535, log: log, transport: "tcp") else { continue }
            var buffer = ByteBuffer()
            buffer.writeInteger(UInt16(reply.count))
            buffer.writeBytes(reply)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }
    }
}

/// The questions a ``FakeUpstream`` got, shared by its handlers.
final class QueryLog: Sendable {
    let entries = Mutex<[(name: String, transport: String)]>([])
}

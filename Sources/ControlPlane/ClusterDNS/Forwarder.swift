import Logging
import NIOCore
import NIOPosix

/// Sends queries for names outside the cluster to upstream resolvers, as CoreDNS's `forward` plugin does: over
/// UDP from a fresh socket (random port and id, so answers cannot be spoofed blind), again over TCP when the UDP
/// answer is truncated, trying the next upstream when one does not answer within `attemptTimeout`, and giving up
/// (the caller answers SERVFAIL) after `deadline`.
public final class Forwarder: Sendable {
    public let upstreams: [SocketAddress]
    let attemptTimeout: Duration
    let deadline: Duration
    private let group: any EventLoopGroup
    private let metrics: ClusterDNSMetrics
    private let logger: Logger

    public init(upstreams: [SocketAddress], attemptTimeout: Duration = .seconds(2), deadline: Duration = .seconds(5),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, metrics: ClusterDNSMetrics = ClusterDNSMetrics(),
                logger: Logger) {
        self.upstreams = upstreams
        self.attemptTimeout = attemptTimeout
        self.deadline = deadline
        self.group = group
        self.metrics = metrics
        self.logger = logger
    }

    /// Forwards `query` and returns the upstream's answer as it came, with `query`'s id.
    public func exchange(_ query: DNSMessage) async throws(ClusterDNSError) -> (bytes: [UInt8], message: DNSMessage) {
        guard !upstreams.isEmpty else { throw ClusterDNSError(.upstreamFailure, "no upstream resolvers configured") }
        let start = ContinuousClock.now
        let first = Int.random(in: 0..<upstreams.count)
        var lastError = ClusterDNSError(.upstreamTimeout, "no upstream answered within \(deadline)")
        for attempt in 0..<upstreams.count {
            let remaining = deadline - (ContinuousClock.now - start)
            guard remaining > .zero else { break }
            let upstream = upstreams[(first + attempt) % upstreams.count]
            var outgoing = query
            outgoing.id = UInt16.random(in: 0...UInt16.max)
            let attemptStart = ContinuousClock.now
            do {
                var (bytes, reply) = try await exchange(outgoing, with: upstream, timeout: min(attemptTimeout, remaining))
                metrics.recordForward(to: "\(upstream)", rcode: reply.rcode, duration: ContinuousClock.now - attemptStart)
                bytes[0] = UInt8(query.id >> 8)
                bytes[1] = UInt8(query.id & 0xFF)
                reply.id = query.id
                return (bytes, reply)
            } catch {
                metrics.recordForwardFailure(to: "\(upstream)", duration: ContinuousClock.now - attemptStart)
                logger.debug("upstream did not answer", metadata: ["upstream": "\(upstream)", "error": "\(error)"])
                lastError = error
            }
        }
        throw lastError
    }

    /// One query to one upstream: UDP, then TCP if the answer is truncated.
    private func exchange(_ query: DNSMessage, with upstream: SocketAddress, timeout: Duration) async throws(ClusterDNSError) -> ([UInt8], DNSMessage) {
        let bytes = try query.encoded()
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        var answer = try await exchangeOverUDP(bytes, id: query.id, with: upstream, deadline: deadline)
        var message = try Self.validate(answer, for: query, from: upstream)
        if message.isTruncated {
            answer = try await exchangeOverTCP(bytes, with: upstream, deadline: deadline)
            message = try Self.validate(answer, for: query, from: upstream)
        }
        return (answer, message)
    }

    /// The parsed answer, if it answers `query` (same id and question, QR set).
    static func validate(_ bytes: [UInt8], for query: DNSMessage, from upstream: SocketAddress) throws(ClusterDNSError) -> DNSMessage {
        let message: DNSMessage
        do { message = try DNSMessage(decoding: bytes) } catch {
            throw ClusterDNSError(.upstreamFailure, "malformed answer from \(upstream)", cause: error)
        }
        guard message.isResponse, message.id == query.id, message.questions == query.questions else {
            throw ClusterDNSError(.upstreamFailure, "answer from \(upstream) does not match the question")
        }
        return message
    }

    private func exchangeOverUDP(_ query: [UInt8], id: UInt16, with upstream: SocketAddress, deadline: NIODeadline) async throws(ClusterDNSError) -> [UInt8] {
        do {
            let promise = group.any().makePromise(of: [UInt8].self)
            let channel = try await DatagramBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(UDPExchangeHandler(upstream: upstream, id: id, deadline: deadline, promise: promise))
                    }
                }
                .bind(host: upstream.protocol == .inet6 ? "::" : "0.0.0.0", port: 0).get()
            defer { channel.close(promise: nil) }
            var buffer = channel.allocator.buffer(capacity: query.count)
            buffer.writeBytes(query)
            try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: upstream, data: buffer))
            return try await promise.futureResult.get()
        } catch {
            if let error = error as? ClusterDNSError { throw error }
            throw ClusterDNSError(.upstreamFailure, "UDP exchange with \(upstream) failed", cause: error)
        }
    }

    private func exchangeOverTCP(_ query: [UInt8], with upstream: SocketAddress, deadline: NIODeadline) async throws(ClusterDNSError) -> [UInt8] {
        do {
            let promise = group.any().makePromise(of: [UInt8].self)
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(max(.milliseconds(1), deadline - .now()))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSFrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(TCPExchangeHandler(upstream: upstream, deadline: deadline, promise: promise))
                    }
                }
                .connect(to: upstream).get()
            defer { channel.close(promise: nil) }
            try await channel.writeAndFlush(TCPFraming.frame(query, allocator: channel.allocator))
            return try await promise.futureResult.get()
        } catch {
            if let error = error as? ClusterDNSError { throw error }
            throw ClusterDNSError(.upstreamFailure, "TCP exchange with \(upstream) failed", cause: error)
        }
    }

    /// The upstream resolvers from a resolv.conf text: its `nameserver` lines, port 53, minus `excluding`
    /// (this server's own addresses, so it never forwards to itself).
    public static func nameservers(resolvConf text: String, excluding: Set<String> = []) -> [SocketAddress] {
        text.split(separator: "\n").compactMap { line -> SocketAddress? in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { return nil }
            let host = String(fields[1].split(separator: "%").first ?? fields[1])
            guard let ip = IPAddress(host), !excluding.contains(ip.description) else { return nil }
            return try? SocketAddress(ipAddress: ip.description, port: 53)
        }
    }
}

/// One upstream exchange's outcome, settled once: by the answer, an error, the connection ending, or the
/// deadline passing first. Lives on the channel's event loop, owned by the handler below.
private final class ExchangeOutcome {
    private let promise: EventLoopPromise<[UInt8]>
    private var timeout: Scheduled<Void>?
    private var done = false

    init(promise: EventLoopPromise<[UInt8]>) {
        self.promise = promise
    }

    /// Fails the exchange with `error` at `deadline` unless it settled before.
    func expire(at deadline: NIODeadline, on eventLoop: any EventLoop, with error: ClusterDNSError) {
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        timeout = eventLoop.scheduleTask(deadline: deadline) { loopBound.value.finish(.failure(error)) }
    }

    func finish(_ result: Result<[UInt8], any Error>) {
        guard !done else { return }
        done = true
        timeout?.cancel()
        promise.completeWith(result)
    }
}

/// Completes `promise` with the first datagram from `upstream` carrying `id`, or fails it at `deadline`.
private final class UDPExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let upstream: SocketAddress
    private let id: UInt16
    private let deadline: NIODeadline
    private let outcome: ExchangeOutcome

    init(upstream: SocketAddress, id: UInt16, deadline: NIODeadline, promise: EventLoopPromise<[UInt8]>) {
        self.upstream = upstream
        self.id = id
        self.deadline = deadline
        self.outcome = ExchangeOutcome(promise: promise)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        outcome.expire(at: deadline, on: context.eventLoop, with: ClusterDNSError(.upstreamTimeout, "no answer from \(upstream) in time"))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        // Answers from elsewhere, or for another id, are ignored (RFC 5452).
        guard envelope.remoteAddress == upstream, let bytes = envelope.data.getBytes(at: envelope.data.readerIndex, length: envelope.data.readableBytes),
              bytes.count >= 2, UInt16(bytes[0]) << 8 | UInt16(bytes[1]) == id else { return }
        outcome.finish(.success(bytes))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        outcome.finish(.failure(error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        outcome.finish(.failure(ClusterDNSError(.upstreamFailure, "socket to \(upstream) closed")))
    }
}

/// Completes `promise` with the first framed message on the connection, or fails it at `deadline` or when the
/// connection ends first.
private final class TCPExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let upstream: SocketAddress
    private let deadline: NIODeadline
    private let outcome: ExchangeOutcome

    init(upstream: SocketAddress, deadline: NIODeadline, promise: EventLoopPromise<[UInt8]>) {
        self.upstream = upstream
        self.deadline = deadline
        self.outcome = ExchangeOutcome(promise: promise)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        outcome.expire(at: deadline, on: context.eventLoop, with: ClusterDNSError(.upstreamTimeout, "no answer over TCP from \(upstream) in time"))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        outcome.finish(.success(frame.getBytes(at: frame.readerIndex, length: frame.readableBytes) ?? []))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        outcome.finish(.failure(error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        outcome.finish(.failure(ClusterDNSError(.upstreamFailure, "\(upstream) closed the TCP connection without an answer")))
    }
}

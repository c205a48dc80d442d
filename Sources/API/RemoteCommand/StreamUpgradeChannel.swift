import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import KubeAPI
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// The head of the first request on a connection, as read before any HTTP handling: what a streaming endpoint needs
/// to decide whether to take the connection over (`Upgrade: SPDY/3.1`) or refuse an upgrade with a reason.
public struct UpgradeRequestHead: Sendable {
    public var method: String
    /// The request target: path and query, still encoded.
    public var target: String
    public var headers: [(name: String, value: String)]
    /// The TLS client's certificate (DER) when the connection is TLS and the client presented one.
    public var clientCertificate: [UInt8]?

    /// The path (before `?`).
    public var path: String { String(target.prefix { $0 != "?" }) }
    /// The raw query (after `?`), empty without one.
    public var query: String { target.firstIndex(of: "?").map { String(target[target.index(after: $0)...]) } ?? "" }

    /// Every value of header `name` (case-insensitive), comma-separated lists split, in order.
    public func values(_ name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }
            .flatMap { $0.value.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Whether the request asks to upgrade to `protocolName` (`SPDY/3.1`, `websocket`).
    public func upgrades(to protocolName: String) -> Bool {
        values("Upgrade").contains { $0.caseInsensitiveCompare(protocolName) == .orderedSame }
    }

    /// Parses `GET /path HTTP/1.1\r\nName: value\r\n…` (the bytes before the blank line).
    public init?(parsing text: some StringProtocol) {
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard let requestLine = lines.first else { return nil }
        let parts = requestLine.split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else { return nil }
        method = String(parts[0])
        target = String(parts[1])
        headers = lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }
}

/// What a streaming endpoint does with a connection whose first request it has read.
public enum StreamUpgradeDecision: Sendable {
    /// Ordinary HTTP handling (including WebSocket upgrades).
    case pass
    /// Answers with this status, `Content-Type` and body, then closes (a refused upgrade with its reason).
    case respond(status: Int, contentType: String, body: [UInt8])
    /// Takes the raw connection over; the handler writes the response itself (``UpgradedConnection/writeHead(_:)``).
    case takeOver(@Sendable (RawConnection) async throws -> Void)
}

/// A connection taken over after its request head: the bytes that follow and a writer, with no HTTP in between.
public struct RawConnection: Sendable {
    public let head: UpgradeRequestHead
    public let inbound: NIOAsyncChannelInboundStream<ByteBuffer>
    public let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    /// Writes a response head such as `HTTP/1.1 101 Switching Protocols` with `headers`.
    public func writeHead(status: Int, reason: String, headers: [(String, String)]) async throws {
        var text = "HTTP/1.1 \(status) \(reason)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        try await outbound.write(ByteBuffer(string: text + "\r\n"))
    }
}

/// A server child channel that reads the first request head of each connection before `Base` (Hummingbird's
/// HTTP/1 with WebSocket upgrade) sees it, and lets `decide` take the connection over or refuse it.
///
/// Hummingbird's upgrade path knows only WebSocket: a request with `Upgrade: SPDY/3.1` (old kubectl, client-go's
/// SPDY executor, `kubectl exec` after a refused WebSocket) gets no answer from it, and a refused WebSocket
/// upgrade gets an empty 400. Upstream's API server and kubelet answer both: SPDY with a real session, a refusal
/// with the `Status` that says why (which kubectl prints). Requests `decide` passes reach `Base` unchanged.
public struct StreamUpgradeChannel<Base: ServerChildChannel>: ServerChildChannel {
    public let base: Base
    public let decide: @Sendable (UpgradeRequestHead) async -> StreamUpgradeDecision

    public init(base: Base, decide: @escaping @Sendable (UpgradeRequestHead) async -> StreamUpgradeDecision) {
        self.base = base
        self.decide = decide
    }

    public struct Value: ServerChildChannelValue {
        public let channel: any Channel
        let outcome: EventLoopFuture<Outcome>
    }

    enum Outcome: Sendable {
        case base(Base.Value)
        case takeOver(NIOAsyncChannel<ByteBuffer, ByteBuffer>, UpgradeRequestHead, @Sendable (RawConnection) async throws -> Void)
        case answered
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let promise = channel.eventLoop.makePromise(of: Outcome.self)
            try channel.pipeline.syncOperations.addHandler(
                FirstRequestSniffer(base: base, decide: decide, logger: logger, outcome: promise))
            return Value(channel: channel, outcome: promise.futureResult)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        let outcome: Outcome
        do {
            outcome = try await value.outcome.get()
        } catch {
            logger.debug("connection ended before its first request", metadata: ["error": "\(error)"])
            return
        }
        switch outcome {
        case .base(let baseValue):
            await base.handle(value: baseValue, logger: logger)
        case .takeOver(let channel, let head, let handler):
            do {
                try await channel.executeThenClose { inbound, outbound in
                    try await handler(RawConnection(head: head, inbound: inbound, outbound: outbound))
                }
            } catch {
                logger.debug("upgraded stream ended", metadata: ["path": "\(head.path)", "error": "\(error)"])
            }
        case .answered:
            break
        }
    }
}

/// Buffers a connection's first bytes until the request head is complete, asks for a decision, then either sets
/// up the base pipeline and replays the bytes, answers and closes, or hands over the raw channel.
final class FirstRequestSniffer<Base: ServerChildChannel>: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Past this many bytes without a blank line the request is not ours to read: the base answers it.
    static var maximumHead: Int { 64 * 1024 }

    let base: Base
    let decide: @Sendable (UpgradeRequestHead) async -> StreamUpgradeDecision
    let logger: Logger
    let outcome: EventLoopPromise<StreamUpgradeChannel<Base>.Outcome>
    private var buffered = ByteBuffer()
    private var deciding = false

    init(base: Base, decide: @escaping @Sendable (UpgradeRequestHead) async -> StreamUpgradeDecision, logger: Logger,
         outcome: EventLoopPromise<StreamUpgradeChannel<Base>.Outcome>) {
        self.base = base
        self.decide = decide
        self.logger = logger
        self.outcome = outcome
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        buffered.writeBuffer(&bytes)
        guard !deciding else { return }
        guard let end = buffered.readableBytesView.firstRange(of: [13, 10, 13, 10])?.lowerBound else {
            if buffered.readableBytes > Self.maximumHead { pass(context) }
            return
        }
        let text = String(decoding: buffered.readableBytesView[buffered.readerIndex..<end], as: UTF8.self)
        guard let head = UpgradeRequestHead(parsing: text), !head.values("Upgrade").isEmpty else {
            pass(context)
            return
        }
        deciding = true
        let decide = decide, channel = context.channel
        context.eventLoop.makeFutureWithTask {
            var head = head
            head.clientCertificate = await PeerCertificate.der(channel)
            return await decide(head)
        }.assumeIsolated().whenSuccess { decision in
            switch decision {
            case .pass:
                self.pass(context)
            case .respond(let status, let contentType, let body):
                let reason = HTTPResponseStatus(statusCode: status).reasonPhrase
                let response = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
                    + "Connection: close\r\n\r\n"
                var buffer = ByteBuffer(string: response)
                buffer.writeBytes(body)
                self.outcome.succeed(.answered)
                context.writeAndFlush(self.wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            case .takeOver(let handler):
                do {
                    let channel = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: context.channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                    // What followed the head (the client's first frames) goes to the new owner.
                    self.buffered.moveReaderIndex(to: end + 4)
                    self.replayAndLeave(context)
                    self.outcome.succeed(.takeOver(channel, head, handler))
                } catch {
                    self.outcome.fail(error)
                    context.close(promise: nil)
                }
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        outcome.fail(ChannelError.inputClosed)
        context.fireChannelInactive()
    }

    /// A client that closes its side before a whole request head has nothing to be answered: the connection is
    /// closed. Over TLS this is the only sign of it — NIOSSL reports the client's close_notify as input closed and
    /// leaves the channel open — and a connection left waiting here would hold the server's drain at shutdown.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed, !deciding {
            outcome.fail(ChannelError.inputClosed)
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        outcome.fail(error)
        context.close(promise: nil)
    }

    /// Sets up the base pipeline behind this handler and gives it everything read so far.
    private func pass(_ context: ChannelHandlerContext) {
        deciding = true
        base.setup(channel: context.channel, logger: logger).hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let value):
                self.replayAndLeave(context)
                self.outcome.succeed(.base(value))
            case .failure(let error):
                self.outcome.fail(error)
                context.close(promise: nil)
            }
        }
    }

    private func replayAndLeave(_ context: ChannelHandlerContext) {
        if buffered.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(buffered))
            context.fireChannelReadComplete()
        }
        buffered = ByteBuffer()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with WebSocket upgrades routed by `webSocketRouter` (frames up to 1 MiB, see `streaming`), behind
    /// ``StreamUpgradeChannel``: `decide` sees each connection's first request head that asks for an upgrade first.
    public static func streaming<Context: WebSocketRequestContext>(
        webSocketRouter: Router<Context>,
        decide: @escaping @Sendable (UpgradeRequestHead) async -> StreamUpgradeDecision
    ) -> HTTPServerBuilder {
        let webSocketResponder = webSocketRouter.buildResponder()
        return .init { responder in
            StreamUpgradeChannel(
                base: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder, configuration: .streaming),
                decide: decide)
        }
    }
}

extension StreamUpgradeDecision {
    /// A refusal with a Kubernetes `Status` as JSON (what client-go decodes from a failed upgrade and kubectl prints).
    public static func status(_ status: Status) -> StreamUpgradeDecision {
        var status = status
        status.apiVersion = "v1"
        status.kind = "Status"
        if status.status == nil { status.status = "Failure" }
        return .respond(status: status.code ?? 500, contentType: "application/json",
                        body: Array((try? JSONEncoder().encode(status)) ?? Data()))
    }

    /// A refusal with a plain-text reason (what the kubelet and runtime streaming servers answer).
    public static func text(_ status: Int, _ message: String) -> StreamUpgradeDecision {
        .respond(status: status, contentType: "text/plain; charset=utf-8", body: Array(message.utf8))
    }
}

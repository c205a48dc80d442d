import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// Why a WebSocket connection could not be opened.
public struct WebSocketDialError: Error, CustomStringConvertible {
    public let url: String
    public let reason: String
    /// The server answered the handshake without upgrading (it does not serve WebSockets there, or none of
    /// the offered subprotocols), so a caller may fall back to another protocol.
    public var declined = false

    public var description: String { "websocket \(url): \(reason)" }
}

/// Opens client WebSocket connections (`ws://host:port/path`) offering a list of subprotocols and reports which
/// one the server chose — what a streaming relay needs to know before it answers its own client, and what
/// swift-websocket's client does not expose.
public enum WebSocketDialer {
    /// Puts a TLS client handler first in `channel`'s pipeline; `host` is sent as SNI unless it is an IP address.
    static func addTLS(to channel: any Channel, context: NIOSSLContext, host: String) throws {
        let serverName = host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverName))
    }

    private enum Upgrade: Sendable {
        case upgraded(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, subprotocol: String?)
        case declined
    }

    /// Connects and completes the handshake; the returned connection must be used with
    /// ``WebSocketClientConnection/run(_:)``, which closes it. `wss://`/`https://` URLs use `tls` (the system's
    /// trust roots when nil).
    public static func connect(url: String, subprotocols: [String], tls: TLSConfiguration? = nil,
                               maxFrameSize: Int = 1 << 24) async throws -> WebSocketClientConnection {
        guard let components = URLComponents(string: url), let host = components.host,
              ["ws", "http", "wss", "https"].contains(components.scheme ?? "") else {
            throw WebSocketDialError(url: url, reason: "not a ws://, wss://, http:// or https:// URL")
        }
        let secure = ["wss", "https"].contains(components.scheme ?? "")
        let port = components.port ?? (secure ? 443 : 80)
        let sslContext: NIOSSLContext?
        do { sslContext = secure ? try NIOSSLContext(configuration: tls ?? .makeClientConfiguration()) : nil } catch {
            throw WebSocketDialError(url: url, reason: "invalid TLS configuration: \(error)")
        }
        var target = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        if let query = components.percentEncodedQuery { target += "?" + query }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "Content-Length", value: "0")
        if !subprotocols.isEmpty { headers.add(name: "Sec-WebSocket-Protocol", value: subprotocols.joined(separator: ", ")) }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target, headers: headers)

        let negotiation: EventLoopFuture<Upgrade>
        do {
            negotiation = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let sslContext { try addTLS(to: channel, context: sslContext, host: host) }
                        let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: maxFrameSize) { channel, response in
                            channel.eventLoop.makeCompletedFuture {
                                let chosen = response.headers.first(name: "Sec-WebSocket-Protocol")?.trimmingCharacters(in: .whitespaces)
                                return .upgraded(try NIOAsyncChannel(wrappingChannelSynchronously: channel), subprotocol: chosen)
                            }
                        }
                        let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
                            upgradeRequestHead: head, upgraders: [upgrader],
                            notUpgradingCompletionHandler: { channel in
                                channel.close(promise: nil)
                                return channel.eventLoop.makeSucceededFuture(.declined)
                            })
                        // Frames the server sends right behind its 101 may arrive in the same read as the response
                        // (containerd writes a port forward's port frames at once): they are passed on to the
                        // WebSocket decoder, not dropped with the HTTP decoder (NIO's default).
                        var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                        pipeline.leftOverBytesStrategy = .forwardBytes
                        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
                    }
                }
        } catch {
            throw WebSocketDialError(url: url, reason: "\(error)")
        }
        let result: Upgrade
        do {
            result = try await negotiation.get()
        } catch {
            throw WebSocketDialError(url: url, reason: "handshake failed: \(error)")
        }
        switch result {
        case .upgraded(let channel, let subprotocol):
            return WebSocketClientConnection(channel: channel, subprotocol: subprotocol)
        case .declined:
            throw WebSocketDialError(url: url, reason: "the server did not upgrade the connection", declined: true)
        }
    }
}

/// An open client WebSocket: the subprotocol the server chose and, inside ``run(_:)``, its messages and a sender.
public struct WebSocketClientConnection: Sendable {
    let channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>
    /// The server's `Sec-WebSocket-Protocol` answer.
    public let subprotocol: String?

    /// Runs `body` with the incoming messages and a sender, then closes the connection.
    public func run<Result: Sendable>(_ body: (WebSocketMessages, WebSocketSender) async throws -> Result) async throws -> Result {
        try await channel.executeThenClose { inbound, outbound in
            let sender = WebSocketSender(outbound: outbound)
            return try await body(WebSocketMessages(frames: inbound, sender: sender), sender)
        }
    }
}

/// Sends masked client frames.
public struct WebSocketSender: Sendable {
    let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>

    /// One binary message.
    public func send(_ bytes: [UInt8]) async throws {
        try await outbound.write(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: ByteBuffer(bytes: bytes)))
    }

    /// A close frame (normal closure); the server answers with its own and ends the connection.
    public func close() async throws {
        var code = ByteBuffer()
        code.write(webSocketErrorCode: .normalClosure)
        try await outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: code))
    }

    func pong(_ data: ByteBuffer) async throws {
        try await outbound.write(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: data))
    }
}

/// A client connection's incoming data messages (fragments joined), answering pings on the way and ending at
/// the server's close frame.
public struct WebSocketMessages: AsyncSequence {
    public typealias Element = [UInt8]
    let frames: NIOAsyncChannelInboundStream<WebSocketFrame>
    let sender: WebSocketSender

    public struct AsyncIterator: AsyncIteratorProtocol {
        var frames: NIOAsyncChannelInboundStream<WebSocketFrame>.AsyncIterator
        let sender: WebSocketSender

        public mutating func next() async throws -> [UInt8]? {
            var message: [UInt8] = []
            while let frame = try await frames.next() {
                switch frame.opcode {
                case .ping:
                    try await sender.pong(frame.unmaskedData)
                case .connectionClose:
                    return nil
                case .binary, .text, .continuation:
                    message += frame.unmaskedData.readableBytesView
                    if frame.fin { return message }
                default:
                    continue
                }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(frames: frames.makeAsyncIterator(), sender: sender)
    }
}

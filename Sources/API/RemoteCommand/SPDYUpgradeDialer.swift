import Foundation
import HummingbirdWebSocket
import NIOCore
import NIOPosix
import NIOSSL

/// Opens a plain HTTP/1.1 upgrade to SPDY/3.1 (`Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version`), the way
/// client-go's SPDY round tripper does — what containerd's streaming server needs for `portforward` — and hands
/// back the raw connection once the server answered 101. The SPDY frames themselves are the peers' business.
public enum SPDYUpgradeDialer {
    /// Connects to `url` (`http://host:port/path`) and completes the upgrade for `streamProtocol`.
    public static func connect(url: String, streamProtocol: String) async throws -> UpgradedConnection {
        let (channel, request) = try await dial(url, protocols: [streamProtocol])
        return UpgradedConnection(channel: channel, url: url, request: request, streamProtocol: streamProtocol)
    }

    /// A raw connection to `url` (`http://host:port/path`; `https://` or `wss://` over TLS with `tls`) and the
    /// upgrade request to write on it, offering `protocols` as `X-Stream-Protocol-Version`s.
    static func dial(_ url: String, protocols: [String], tls: TLSConfiguration? = nil) async throws -> (NIOAsyncChannel<ByteBuffer, ByteBuffer>, String) {
        let (channel, authority, target) = try await open(url, tls: tls)
        var request = "POST \(target) HTTP/1.1\r\nHost: \(authority)\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
        for version in protocols { request += "X-Stream-Protocol-Version: \(version)\r\n" }
        return (channel, request + "Content-Length: 0\r\n\r\n")
    }

    /// A raw connection to `url`, with the `host:port` and request target (path and query, encoded) to ask it for.
    static func open(_ url: String, tls: TLSConfiguration?) async throws -> (NIOAsyncChannel<ByteBuffer, ByteBuffer>, authority: String, target: String) {
        guard let components = URLComponents(string: url), let host = components.host,
              ["http", "ws", "https", "wss"].contains(components.scheme ?? "") else {
            throw WebSocketDialError(url: url, reason: "not an http:// or https:// URL")
        }
        let secure = ["https", "wss"].contains(components.scheme ?? "")
        let port = components.port ?? (secure ? 443 : 80)
        let sslContext: NIOSSLContext?
        do { sslContext = secure ? try NIOSSLContext(configuration: tls ?? .makeClientConfiguration()) : nil } catch {
            throw WebSocketDialError(url: url, reason: "invalid TLS configuration: \(error)")
        }
        var target = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        if let query = components.percentEncodedQuery { target += "?" + query }
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .channelOption(.allowRemoteHalfClosure, value: true)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let sslContext { try WebSocketDialer.addTLS(to: channel, context: sslContext, host: host) }
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel,
                                                                   configuration: .init(isOutboundHalfClosureEnabled: true))
                    }
                }
        } catch {
            throw WebSocketDialError(url: url, reason: "\(error)")
        }
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        return (channel, authority, target)
    }
}

/// A connection on which an HTTP upgrade request has been written; ``run(_:)`` reads the answer and, after a
/// 101, passes the raw bytes that follow.
public struct UpgradedConnection: Sendable {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    let url: String
    let request: String
    let streamProtocol: String

    /// Relays a WebSocket client's binary messages to the upgraded connection as raw bytes and the connection's
    /// bytes back as binary messages, until the server closes the connection; then closes it.
    public func relay(client inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter) async throws {
        try await channel.executeThenClose { input, output in
            try await output.write(ByteBuffer(string: request))
            var responses = input.makeAsyncIterator()
            var head = ByteBuffer()
            var headEnd: Int?
            while headEnd == nil {
                guard var more = try await responses.next() else {
                    throw WebSocketDialError(url: url, reason: "the server closed the connection during the SPDY upgrade")
                }
                head.writeBuffer(&more)
                headEnd = head.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound
                guard head.readableBytes < 64 * 1024 else { throw WebSocketDialError(url: url, reason: "oversized upgrade response") }
            }
            let headText = head.readString(length: headEnd! - head.readerIndex) ?? ""
            let statusLine = headText.prefix { $0 != "\r" }
            guard statusLine.split(separator: " ").dropFirst().first == "101" else {
                throw WebSocketDialError(url: url, reason: "the server refused the SPDY upgrade: \(statusLine)")
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: 1 << 24) {
                        guard case .binary(let buffer) = message else { continue }
                        try await output.write(buffer)
                    }
                    output.finish()
                }
                if head.readableBytes > 0 { try await outbound.writeBinaryMessage(head) }
                while let buffer = try await responses.next() { try await outbound.writeBinaryMessage(buffer) }
                group.cancelAll()
            }
        }
    }
}

extension SPDYUpgradeDialer {
    /// Passes a client's `Upgrade: SPDY/3.1` request on to `url` (`http://`, `ws://`, or over TLS with `tls`; the next hop: API server → kubelet → runtime),
    /// offering the client's `X-Stream-Protocol-Version`s, and then the next hop's answer back — its 101 with the
    /// protocol it chose, or its refusal — followed by the connection's bytes in both directions, unread, until
    /// the next hop closes. This is what upstream's upgrade-aware proxy does.
    public static func relay(_ client: RawConnection, to url: String, tls: TLSConfiguration? = nil) async throws {
        let (channel, request) = try await dial(url, protocols: client.head.values("X-Stream-Protocol-Version"), tls: tls)
        try await pipe(client, channel, request: request)
    }

    /// Passes a client's upgrade request (SPDY or WebSocket) on to `url` as it came — its method, and its headers
    /// but `Host`, `Authorization` and `Impersonate-*` (the next hop authenticates this server, not the client) —
    /// and then the next hop's answer and the connection's bytes in both directions, unread, until the next hop
    /// closes: upstream's upgrade-aware proxy for `nodes/{name}/proxy`.
    public static func relayUpgrade(_ client: RawConnection, to url: String, tls: TLSConfiguration? = nil) async throws {
        let (channel, authority, target) = try await open(url, tls: tls)
        var request = "\(client.head.method) \(target) HTTP/1.1\r\nHost: \(authority)\r\n"
        for (name, value) in client.head.headers {
            let lowered = name.lowercased()
            guard lowered != "host", lowered != "authorization", !lowered.hasPrefix("impersonate-") else { continue }
            request += "\(name): \(value)\r\n"
        }
        try await pipe(client, channel, request: request + "\r\n")
    }

    /// Writes `request` on `channel`, then copies bytes both ways until the channel's side closes.
    private static func pipe(_ client: RawConnection, _ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, request: String) async throws {
        try await channel.executeThenClose { input, output in
            try await output.write(ByteBuffer(string: request))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await buffer in client.inbound { try await output.write(buffer) }
                    output.finish()
                }
                for try await buffer in input { try await client.outbound.write(buffer) }
                group.cancelAll()
            }
        }
    }
}

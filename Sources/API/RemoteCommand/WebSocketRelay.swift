import HummingbirdWebSocket
import KubeAPI
import NIOCore

/// Joins a WebSocket a client opened to us with one we opened to the next hop (API server → kubelet → runtime
/// streaming server), message for message in both directions, until the next hop ends the stream.
///
/// The messages are passed through unparsed, so the same relay carries `exec` and `attach`; `upstream` may
/// rewrite or drop a client message (to speak v4 to a runtime that does not know v5's close signal).
public enum WebSocketRelay {
    /// Relays until the next hop closes: after it sent the outcome on the error channel, or after the client went
    /// away and the close was passed on.
    public static func relay(
        client inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, to connection: WebSocketClientConnection,
        upstream: @escaping @Sendable ([UInt8]) -> [UInt8]? = { $0 }
    ) async throws {
        try await connection.run { messages, sender in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: 1 << 24) {
                        guard let bytes = upstream(message.channelBytes) else { continue }
                        try await sender.send(bytes)
                    }
                    // The client went away: ask the next hop to end too; its close ends the loop below.
                    try? await sender.close()
                }
                for try await message in messages { try await outbound.writeBinaryMessage(ByteBuffer(bytes: message)) }
                group.cancelAll()
            }
        }
    }
}

extension WebSocketMessage {
    /// A channel-protocol message's bytes (channel byte, then data), whichever frame type carried it: upstream's
    /// wsstream reads text and binary frames alike, and the Python client sends `write_stdin("…")` (a `str`) and
    /// terminal resizes as text frames.
    public var channelBytes: [UInt8] {
        switch self {
        case .binary(let buffer): Array(buffer.readableBytesView)
        case .text(let text): Array(text.utf8)
        }
    }
}

extension WebSocketOutboundWriter {
    /// Sends `status` on the error channel: the stream's outcome, or why it could not run.
    public func writeStreamStatus(_ status: Status) async throws {
        try await writeBinaryMessage(ByteBuffer(bytes: StreamChannel.error.frame(status.streamPayload)))
    }
}

extension HTTP1WebSocketUpgradeChannel.Configuration {
    /// The WebSocket settings of every server on a streaming path (API server, kubelet, runtime): frames up to
    /// 1 MiB, because kubectl writes whole 32 KiB reads of a forwarded connection as one frame and Hummingbird's
    /// default (16 KiB) would close the tunnel with 1009 "message too big".
    public static var streaming: HTTP1WebSocketUpgradeChannel.Configuration { .init(ws: .init(maxFrameSize: 1 << 20)) }
}

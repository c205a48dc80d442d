import Foundation
import HummingbirdWebSocket
import KubeAPI
import NIOCore
import RemoteCommand

/// What a remote-command client (`kubectl exec`, `kubectl attach`) sends, whatever carries it.
enum RemoteCommandInput: Sendable, Equatable {
    case stdin([UInt8])
    /// The client's stdin ended (v5's close signal, or the SPDY stdin stream's FIN).
    case stdinClosed
    case resize(TerminalSize)
}

/// One remote-command client: a WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`) or a SPDY/3.1 connection
/// (`v4.channel.k8s.io` streams). Exec and attach sessions are written against this, so both transports run the
/// same code.
protocol RemoteCommandPeer: Sendable {
    /// Calls `handle` with each input in order until the client goes away or `handle` throws; then returns.
    func receive(_ handle: (RemoteCommandInput) async throws -> Void) async
    /// Sends output on `channel` (stdout or stderr).
    func send(_ bytes: [UInt8], on channel: StreamChannel) async throws
    /// Sends the outcome on the error channel and ends the connection's streams.
    func finish(_ status: Status) async
}

/// A remote-command client over a WebSocket: each message (binary or text) is a channel byte and that channel's data.
struct WebSocketRemoteCommandPeer: RemoteCommandPeer {
    let inbound: WebSocketInboundStream
    let outbound: WebSocketOutboundWriter

    func receive(_ handle: (RemoteCommandInput) async throws -> Void) async {
        do {
            for try await message in inbound.messages(maxSize: 1 << 24) {
                let bytes = message.channelBytes
                guard let first = bytes.first, let channel = StreamChannel(rawValue: first) else { continue }
                let payload = Array(bytes.dropFirst())
                switch channel {
                case .stdin:
                    try await handle(.stdin(payload))
                case .resize:
                    if let size = try? JSONDecoder().decode(TerminalSize.self, from: Data(payload)) { try await handle(.resize(size)) }
                case .close where payload.first == StreamChannel.stdin.rawValue:
                    try await handle(.stdinClosed)
                default:
                    continue
                }
            }
        } catch {}
    }

    func send(_ bytes: [UInt8], on channel: StreamChannel) async throws {
        try await outbound.writeBinaryMessage(ByteBuffer(bytes: channel.frame(bytes)))
    }

    func finish(_ status: Status) async {
        try? await outbound.writeStreamStatus(status)
    }
}

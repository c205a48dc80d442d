import HummingbirdWebSocket
import Logging
import NIOCore
import RemoteCommand

/// One port forward in upstream's WebSocket channel protocol (``PortForwardProtocol/channel``, what the Python
/// client's `portforward` speaks): every port the PortForward request granted gets one connection to the sandbox's
/// loopback for the life of the WebSocket — its data on channel 2i, a failure (worded as upstream's) on 2i+1, each
/// channel opened with the port. As upstream's kubelet, the WebSocket ends once every port's connection has.
struct ChannelPortForwardSession {
    let request: StreamingSessions.PortForwardRequest
    let logger: Logger

    func run(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter) async {
        let ports = request.ports.compactMap { UInt16(exactly: $0) }
        guard !ports.isEmpty, ports.count <= 128 else {
            logger.info("port forward without ports", metadata: ["sandbox": "\(request.sandboxID)"])
            return
        }
        do {
            for (index, port) in ports.enumerated() {
                let prefix = PortForwardProtocol.portPrefix(port)
                try await outbound.writeBinaryMessage(ByteBuffer(bytes: [UInt8(2 * index)] + prefix))
                try await outbound.writeBinaryMessage(ByteBuffer(bytes: [UInt8(2 * index + 1)] + prefix))
            }
        } catch {
            return
        }
        let inboxes = ports.map { _ in AsyncStream.makeStream(of: [UInt8].self) }
        // The client's data, by channel (its writes on error channels carry nothing for us); when the client goes
        // away every connection's input ends.
        let reader = Task {
            do {
                for try await message in inbound.messages(maxSize: 1 << 24) {
                    let bytes = message.channelBytes
                    guard let channel = bytes.first, channel % 2 == 0, Int(channel / 2) < inboxes.count else { continue }
                    inboxes[Int(channel / 2)].continuation.yield(Array(bytes.dropFirst()))
                }
            } catch {}
            for inbox in inboxes { inbox.continuation.finish() }
        }
        await withTaskGroup(of: Void.self) { group in
            for (index, port) in ports.enumerated() {
                group.addTask { await forward(channel: UInt8(2 * index), port: port, inbox: inboxes[index].stream, outbound: outbound) }
            }
        }
        reader.cancel()
    }

    /// Connects `port` and copies both ways until either side ends; a failure goes out on the error channel
    /// (`channel + 1`).
    private func forward(channel: UInt8, port: UInt16, inbox: AsyncStream<[UInt8]>, outbound: WebSocketOutboundWriter) async {
        do {
            let connection = try await request.connect(port)
            try await connection.executeThenClose { input, output in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await chunk in inbox { try await output.write(ByteBuffer(bytes: chunk)) }
                        output.finish()
                    }
                    group.addTask {
                        for try await buffer in input {
                            try await outbound.writeBinaryMessage(ByteBuffer(bytes: [channel] + Array(buffer.readableBytesView)))
                        }
                    }
                    // The pod closed its side, or the client went away: this port's forward is over.
                    try await group.next()
                    group.cancelAll()
                }
            }
        } catch is CancellationError {
            return
        } catch {
            let message = "error forwarding port \(port) to pod \(request.sandboxID), uid : \(error)"
            logger.info("port forward failed", metadata: ["sandbox": "\(request.sandboxID)", "port": "\(port)", "error": "\(error)"])
            try? await outbound.writeBinaryMessage(ByteBuffer(bytes: [channel + 1] + Array(message.utf8)))
        }
    }
}

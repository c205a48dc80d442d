import Foundation
import HummingbirdWebSocket
import LinuxSystem
import Logging
import NIOCore
import NIOPosix
import SPDY

/// One port-forward connection: the SPDY/3.1 session a `portforward.k8s.io` client runs through the WebSocket
/// tunnel (`SPDY/3.1+portforward.k8s.io`). For every forwarded connection the client opens an error stream
/// and a data stream sharing a `requestID` and naming a `port`; the pair becomes one TCP connection to that
/// port on the sandbox's loopback. A failure is written on the error stream as upstream words it
/// (`error forwarding port 80 to pod <sandbox>, uid : …`), which kubectl prints.
struct PortForwardSession {
    let request: StreamingSessions.PortForwardRequest
    let logger: Logger

    /// The largest data frame we send (the peer's default window; spdystream applies no flow control).
    static let chunkSize = 32 * 1024

    /// Runs the session tunnelled in a WebSocket (`SPDY/3.1+portforward.k8s.io`).
    func run(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter) async {
        let chunks = inbound.messages(maxSize: 1 << 24).compactMap { message -> [UInt8]? in
            guard case .binary(let buffer) = message else { return nil }
            return Array(buffer.readableBytesView)
        }
        await run(chunks) { bytes in try await outbound.writeBinaryMessage(ByteBuffer(bytes: bytes)) }
    }

    /// Runs the session on the bytes of a connection (a plain `Upgrade: SPDY/3.1`, or a tunnel's messages).
    func run<Inbound: AsyncSequence>(_ inbound: Inbound, write: @escaping @Sendable ([UInt8]) async throws -> Void) async
    where Inbound.Element == [UInt8] {
        let connections = ForwardedConnections()
        do {
            let inflater = try SPDYHeaderInflater(), deflater = try SPDYHeaderDeflater()
            let send: @Sendable (SPDYFrame) async throws -> Void = { frame in try await write(frame.encoded) }
            var decoder = SPDYFrameDecoder()
            var pairs: [String: StreamPair] = [:]
            reading: for try await chunk in inbound {
                decoder.append(chunk)
                while let frame = try decoder.next() {
                    switch frame {
                    case .synStream(let id, _, _, _, let block):
                        let headers = try inflater.headers(from: block)
                        // Replies are compressed here, in the reading task, so blocks reach the wire in order.
                        try await send(.synReply(streamID: id, flags: 0, headerBlock: try deflater.block(SPDYHeaders())))
                        if let pair = pairs.opened(id, headers: headers) {
                            pairs[pair.requestID] = nil
                            await connections.start(pair) { inbox in await forward(pair, inbox: inbox, send: send) }
                        }
                    case .data(let id, let flags, let payload):
                        await connections.deliver(payload, to: id, fin: flags & SPDYFrame.finFlag != 0)
                    case .rstStream(let id, _):
                        await connections.reset(id)
                    case .ping(let id):
                        try await send(.ping(id: id))
                    case .goAway:
                        break reading
                    case .synReply, .settings, .headers, .windowUpdate, .unknownControl:
                        continue
                    }
                }
            }
        } catch {
            logger.info("port forward session ended", metadata: ["sandbox": "\(request.sandboxID)", "error": "\(error)"])
        }
        await connections.cancelAll()
    }

    /// How long the client's direction of a forwarded connection may go on once the pod's side has ended
    /// (containerd's, after socat's default): a half-closed pod still reads what is on its way, a closed one does
    /// not hold kubectl, which closes its local connection only once the error stream has ended.
    static let closeGrace = Duration.seconds(1)

    /// Connects the pair's port and copies both ways. A client that half-closes waits for the pod to finish; once
    /// the pod's side is done the client's gets ``closeGrace``. Then both streams end.
    private func forward(_ pair: StreamPair, inbox: AsyncStream<[UInt8]>, send: @escaping @Sendable (SPDYFrame) async throws -> Void) async {
        do {
            let channel = try await request.connect(pair.port)
            try await channel.executeThenClose { input, output in
                try await withThrowingTaskGroup(of: Direction.self) { group in
                    group.addTask {
                        for await chunk in inbox { try await output.write(ByteBuffer(bytes: chunk)) }
                        output.finish()
                        return .fromClient
                    }
                    group.addTask {
                        for try await buffer in input {
                            var buffer = buffer
                            while let chunk = buffer.readBytes(length: min(buffer.readableBytes, Self.chunkSize)), !chunk.isEmpty {
                                try await send(.data(streamID: pair.dataStream, flags: 0, payload: chunk))
                            }
                        }
                        try await send(.data(streamID: pair.dataStream, flags: SPDYFrame.finFlag, payload: []))
                        return .fromPod
                    }
                    if try await group.next() == .fromClient {
                        _ = try await group.next()
                        return
                    }
                    group.addTask {
                        try await Task.sleep(for: Self.closeGrace)
                        return .graceOver
                    }
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        } catch is CancellationError {
            // The client reset the data stream (kubectl does once the pod's side has ended) or the session ended.
        } catch {
            let message = "error forwarding port \(pair.port) to pod \(request.sandboxID), uid : \(error)"
            logger.info("port forward failed", metadata: ["sandbox": "\(request.sandboxID)", "port": "\(pair.port)", "error": "\(error)"])
            try? await send(.data(streamID: pair.errorStream, flags: 0, payload: Array(message.utf8)))
            try? await send(.data(streamID: pair.dataStream, flags: SPDYFrame.finFlag, payload: []))
        }
        // The error stream ends in every case, also after a reset (so from a task the reset did not cancel):
        // kubectl closes its local connection only once it has.
        await Task { try? await send(.data(streamID: pair.errorStream, flags: SPDYFrame.finFlag, payload: [])) }.value
    }

}

extension StreamingSessions.PortForwardRequest {
    /// A connected socket to `port` on the sandbox's loopback.
    func dial(_ port: UInt16) async throws -> Int32 {
        guard ports.isEmpty || ports.contains(Int32(port)) else {
            throw PortForwardError(description: "port \(port) was not granted by the PortForward request")
        }
        // A host-network sandbox has no namespace of its own: its loopback is the runtime's.
        let namespace = try networkNamespace.map(NetworkNamespace.open(path:)) ?? NetworkNamespace.current()
        do {
            return try await namespace.perform { try LoopbackTCP.connect(port: port) }
        } catch let error as LoopbackTCPError {
            throw PortForwardError(description: "failed to execute portforward in network namespace \"\(networkNamespace ?? "host")\": \(error)")
        }
    }

    /// The socket connected as a NIO channel whose output can be half-closed (the client's end of input).
    func connect(_ port: UInt16) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let descriptor = try await dial(port)
        return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .withConnectedSocket(descriptor) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
    }
}

/// Which side of a forwarded connection finished copying (or that the grace period for the other one ran out).
private enum Direction: Sendable {
    case fromClient, fromPod, graceOver
}

/// A forwarded connection the client has fully announced: its error and data streams.
struct StreamPair: Sendable {
    let requestID: String
    let port: UInt16
    var errorStream: UInt32
    var dataStream: UInt32
}

/// Why a forwarded connection could not be made, as the user reads it.
struct PortForwardError: Error, CustomStringConvertible {
    let description: String
}

extension Dictionary where Key == String, Value == StreamPair {
    /// Records a newly opened stream in the pairs still waiting for their second stream (keyed by request id);
    /// returns the pair once both are here. Streams with an unknown type or no port are ignored.
    mutating func opened(_ id: UInt32, headers: SPDYHeaders) -> StreamPair? {
        guard let type = headers.value("streamType"), let port = headers.value("port").flatMap(UInt16.init),
              let requestID = headers.value("requestID") else { return nil }
        var pair = self[requestID] ?? StreamPair(requestID: requestID, port: port, errorStream: 0, dataStream: 0)
        switch type {
        case "error": pair.errorStream = id
        case "data": pair.dataStream = id
        default: return nil
        }
        guard pair.errorStream != 0, pair.dataStream != 0 else {
            self[requestID] = pair
            return nil
        }
        return pair
    }
}

/// The running forwards of one session: each data stream's inbox (what the client sends, in order) and the
/// task copying it.
actor ForwardedConnections {
    private var inboxes: [UInt32: AsyncStream<[UInt8]>.Continuation] = [:]
    private var tasks: [UInt32: Task<Void, Never>] = [:]

    func start(_ pair: StreamPair, _ body: @escaping @Sendable (AsyncStream<[UInt8]>) async -> Void) {
        let (inbox, continuation) = AsyncStream.makeStream(of: [UInt8].self)
        inboxes[pair.dataStream] = continuation
        tasks[pair.dataStream] = Task { [weak self] in
            await body(inbox)
            await self?.finished(pair.dataStream)
        }
    }

    /// Client bytes for stream `id`; `fin` ends the client's side (a half close of the TCP connection).
    func deliver(_ bytes: [UInt8], to id: UInt32, fin: Bool) {
        guard let inbox = inboxes[id] else { return }
        if !bytes.isEmpty { inbox.yield(bytes) }
        if fin { inbox.finish() }
    }

    /// The client reset stream `id`: its connection is dropped.
    func reset(_ id: UInt32) {
        inboxes.removeValue(forKey: id)?.finish()
        tasks.removeValue(forKey: id)?.cancel()
    }

    func cancelAll() {
        for inbox in inboxes.values { inbox.finish() }
        for task in tasks.values { task.cancel() }
        inboxes = [:]
        tasks = [:]
    }

    private func finished(_ id: UInt32) {
        inboxes.removeValue(forKey: id)?.finish()
        tasks[id] = nil
    }
}

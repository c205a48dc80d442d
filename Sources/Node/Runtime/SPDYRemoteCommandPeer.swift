import Foundation
import KubeAPI
import RemoteCommand
import SPDY

/// Writes one SPDY/3.1 connection's frames in order, compressing reply header blocks with the connection's one
/// zlib stream (which must see the blocks in the order they reach the wire).
actor SPDYFrameWriter {
    private let deflater: SPDYHeaderDeflater
    private let write: @Sendable ([UInt8]) async throws -> Void

    init(write: @escaping @Sendable ([UInt8]) async throws -> Void) throws {
        deflater = try SPDYHeaderDeflater()
        self.write = write
    }

    func send(_ frame: SPDYFrame) async throws {
        try await write(frame.encoded)
    }

    /// Accepts a stream the peer opened (SYN_REPLY with no headers).
    func reply(to streamID: UInt32) async throws {
        try await write(SPDYFrame.synReply(streamID: streamID, flags: 0, headerBlock: try deflater.block(SPDYHeaders())).encoded)
    }
}

/// A remote-command client over SPDY/3.1 (`v4.channel.k8s.io` after an `Upgrade: SPDY/3.1`, what client-go's SPDY
/// executor speaks): the client opens one stream per channel, named by its `streamType` header (`error`, `stdin`,
/// `stdout`, `stderr`, `resize`); stdin's FIN is the end of input, resize carries JSON sizes, and the outcome is a
/// `Status` on the error stream. As upstream's streaming server, the session starts once every stream the request
/// implies is open.
struct SPDYRemoteCommandPeer: RemoteCommandPeer {
    let writer: SPDYFrameWriter
    /// Stream ids by `streamType`.
    let streams: [String: UInt32]
    let inputs: AsyncStream<RemoteCommandInput>
    let reader: Task<Void, Never>

    /// How long the client may take to open its streams (upstream's `streamCreationTimeout`).
    static let creationTimeout: Duration = .seconds(30)
    /// The largest data frame sent.
    static let chunkSize = 32 * 1024

    /// The streams a client opens for these options.
    static func expectedStreams(stdin: Bool, stdout: Bool, stderr: Bool, tty: Bool) -> Set<String> {
        var expected: Set<String> = ["error"]
        if stdin { expected.insert("stdin") }
        if stdout { expected.insert("stdout") }
        if stderr && !tty { expected.insert("stderr") }
        if tty { expected.insert("resize") }
        return expected
    }

    /// Reads the client's frames until the `expected` streams are open and returns the peer; the reading goes on
    /// in the background, feeding ``receive(_:)``.
    static func accept<Inbound: AsyncSequence & Sendable>(
        _ inbound: Inbound, writer: SPDYFrameWriter, expecting expected: Set<String>
    ) async throws -> SPDYRemoteCommandPeer where Inbound.Element == [UInt8] {
        let (inputs, input) = AsyncStream.makeStream(of: RemoteCommandInput.self)
        let (opened, ready) = AsyncStream.makeStream(of: [String: UInt32].self)
        let reader = Task {
            var decoder = SPDYFrameDecoder()
            var types: [UInt32: String] = [:]
            var announced = false
            var resize: [UInt8] = []
            do {
                let inflater = try SPDYHeaderInflater()
                reading: for try await chunk in inbound {
                    decoder.append(chunk)
                    while let frame = try decoder.next() {
                        switch frame {
                        case .synStream(let id, _, _, _, let block):
                            let type = try inflater.headers(from: block).value("streamType") ?? ""
                            try await writer.reply(to: id)
                            types[id] = type
                            if !announced, expected.isSubset(of: Set(types.values)) {
                                announced = true
                                ready.yield(Dictionary(types.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first }))
                                ready.finish()
                            }
                        case .data(let id, let flags, let payload):
                            switch types[id] {
                            case "stdin":
                                if !payload.isEmpty { input.yield(.stdin(payload)) }
                                if flags & SPDYFrame.finFlag != 0 { input.yield(.stdinClosed) }
                            case "resize":
                                // client-go's json.Encoder: one object per line.
                                resize += payload
                                while let newline = resize.firstIndex(of: UInt8(ascii: "\n")) {
                                    if let size = try? JSONDecoder().decode(TerminalSize.self, from: Data(resize[..<newline])) {
                                        input.yield(.resize(size))
                                    }
                                    resize.removeSubrange(...newline)
                                }
                            default:
                                continue
                            }
                        case .rstStream(let id, _):
                            if types[id] == "stdin" { input.yield(.stdinClosed) }
                        case .ping(let id):
                            try await writer.send(.ping(id: id))
                        case .goAway:
                            break reading
                        case .synReply, .settings, .headers, .windowUpdate, .unknownControl:
                            continue
                        }
                    }
                }
            } catch {}
            ready.finish()
            input.finish()
        }
        let streams: [String: UInt32]? = await withTaskGroup(of: [String: UInt32]?.self) { group in
            group.addTask { await opened.first { _ in true } }
            group.addTask { try? await Task.sleep(for: Self.creationTimeout); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let streams else {
            reader.cancel()
            throw SPDYStreamError(description: "timed out waiting for client to create streams")
        }
        return SPDYRemoteCommandPeer(writer: writer, streams: streams, inputs: inputs, reader: reader)
    }

    func receive(_ handle: (RemoteCommandInput) async throws -> Void) async {
        do {
            for await input in inputs { try await handle(input) }
        } catch {}
    }

    func send(_ bytes: [UInt8], on channel: StreamChannel) async throws {
        guard let id = streams[channel == .stderr ? "stderr" : "stdout"] else { return }
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + Self.chunkSize)
            try await writer.send(.data(streamID: id, flags: 0, payload: Array(bytes[offset..<end])))
            offset = end
        }
    }

    /// The status on the error stream, then the end of every stream (clients wait for stdout's and stdin's).
    func finish(_ status: Status) async {
        if let error = streams["error"] {
            try? await writer.send(.data(streamID: error, flags: 0, payload: status.streamPayload))
        }
        for id in streams.values.sorted() {
            try? await writer.send(.data(streamID: id, flags: SPDYFrame.finFlag, payload: []))
        }
        reader.cancel()
    }
}

/// Why a SPDY stream session could not start.
struct SPDYStreamError: Error, CustomStringConvertible {
    let description: String
}

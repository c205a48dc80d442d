/// One SPDY/3.1 frame (the framing Kubernetes' `portforward.k8s.io` and the legacy remote-command streams run
/// on). Control frames start with the control bit, version 3 and a type; data frames with a stream id. Header
/// blocks stay compressed here: ``SPDYHeaderInflater`` and ``SPDYHeaderDeflater`` hold the per-connection zlib
/// state they need.
public enum SPDYFrame: Sendable, Equatable {
    case synStream(streamID: UInt32, associatedStreamID: UInt32, priority: UInt8, flags: UInt8, headerBlock: [UInt8])
    case synReply(streamID: UInt32, flags: UInt8, headerBlock: [UInt8])
    case rstStream(streamID: UInt32, status: UInt32)
    case settings(flags: UInt8, entries: [Setting])
    case ping(id: UInt32)
    case goAway(lastGoodStreamID: UInt32, status: UInt32)
    case headers(streamID: UInt32, flags: UInt8, headerBlock: [UInt8])
    case windowUpdate(streamID: UInt32, delta: UInt32)
    case data(streamID: UInt32, flags: UInt8, payload: [UInt8])
    /// A control frame of a type SPDY/3.1 does not define (or CREDENTIAL): receivers ignore it.
    case unknownControl(type: UInt16)

    /// One entry of a SETTINGS frame.
    public struct Setting: Sendable, Equatable {
        public var flags: UInt8
        public var id: UInt32
        public var value: UInt32

        public init(flags: UInt8, id: UInt32, value: UInt32) {
            self.flags = flags
            self.id = id
            self.value = value
        }
    }

    /// FLAG_FIN: the sender's last frame on the stream (data, SYN_STREAM, SYN_REPLY, HEADERS).
    public static let finFlag: UInt8 = 0x01
    /// FLAG_UNIDIRECTIONAL on SYN_STREAM: the receiver must not send on the stream.
    public static let unidirectionalFlag: UInt8 = 0x02
    /// The protocol version of every control frame we send and accept.
    public static let version: UInt16 = 3
    /// Data frames longer than this are split by ``data(streamID:payload:fin:)`` callers; the field holds 24 bits.
    public static let maximumLength = 0xFF_FFFF

    /// RST_STREAM status codes (SPDY/3.1 §2.4.2).
    public enum Status: UInt32, Sendable {
        case protocolError = 1, invalidStream, refusedStream, unsupportedVersion, cancel, internalError,
             flowControlError, streamInUse, streamAlreadyClosed
    }

    /// The frame's bytes on the wire.
    public var encoded: [UInt8] {
        switch self {
        case .synStream(let id, let associated, let priority, let flags, let block):
            return Self.control(type: 1, flags: flags, body: Self.word(id) + Self.word(associated) + [priority << 5, 0] + block)
        case .synReply(let id, let flags, let block):
            return Self.control(type: 2, flags: flags, body: Self.word(id) + block)
        case .rstStream(let id, let status):
            return Self.control(type: 3, flags: 0, body: Self.word(id) + Self.word(status))
        case .settings(let flags, let entries):
            var body = Self.word(UInt32(entries.count))
            for entry in entries { body += [entry.flags] + Self.word(entry.id).dropFirst() + Self.word(entry.value) }
            return Self.control(type: 4, flags: flags, body: body)
        case .ping(let id):
            return Self.control(type: 6, flags: 0, body: Self.word(id))
        case .goAway(let last, let status):
            return Self.control(type: 7, flags: 0, body: Self.word(last) + Self.word(status))
        case .headers(let id, let flags, let block):
            return Self.control(type: 8, flags: flags, body: Self.word(id) + block)
        case .windowUpdate(let id, let delta):
            return Self.control(type: 9, flags: 0, body: Self.word(id) + Self.word(delta))
        case .data(let id, let flags, let payload):
            return Self.word(id & 0x7FFF_FFFF) + Self.lengthWord(flags: flags, length: payload.count) + payload
        case .unknownControl(let type):
            return Self.control(type: type, flags: 0, body: [])
        }
    }

    private static func control(type: UInt16, flags: UInt8, body: [UInt8]) -> [UInt8] {
        [0x80 | UInt8(version >> 8), UInt8(version & 0xFF), UInt8(type >> 8), UInt8(type & 0xFF)]
            + lengthWord(flags: flags, length: body.count) + body
    }

    private static func lengthWord(flags: UInt8, length: Int) -> [UInt8] {
        [flags, UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
    }

    static func word(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}

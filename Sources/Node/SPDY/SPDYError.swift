/// Why a SPDY connection cannot go on; the message names what was wrong with the peer's bytes.
public enum SPDYError: Error, CustomStringConvertible, Equatable {
    case unsupportedVersion(UInt16)
    case malformedFrame(type: UInt16, length: Int)
    case malformedHeaderBlock(String)
    case compression(operation: String, code: Int32)

    public var description: String {
        switch self {
        case .unsupportedVersion(let version): "SPDY version \(version) is not supported (only 3)"
        case .malformedFrame(let type, let length): "malformed SPDY control frame of type \(type) with \(length) bytes"
        case .malformedHeaderBlock(let reason): "malformed SPDY header block: \(reason)"
        case .compression(let operation, let code): "SPDY header compression: \(operation) failed with zlib code \(code)"
        }
    }
}

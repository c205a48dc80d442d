import Crypto
import Foundation

/// A content digest, `sha256:<64 lowercase hex>`: the only algorithm registries use in practice and the
/// only one this store verifies.
public struct Digest: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    /// The 64 hex characters after `sha256:`.
    public let hex: String

    /// Parses `sha256:<hex>`; nil for anything else.
    public init?(_ string: String) {
        guard string.hasPrefix("sha256:") else { return nil }
        let hex = String(string.dropFirst(7))
        guard Digest.isHex64(hex) else { return nil }
        self.hex = hex
    }

    /// The digest of `bytes`.
    public init(of bytes: some DataProtocol) {
        hex = Digest.hexString(SHA256.hash(data: bytes))
    }

    /// From a finished hash.
    public init(_ hash: SHA256.Digest) { hex = Digest.hexString(hash) }

    public var description: String { "sha256:" + hex }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.hex < rhs.hex }

    public init(from decoder: any Decoder) throws {
        let string = try decoder.singleValueContainer().decode(String.self)
        guard let digest = Digest(string) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a sha256 digest: \(string)"))
        }
        self = digest
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func isHex64(_ hex: String) -> Bool {
        hex.utf8.count == 64 && hex.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func hexString(_ hash: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in hash {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A 48-bit Ethernet (MAC) address, printed as `02:42:ac:11:00:02`.
public struct MACAddress: Sendable, Hashable, LosslessStringConvertible, Codable {
    /// The six bytes, in wire order.
    public let bytes: [UInt8]

    /// `nil` unless there are exactly six bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 6 else { return nil }
        self.bytes = Array(bytes)
    }

    /// Parses six colon- (or dash-) separated hex bytes.
    public init(parsing text: String) throws(AddressParseError) {
        let parts = text.split(omittingEmptySubsequences: false) { $0 == ":" || $0 == "-" }
        let bytes = parts.compactMap { $0.count == 2 ? UInt8($0, radix: 16) : nil }
        guard parts.count == 6, bytes.count == 6 else {
            throw AddressParseError(input: text, expected: "a MAC address", reason: "expected six hex bytes like 02:42:ac:11:00:02")
        }
        self.bytes = bytes
    }

    public init?(_ description: String) { try? self.init(parsing: description) }

    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }

    public init(from decoder: any Decoder) throws { try self.init(parsing: decoder.singleValueContainer().decode(String.self)) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

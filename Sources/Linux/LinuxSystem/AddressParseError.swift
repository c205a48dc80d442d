/// Text that is not a valid IP address, network or MAC address, with the reason why.
///
///     "10.0.0.256" is not an IPv4 address: octet 256 is larger than 255
public struct AddressParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text that failed to parse.
    public let input: String
    /// What the text was expected to be, e.g. `"an IPv4 address"`.
    public let expected: String
    /// Why it is not.
    public let reason: String

    public init(input: String, expected: String, reason: String) {
        self.input = input
        self.expected = expected
        self.reason = reason
    }

    public var description: String { "\"\(input)\" is not \(expected): \(reason)" }
}

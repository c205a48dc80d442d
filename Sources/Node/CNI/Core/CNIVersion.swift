/// A CNI specification version such as `1.1.0`, ordered numerically like upstream's `version.GreaterThan`.
///
/// An absent `cniVersion` means `0.1.0`, as in libcni. Swiftlet speaks the versions with the
/// `ips`/`interfaces` result shape: ``supported`` lists them.
public struct CNIVersion: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public let major: Int
    public let minor: Int
    public let patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses `"a"`, `"a.b"` or `"a.b.c"`; the empty string is `0.1.0`.
    public init(parsing text: String) throws(CNIError) {
        if text.isEmpty {
            self.init(0, 1, 0)
            return
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 3 else {
            throw CNIError(.decodingFailure, "invalid version \"\(text)\": too many parts")
        }
        var numbers = [0, 0, 0]
        for (index, part) in parts.enumerated() {
            guard let number = Int(part), number >= 0 else {
                throw CNIError(.decodingFailure, "invalid version \"\(text)\": \"\(part)\" is not a number")
            }
            numbers[index] = number
        }
        self.init(numbers[0], numbers[1], numbers[2])
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try CNIVersion(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (lhs: CNIVersion, rhs: CNIVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    /// The newest specification Swiftlet implements.
    public static let current = CNIVersion(1, 1, 0)
    /// The first version with CHECK.
    public static let check = CNIVersion(0, 4, 0)
    /// The first version with GC and STATUS.
    public static let garbageCollection = CNIVersion(1, 1, 0)
    /// Every version Swiftlet's plugins accept and its runtime can convert results between.
    public static let supported: [CNIVersion] = [
        CNIVersion(0, 3, 0), CNIVersion(0, 3, 1), CNIVersion(0, 4, 0), CNIVersion(1, 0, 0), CNIVersion(1, 1, 0),
    ]
}

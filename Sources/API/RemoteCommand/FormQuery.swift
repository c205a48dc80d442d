import Foundation

/// A query string in the form encoding Go's `url.Values` writes (`+` for a space, everything else
/// percent-encoded), which is how kubectl sends `command=sh&command=-c&command=echo+hi`. Generic URL
/// parsers keep the `+`, which would turn `echo hi` into `echo+hi`.
public struct FormQuery: Sendable, Equatable {
    public private(set) var items: [(name: String, value: String)]

    public init(_ items: [(name: String, value: String)] = []) {
        self.items = items
    }

    /// Parses the raw (still encoded) query.
    public init(encoded query: String) {
        items = query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.decode(parts[0]), parts.count > 1 ? Self.decode(parts[1]) : "")
        }
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        items.filter { $0.name == name }.map(\.value)
    }

    public mutating func append(_ name: String, _ value: String) {
        items.append((name, value))
    }

    /// The query encoded as Go's `url.Values.Encode` would (unreserved characters kept, space as `+`).
    public var encoded: String {
        items.map { "\(Self.encode($0.name))=\(Self.encode($0.value))" }.joined(separator: "&")
    }

    private static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    private static func encode(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false)
            .map { $0.addingPercentEncoding(withAllowedCharacters: unreserved) ?? String($0) }.joined(separator: "+")
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    public static func == (lhs: FormQuery, rhs: FormQuery) -> Bool {
        lhs.items.map { [$0.name, $0.value] } == rhs.items.map { [$0.name, $0.value] }
    }
}

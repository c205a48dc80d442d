import Foundation

/// An RFC 6901 JSON pointer (`/spec/containers/0/image`), split into unescaped reference tokens.
///
/// Parsing follows evanphx/json-patch v4 (what the API server uses): the text is split on `/` and the first
/// piece (empty for a well-formed pointer) is dropped; `~1` decodes to `/` and `~0` to `~`.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// The unescaped reference tokens; empty for the whole document.
    public var tokens: [String]

    public init(tokens: [String]) { self.tokens = tokens }

    /// Parses pointer text; `nil` for the empty pointer (the whole document), which patch operations treat specially.
    public init?(_ text: String) {
        let pieces = text.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count >= 2 else { return nil }
        tokens = pieces.dropFirst().map { JSONPointer.unescape(String($0)) }
    }

    /// `~1` → `/`, then `~0` → `~`, scanning left to right as RFC 6901 requires.
    public static func unescape(_ token: String) -> String {
        guard token.contains("~") else { return token }
        var out = ""
        var chars = token.makeIterator()
        while let c = chars.next() {
            guard c == "~" else { out.append(c); continue }
            switch chars.next() {
            case "1": out.append("/")
            case "0": out.append("~")
            case let other?: out.append("~"); out.append(other)
            case nil: out.append("~")
            }
        }
        return out
    }

    /// `~` → `~0`, `/` → `~1`.
    public static func escape(_ token: String) -> String {
        token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    public var description: String { tokens.map { "/" + JSONPointer.escape($0) }.joined() }
}

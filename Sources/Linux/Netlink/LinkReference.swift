/// Names a network interface either by name or by index; string and integer literals work:
///
///     try netlink.setUp("br0")
///     try netlink.setUp(.index(7))
public enum LinkReference: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case name(String)
    case index(Int32)

    public init(stringLiteral name: String) { self = .name(name) }
    public init(integerLiteral index: Int32) { self = .index(index) }

    public var description: String {
        switch self {
        case .name(let name): name
        case .index(let index): "#\(index)"
        }
    }
}

/// What happens to a packet: the data of an `immediate` into the verdict register, or the value of a
/// verdict-map element.
public enum Verdict: Hashable, Sendable, CustomStringConvertible {
    case accept
    case drop
    /// Continue with the next expression (`NFT_CONTINUE`).
    case `continue`
    /// Return to the calling chain (`NFT_RETURN`).
    case `return`
    /// Jump to a chain and come back when it ends.
    case jump(String)
    /// Go to a chain without coming back.
    case goto(String)

    /// The kernel's verdict code (`NF_DROP`, `NF_ACCEPT`, `enum nft_verdicts`).
    var code: Int32 {
        switch self {
        case .drop: 0
        case .accept: 1
        case .continue: -1
        case .jump: -3
        case .goto: -4
        case .return: -5
        }
    }

    /// The target chain of `jump`/`goto`.
    var chain: String? {
        switch self {
        case .jump(let chain), .goto(let chain): chain
        default: nil
        }
    }

    /// Decodes a verdict code and optional chain; `nil` for codes this model does not know.
    init?(code: Int32, chain: String?) {
        switch code {
        case 0: self = .drop
        case 1: self = .accept
        case -1: self = .continue
        case -3: self = .jump(chain ?? "")
        case -4: self = .goto(chain ?? "")
        case -5: self = .return
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .accept: "accept"
        case .drop: "drop"
        case .continue: "continue"
        case .return: "return"
        case .jump(let chain): "jump \(chain)"
        case .goto(let chain): "goto \(chain)"
        }
    }
}

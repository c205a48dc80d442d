import LinuxSystem
import NFTables

/// `conditionsV4`/`conditionsV6`: matches put in front of the jumps into the host-port chains, so
/// some traffic can be kept away from port mapping.
///
/// The reference passes them through verbatim as `iptables` arguments (iptables backend) or `nft`
/// rule text (nftables backend). Swiftlet programs nf_tables directly, so it understands the subset
/// both spellings use for that purpose, and answers anything else with code 2:
///
///     ["ip saddr != 10.0.0.0/8", "iifname eth0"]          // nft text
///     ["!", "-s", "10.0.0.0/8", "-i", "eth0"]              // iptables arguments
///
/// Terms: source/destination address or prefix (`ip saddr`, `ip6 daddr`, `-s`, `-d`) and input/output
/// interface (`iifname`, `oifname`, `-i`, `-o`), each optionally negated (`!=`, `!`).
enum PortmapConditions {
    static func expressions(_ conditions: [String], family: IPFamily) throws(CNIError) -> [Expr] {
        var tokens = conditions.flatMap { $0.split(whereSeparator: \.isWhitespace).map(String.init) }[...]
        var expressions: [Expr] = []
        while let first = tokens.first {
            var negated = false
            if first == "!" {
                negated = true
                tokens.removeFirst()
            }
            guard let keyword = tokens.popFirst() else { throw unsupported(conditions, "dangling \"!\"") }
            let selector: Term
            switch keyword {
            case "ip", "ip6":
                guard (keyword == "ip") == (family == .v4) else { throw unsupported(conditions, "\(keyword) in the other family's conditions") }
                switch tokens.popFirst() {
                case "saddr": selector = .source
                case "daddr": selector = .destination
                default: throw unsupported(conditions, "only saddr and daddr follow \(keyword)")
                }
            case "-s", "--source": selector = .source
            case "-d", "--destination": selector = .destination
            case "iifname", "-i", "--in-interface": selector = .input
            case "oifname", "-o", "--out-interface": selector = .output
            default: throw unsupported(conditions, "unknown term \"\(keyword)\"")
            }
            if let op = tokens.first, op == "!=" || op == "==" {
                negated = negated != (op == "!=")
                tokens.removeFirst()
            }
            guard let operand = tokens.popFirst() else { throw unsupported(conditions, "\(keyword) needs a value") }
            expressions += try selector.match(operand.unquoted, negated: negated, family: family, conditions)
        }
        return expressions
    }

    private enum Term {
        case source, destination, input, output

        func match(_ operand: String, negated: Bool, family: IPFamily, _ conditions: [String]) throws(CNIError) -> [Expr] {
            let op: CompareOperator = negated ? .notEqual : .equal
            switch self {
            case .input, .output:
                return Expr.match(.meta(self == .input ? .iifname : .oifname), op, Value.ifname(operand))
            case .source, .destination:
                guard let network = IPNetwork(operand.contains("/") ? operand : operand + (family == .v4 ? "/32" : "/128")),
                      network.address.family == family
                else { throw unsupported(conditions, "\"\(operand)\" is not an address of this family") }
                let field: PayloadField = switch (family, self) {
                case (.v4, .source): .ipSaddr
                case (.v4, _): .ipDaddr
                case (_, .source): .ip6Saddr
                default: .ip6Daddr
                }
                do {
                    return try Expr.match(field, network: network.masked.description, op)
                } catch {
                    throw unsupported(conditions, error.description)
                }
            }
        }
    }

    private static func unsupported(_ conditions: [String], _ reason: String) -> CNIError {
        CNIError(.unsupportedField, "portmap: unsupported condition \(conditions)", details: reason)
    }
}

private extension String {
    /// The text without surrounding double quotes (`"eth0"` as `nft` prints names).
    var unquoted: String {
        var text = self[...]
        while text.first == "\"" { text.removeFirst() }
        while text.last == "\"" { text.removeLast() }
        return String(text)
    }
}

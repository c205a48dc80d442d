/// Something a rule can load into registers: a packet field, metadata, conntrack data.
/// Used by ``Expr/concat(_:startingAt:)`` to lay out concatenated keys.
public enum Selector: Hashable, Sendable {
    case payload(PayloadField)
    case meta(MetaKey)
    case ct(ConntrackKey, direction: ConntrackDirection?)

    /// Bytes the selector loads.
    public var length: Int {
        switch self {
        case .payload(let field): Int(field.length)
        case .meta(let key): key.length
        case .ct(let key, _): key.length
        }
    }

    /// The expression loading this selector into `register`.
    public func load(into register: Register) -> Expr {
        switch self {
        case .payload(let field): .payload(field, into: register)
        case .meta(let key): .meta(key, into: register)
        case .ct(let key, let direction): .ct(key, direction: direction, into: register)
        }
    }
}

extension Expr {
    /// Loads `selectors` into consecutive 4-byte register units starting at `register`, each part padded
    /// to whole units: the layout `nft` uses for `ip daddr . meta l4proto . th dport` (reg 1, reg 9,
    /// reg 10) and that concatenated set keys (``KeyType``, ``Value/concat(_:)``) expect.
    public static func concat(_ selectors: [Selector], startingAt register: Register = .r1) -> [Expr] {
        var next = register
        return selectors.map { selector in
            defer { next = next.advanced(by: Register.units(forLength: selector.length)) }
            return selector.load(into: next)
        }
    }

    /// `selectors vmap @set`: looks the concatenated key up in a verdict map.
    public static func vmap(_ selectors: [Selector], set: SetReference) -> [Expr] {
        concat(selectors) + [.lookup(set, from: .r1, into: .verdict, inverted: false)]
    }

    /// `selectors @set` (or `!= @set`): matches when the key is (not) in the set.
    public static func inSet(_ selectors: [Selector], set: SetReference, inverted: Bool = false) -> [Expr] {
        concat(selectors) + [.lookup(set, from: .r1, into: nil, inverted: inverted)]
    }

    /// `field op value`, e.g. `ip daddr 10.0.0.1`.
    public static func match(_ selector: Selector, _ op: CompareOperator = .equal, _ value: Value) -> [Expr] {
        [selector.load(into: .r1), .compare(op, .r1, value)]
    }

    /// `field cidr`, e.g. `ip saddr 10.0.0.0/8`: load, mask, compare (a plain compare for full-length prefixes).
    public static func match(_ field: PayloadField, network cidr: String, _ op: CompareOperator = .equal) throws(NFTablesError) -> [Expr] {
        let (address, length) = try Value.network(cidr)
        guard length < address.bytes.count * 8 else { return match(.payload(field), op, address) }
        let zero = Value([UInt8](repeating: 0, count: address.bytes.count))
        return [
            .payload(field, into: .r1),
            .bitwise(from: .r1, into: .r1, mask: address.prefixMask(length), xor: zero),
            .compare(op, .r1, address),
        ]
    }

    /// `meta l4proto tcp`.
    public static func l4proto(_ proto: Value) -> [Expr] { match(.meta(.l4proto), .equal, proto) }

    /// `tcp dport 80` / `udp dport 53`: the protocol match `nft` adds as a dependency, then the port.
    public static func destinationPort(_ port: UInt16, proto: Value) -> [Expr] {
        l4proto(proto) + match(.payload(.destinationPort), .equal, .inetService(port))
    }

    /// `ct state established,related` (any of `states`).
    public static func ctState(_ states: ConntrackState) -> [Expr] {
        [
            .ct(.state, direction: nil, into: .r1),
            .bitwise(from: .r1, into: .r1, mask: .integer(states.rawValue), xor: .integer(0)),
            .compare(.notEqual, .r1, .integer(0)),
        ]
    }

    /// `meta mark set meta mark or bits`: what kube-proxy uses to mark for masquerade.
    public static func setMarkBits(_ bits: UInt32) -> [Expr] {
        [
            .meta(.mark, into: .r1),
            .bitwise(from: .r1, into: .r1, mask: .mark(~bits), xor: .mark(bits)),
            .metaSet(.mark, from: .r1),
        ]
    }

    /// `meta mark & bits != 0`: matches packets carrying any of `bits`.
    public static func hasMarkBits(_ bits: UInt32) -> [Expr] {
        [
            .meta(.mark, into: .r1),
            .bitwise(from: .r1, into: .r1, mask: .mark(bits), xor: .mark(0)),
            .compare(.notEqual, .r1, .mark(0)),
        ]
    }

    /// `dnat to address[:port]` (`ip` or `ip6` by the address length).
    public static func dnat(to address: Value, port: UInt16? = nil, flags: NATFlags = []) -> [Expr] {
        translate(.dnat, to: address, port: port, flags: flags)
    }

    /// `snat to address[:port]`.
    public static func snat(to address: Value, port: UInt16? = nil, flags: NATFlags = []) -> [Expr] {
        translate(.snat, to: address, port: port, flags: flags)
    }

    /// `masquerade` with flags, e.g. `[.fullyRandom]`.
    public static func masquerade(_ flags: NATFlags = []) -> Expr {
        .masquerade(flags, portMin: nil, portMax: nil)
    }

    /// `numgen random mod N vmap { 0 : goto c0, 1 : goto c1, … }`: picks one chain per packet,
    /// the way kube-proxy spreads a Service over its endpoints.
    public static func randomGoto(_ chains: [String], kind: NumgenKind = .random) -> [Expr] {
        let elements = chains.enumerated().map { index, chain in
            SetElement(key: .integer(UInt32(index)), verdict: .goto(chain))
        }
        let map = AnonymousSet(key: [.integer(length: 4)], data: .verdict, elements: elements)
        return [
            .numgen(kind, modulus: UInt32(chains.count), offset: 0, into: .r1),
            .lookup(.anonymous(map), from: .r1, into: .verdict, inverted: false),
        ]
    }

    /// One rule per chain, `numgen random mod (N-i) 0 goto cᵢ` and a plain `goto` for the last: each
    /// chain is reached with probability 1/N, as with iptables' `statistic --mode random` rules.
    ///
    /// Unlike ``randomGoto(_:kind:)`` this needs no set: the kernel allocates and looks up anonymous sets
    /// by scanning every set of the table, so ten thousand `vmap { … }` rules cost quadratic time to load.
    public static func randomGotoRules(_ chains: [String]) -> [[Expr]] {
        chains.enumerated().map { index, chain in
            let remaining = UInt32(chains.count - index)
            guard remaining > 1 else { return [.verdict(.goto(chain))] }
            return [
                .numgen(.random, modulus: remaining, offset: 0, into: .r1),
                .compare(.equal, .r1, .integer(0)),
                .verdict(.goto(chain)),
            ]
        }
    }

    /// `dnat to numgen random mod M offset O map @set`: draws a number in `offset ..< offset + modulus`
    /// and translates to the address and port the interval map `set` (`type mark : ipv4_addr .
    /// inet_service`, see ``DataType/concatenation(_:)``) holds for it. The number is converted to network
    /// byte order first, as interval keys are compared as big-endian bytes (`nft` does the same for marks).
    /// A number no range covers ends the rule.
    ///
    /// Spreading a service over its endpoints this way keeps the endpoints in map elements, not rules:
    /// changing them touches only elements of a map without verdicts, which the kernel commits without
    /// validating the table's chains.
    public static func dnatRandom(modulus: UInt32, offset: UInt32, map set: String, family: Family) -> [Expr] {
        let addressUnits = Register.units(forLength: family == .ip6 ? 16 : 4)
        return [
            .numgen(.random, modulus: modulus, offset: offset, into: .r1),
            .byteorder(from: .r1, into: .r1, .hton, length: 4, size: 4),
            .lookup(.named(set), from: .r1, into: .r1, inverted: false),
            .nat(NAT(.dnat, family: family, addressMin: .r1, portMin: Register.r1.advanced(by: addressUnits))),
        ]
    }

    /// `update @set { selectors }`: adds the key to `set` or, when it is there, restarts its timeout
    /// (`timeout` overrides the set's default).
    public static func update(set: String, with selectors: [Selector], timeout: Duration? = nil) -> [Expr] {
        concat(selectors) + [.dynset(DynamicSetUpdate(.update, set: set, key: .r1, timeout: timeout))]
    }

    private static func translate(_ kind: NAT.Kind, to address: Value, port: UInt16?, flags: NATFlags) -> [Expr] {
        var expressions: [Expr] = [.immediate(address, into: .r1)]
        var nat = NAT(kind, family: address.bytes.count == 16 ? .ip6 : .ip, addressMin: .r1, flags: flags)
        if let port {
            expressions.append(.immediate(.inetService(port), into: .r2))
            nat.portMin = .r2
        }
        return expressions + [.nat(nat)]
    }
}

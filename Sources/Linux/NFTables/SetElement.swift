/// One element of a set or map: a key (or a range start/end) and, for maps, a value.
///
///     SetElement(key: .concat(try .ipv4("10.96.0.10"), .tcp, .inetService(53)), verdict: .goto("svc-dns"))
///     try SetElement.network("10.0.0.0/8")         // two elements: start, and end flagged interval-end
public struct SetElement: Hashable, Sendable {
    /// A map element's value.
    public enum Data: Hashable, Sendable {
        case value(Value)
        case verdict(Verdict)
    }

    public var key: Value
    /// The end of a range for concatenated interval sets (`NFTA_SET_ELEM_KEY_END`).
    public var keyEnd: Value?
    public var data: Data?
    /// Per-element timeout (the set needs `.timeout`).
    public var timeout: Duration?
    /// This element closes the previous range in an interval set (`NFT_SET_ELEM_INTERVAL_END`).
    public var isIntervalEnd: Bool

    public init(key: Value, keyEnd: Value? = nil, data: Data? = nil, timeout: Duration? = nil, isIntervalEnd: Bool = false) {
        self.key = key
        self.keyEnd = keyEnd
        self.data = data
        self.timeout = timeout
        self.isIntervalEnd = isIntervalEnd
    }

    /// A verdict-map element.
    public init(key: Value, verdict: Verdict, timeout: Duration? = nil) {
        self.init(key: key, data: .verdict(verdict), timeout: timeout)
    }

    /// A data-map element.
    public init(key: Value, value: Value, timeout: Duration? = nil) {
        self.init(key: key, data: .value(value), timeout: timeout)
    }

    /// An interval-set range `first...last` as the kernel stores it: the start element (carrying
    /// `data` for interval maps) and an interval-end element at `last + 1`, left out when `last` is the
    /// highest value.
    public static func range(_ first: Value, _ last: Value, data: Data? = nil) -> [SetElement] {
        var elements = [SetElement(key: first, data: data)]
        if let end = last.successor() {
            elements.append(SetElement(key: end, isIntervalEnd: true))
        }
        return elements
    }

    /// The range of a CIDR (`10.0.0.0/8`, `fd00::/64`) for an interval set; see ``range(_:_:data:)``.
    public static func network(_ cidr: String, data: Data? = nil) throws(NFTablesError) -> [SetElement] {
        let (address, length) = try Value.network(cidr)
        return range(address, address.lastInPrefix(length), data: data)
    }
}

/// A domain name as its labels, most specific first, without the root label: `web.default.svc.cluster.local.` is
/// `["web", "default", "svc", "cluster", "local"]`.
///
/// Labels are raw bytes as on the wire, and names compare and hash ignoring ASCII case (RFC 4343), so a name read
/// from a query matches the records whatever case the client used, while answers keep the client's spelling.
///
/// ```swift
/// let name = try DomainName("web.default.svc.cluster.local")
/// name.isSubdomain(of: try DomainName("cluster.local"))   // true
/// name.description                                         // "web.default.svc.cluster.local."
/// ```
public struct DomainName: Sendable, Hashable, CustomStringConvertible {
    /// The longest label (RFC 1035 §2.3.4).
    public static let maxLabelLength = 63
    /// The longest name in wire form, length octets and the root label included.
    public static let maxWireLength = 255

    public private(set) var labels: [[UInt8]]

    /// The root name `.`.
    public static let root = DomainName(checkedLabels: [])

    /// A name from its labels; throws when a label is empty or too long, or the name too long.
    public init(labels: [[UInt8]]) throws(ClusterDNSError) {
        for label in labels where label.isEmpty || label.count > Self.maxLabelLength {
            throw ClusterDNSError(.unencodable, "label of \(label.count) bytes in a domain name (1...63 allowed)")
        }
        self.labels = labels
        guard wireLength <= Self.maxWireLength else {
            throw ClusterDNSError(.unencodable, "domain name of \(wireLength) bytes (at most 255)")
        }
    }

    /// Labels already known to be valid (decoded from the wire, or a suffix of a valid name).
    init(checkedLabels: [[UInt8]]) { labels = checkedLabels }

    /// A name from its text form (`a.b.c` or `a.b.c.`; `.` is the root). Only `\.` and `\\` escapes are read:
    /// Kubernetes names never need more.
    public init(_ text: String) throws(ClusterDNSError) {
        if text == "." || text.isEmpty {
            self = .root
            return
        }
        var labels: [[UInt8]] = []
        var current: [UInt8] = []
        var escaped = false
        for byte in text.utf8 {
            if escaped {
                current.append(byte)
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: ".") {
                guard !current.isEmpty else { throw ClusterDNSError(.unencodable, "empty label in \"\(text)\"") }
                labels.append(current)
                current = []
            } else {
                current.append(byte)
            }
        }
        if !current.isEmpty { labels.append(current) }
        try self.init(labels: labels)
    }

    /// The length of the name in uncompressed wire form.
    public var wireLength: Int { labels.reduce(1) { $0 + 1 + $1.count } }

    public var isRoot: Bool { labels.isEmpty }

    /// The labels as lower-case strings, for matching against Kubernetes names.
    public var lowercasedLabels: [String] {
        labels.map { String(decoding: $0.map(Self.lowercase), as: UTF8.self) }
    }

    /// Whether this name is `zone` or below it.
    public func isSubdomain(of zone: DomainName) -> Bool {
        guard labels.count >= zone.labels.count else { return false }
        let offset = labels.count - zone.labels.count
        for (i, label) in zone.labels.enumerated() where !Self.equalIgnoringCase(labels[offset + i], label) { return false }
        return true
    }

    /// The labels above `zone` (which this name must be under): `a.b` for `a.b.cluster.local` in `cluster.local`.
    public func labels(above zone: DomainName) -> [[UInt8]] {
        Array(labels.prefix(labels.count - zone.labels.count))
    }

    /// This name's last `count` labels: the zone part as the client spelled it.
    public func suffix(_ count: Int) -> DomainName {
        DomainName(checkedLabels: Array(labels.suffix(count)))
    }

    /// `label.self`, if the result is still a valid name.
    public func prepending(_ label: String) throws(ClusterDNSError) -> DomainName {
        try DomainName(labels: [Array(label.utf8)] + labels)
    }

    /// The wire form of the lower-cased name: a key for compression tables and lookups.
    var canonicalWire: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(wireLength)
        for label in labels {
            bytes.append(UInt8(label.count))
            bytes.append(contentsOf: label.map(Self.lowercase))
        }
        bytes.append(0)
        return bytes
    }

    /// The presentation form with a trailing dot; dots, backslashes and unprintable bytes in labels escaped.
    public var description: String {
        if labels.isEmpty { return "." }
        var text = ""
        for label in labels {
            for byte in label {
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: "\\"):
                    text += "\\" + String(UnicodeScalar(byte))
                case 0x21...0x7E:
                    text.unicodeScalars.append(UnicodeScalar(byte))
                default:
                    let digits = String(byte)
                    text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
                }
            }
            text += "."
        }
        return text
    }

    public static func == (lhs: DomainName, rhs: DomainName) -> Bool {
        lhs.labels.count == rhs.labels.count && zip(lhs.labels, rhs.labels).allSatisfy { equalIgnoringCase($0, $1) }
    }

    public func hash(into hasher: inout Hasher) {
        for label in labels {
            hasher.combine(label.count)
            for byte in label { hasher.combine(Self.lowercase(byte)) }
        }
    }

    static func lowercase(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    static func equalIgnoringCase(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { lowercase($0) == lowercase($1) }
    }
}

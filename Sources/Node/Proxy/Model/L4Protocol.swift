/// The layer-4 protocol of a service port, as Kubernetes spells it (`TCP`, `UDP`, `SCTP`).
public enum L4Protocol: String, Hashable, Sendable, CaseIterable, Comparable {
    case tcp = "TCP"
    case udp = "UDP"
    case sctp = "SCTP"

    /// The protocol of a `ServicePort`/`EndpointPort`; `nil` (unset) means TCP as upstream defaults it.
    public init?(kubernetes value: String?) {
        guard let value else { self = .tcp; return }
        self.init(rawValue: value.uppercased())
    }

    /// The IANA protocol number (`inet_proto`).
    public var number: UInt8 {
        switch self {
        case .tcp: 6
        case .udp: 17
        case .sctp: 132
        }
    }

    /// Lower-case name used in chain names (`tcp`), as upstream's chain names do.
    public var lowercased: String { rawValue.lowercased() }

    public static func < (lhs: L4Protocol, rhs: L4Protocol) -> Bool { lhs.rawValue < rhs.rawValue }
}

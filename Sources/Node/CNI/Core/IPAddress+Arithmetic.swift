import LinuxSystem

extension IPAddress {
    /// The next address of the same family, wrapping at the end of its space (Go's `ip.NextIP`).
    var next: IPAddress {
        switch self {
        case .v4(let address): .v4(IPv4Address(value: address.value &+ 1))
        case .v6(let address): .v6(IPv6Address(value: address.value &+ 1))
        }
    }
}

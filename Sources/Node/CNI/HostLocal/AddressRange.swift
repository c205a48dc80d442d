import LinuxSystem

/// One allocatable range of host-local: a subnet with an inclusive `rangeStart`…`rangeEnd` and the
/// gateway never handed out.
///
/// Built by ``init(subnet:rangeStart:rangeEnd:gateway:)`` with the reference's defaults and checks:
/// the gateway defaults to the subnet's first host, the start to `.1`, the end to the last address
/// (minus the broadcast for IPv4); /31, /32, /127 and /128 are too small.
struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    let subnet: IPNetwork
    let rangeStart: IPAddress
    let rangeEnd: IPAddress
    let gateway: IPAddress

    /// Validates and fills in defaults; messages match the reference's where it has one. Code 7.
    init(subnet text: String?, rangeStart: String?, rangeEnd: String?, gateway: String?) throws(CNIError) {
        guard let text, !text.isEmpty else { throw CNIError(.invalidNetworkConfig, "missing subnet") }
        let subnet: IPNetwork
        do {
            subnet = try IPNetwork(parsing: text)
        } catch {
            throw CNIError(.invalidNetworkConfig, "invalid subnet \"\(text)\": \(error.reason)")
        }
        let width = subnet.address.bitWidth
        guard subnet.prefixLength <= width - 2 else {
            throw CNIError(.invalidNetworkConfig, "Network \(subnet) too small to allocate from")
        }
        guard subnet.address == subnet.network else {
            throw CNIError(
                .invalidNetworkConfig,
                "Network has host bits set. For a subnet mask of length \(subnet.prefixLength) the network address is \(subnet.network)")
        }
        self.subnet = subnet
        let firstHost = subnet.network.next
        self.gateway = try Self.address(gateway, field: "gateway", family: subnet) ?? firstHost

        let start = try Self.address(rangeStart, field: "rangeStart", family: subnet)
        if let start, !subnet.contains(start) {
            throw CNIError(.invalidNetworkConfig, "RangeStart \(start) not in network \(subnet)")
        }
        self.rangeStart = start ?? firstHost

        let end = try Self.address(rangeEnd, field: "rangeEnd", family: subnet)
        if let end, !subnet.contains(end) || end < self.rangeStart {
            throw CNIError(.invalidNetworkConfig, "RangeEnd \(end) not in network \(subnet)")
        }
        if let end {
            self.rangeEnd = end
        } else if case .v4(let broadcast) = subnet.broadcast {
            self.rangeEnd = .v4(IPv4Address(value: broadcast.value - 1))
        } else {
            self.rangeEnd = subnet.broadcast
        }
    }

    /// Whether `address` lies in the subnet and between start and end.
    func contains(_ address: IPAddress) -> Bool {
        subnet.contains(address) && rangeStart <= address && address <= rangeEnd
    }

    /// Whether two ranges of one family share an address.
    func overlaps(_ other: AddressRange) -> Bool {
        subnet.address.isIPv4 == other.subnet.address.isIPv4
            && (contains(other.rangeStart) || contains(other.rangeEnd)
                || other.contains(rangeStart) || other.contains(rangeEnd))
    }

    /// `start-end`, as the reference prints a range.
    var description: String { "\(rangeStart)-\(rangeEnd)" }

    private static func address(_ text: String?, field: String, family subnet: IPNetwork) throws(CNIError) -> IPAddress? {
        guard let text, !text.isEmpty else { return nil }
        guard let address = IPAddress(text), address.isIPv4 == subnet.address.isIPv4 else {
            throw CNIError(.invalidNetworkConfig, "invalid \(field) \"\(text)\" for subnet \(subnet)")
        }
        return address
    }
}

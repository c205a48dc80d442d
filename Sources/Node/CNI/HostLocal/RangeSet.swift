import LinuxSystem

/// A list of ranges of one address family that host-local treats as one pool; each range set yields
/// one address per ADD.
struct RangeSet: Sendable, Hashable, CustomStringConvertible {
    let ranges: [AddressRange]

    /// Checks the set is non-empty, of one family and free of overlaps (code 7).
    init(_ ranges: [AddressRange]) throws(CNIError) {
        guard let first = ranges.first else { throw CNIError(.invalidNetworkConfig, "empty range set") }
        guard ranges.allSatisfy({ $0.subnet.address.isIPv4 == first.subnet.address.isIPv4 }) else {
            throw CNIError(.invalidNetworkConfig, "mixed address families")
        }
        for (index, range) in ranges.enumerated() {
            for other in ranges[(index + 1)...] where range.overlaps(other) {
                throw CNIError(.invalidNetworkConfig, "subnets \(range) and \(other) overlap")
            }
        }
        self.ranges = ranges
    }

    /// The range holding `address`, if any.
    func range(for address: IPAddress) -> AddressRange? {
        ranges.first { $0.contains(address) }
    }

    func contains(_ address: IPAddress) -> Bool { range(for: address) != nil }

    func overlaps(_ other: RangeSet) -> Bool {
        ranges.contains { range in other.ranges.contains { range.overlaps($0) } }
    }

    /// `a-b,c-d`, as the reference prints a range set.
    var description: String { ranges.map(\.description).joined(separator: ",") }
}

import LinuxSystem

/// Picks addresses from one range set exactly as the reference's `IPAllocator` does: round-robin from
/// the address after `last_reserved_ip.<index>`, across the set's ranges, skipping each range's
/// gateway, until it comes back to where it started.
///
/// Call it only inside ``AllocationStore/withLock(_:)``.
struct AddressAllocator {
    let rangeSet: RangeSet
    let store: AllocationStore
    let index: Int

    /// Reserves `requested` or the next free address for the attachment, returning it with its prefix
    /// and the range's gateway.
    func allocate(containerID: String, ifName: String, requested: IPAddress?) throws(CNIError) -> CNIResult.IPConfig {
        if let requested {
            guard let range = rangeSet.range(for: requested) else {
                throw CNIError(.requestedAddressUnavailable, "\(requested) not in range set \(rangeSet)")
            }
            guard requested != range.gateway else {
                throw CNIError(.requestedAddressUnavailable, "requested ip \(requested) is subnet's gateway")
            }
            guard try store.reserve(requested, containerID: containerID, ifName: ifName, rangeSetIndex: index) else {
                throw CNIError(
                    .requestedAddressUnavailable, "requested IP address \(requested) is not available in range set \(rangeSet)")
            }
            return try config(requested, range)
        }
        for address in store.addresses(containerID: containerID, ifName: ifName) where rangeSet.contains(address) {
            throw CNIError(
                .duplicateAllocation, "\(address) has been allocated to \(containerID), duplicate allocation is not allowed")
        }
        var iterator = Iterator(rangeSet: rangeSet, lastReserved: store.lastReserved(rangeSetIndex: index))
        while let (address, range) = iterator.next() {
            if try store.reserve(address, containerID: containerID, ifName: ifName, rangeSetIndex: index) {
                return try config(address, range)
            }
        }
        throw CNIError(.addressesExhausted, "no IP addresses available in range set: \(rangeSet)")
    }

    private func config(_ address: IPAddress, _ range: AddressRange) throws(CNIError) -> CNIResult.IPConfig {
        do {
            return CNIResult.IPConfig(
                address: try IPNetwork(address: address, prefixLength: range.subnet.prefixLength), gateway: range.gateway)
        } catch {
            throw CNIError(.invalidNetworkConfig, error.description)
        }
    }

    /// The reference's `RangeIter`: yields candidates once each, starting after the last reservation.
    struct Iterator {
        let rangeSet: RangeSet
        var rangeIndex = 0
        var current: IPAddress?
        var start: IPAddress?

        init(rangeSet: RangeSet, lastReserved: IPAddress?) {
            self.rangeSet = rangeSet
            if let lastReserved, let index = rangeSet.ranges.firstIndex(where: { $0.contains(lastReserved) }) {
                rangeIndex = index
                current = lastReserved
            } else {
                start = rangeSet.ranges[0].rangeStart
            }
        }

        mutating func next() -> (IPAddress, AddressRange)? {
            while true {
                var range = rangeSet.ranges[rangeIndex]
                if let current {
                    if current == range.rangeEnd {
                        rangeIndex = (rangeIndex + 1) % rangeSet.ranges.count
                        range = rangeSet.ranges[rangeIndex]
                        self.current = range.rangeStart
                    } else {
                        self.current = current.next
                    }
                    if let start {
                        if self.current == start { return nil }
                    } else {
                        start = self.current
                    }
                } else {
                    current = range.rangeStart
                    start = range.rangeStart
                }
                guard let candidate = self.current else { return nil }
                if candidate != range.gateway { return (candidate, range) }
            }
        }
    }
}

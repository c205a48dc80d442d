import CMnl
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

extension RouteNetlink {
    /// Assigns `address` (with its prefix length) to `link` (`ip addr add 10.0.0.5/24 [brd B] dev LINK
    /// [nodad]`). `EEXIST` if the link already has it.
    ///
    /// - Parameters:
    ///   - broadcast: the IPv4 broadcast address; `nil` sets none (like `ip` without `brd`).
    ///   - noDAD: skip IPv6 duplicate address detection so the address is usable at once (`nodad`).
    public func addAddress(_ address: IPNetwork, to link: LinkReference, broadcast: IPAddress? = nil, noDAD: Bool = false) throws {
        let operation = "add address"
        let request = try addressRequest(RTM_NEWADDR, address, link, operation, flags: NLM_F_CREATE | NLM_F_EXCL, noDAD: noDAD)
        if let broadcast { request.put(IFA_BROADCAST, bytes: broadcast.bytes) }
        try execute(request, operation, "\(address) on \(link)")
    }

    /// Removes `address` from `link` (`ip addr del`). `EADDRNOTAVAIL` if the link does not have it.
    public func deleteAddress(_ address: IPNetwork, from link: LinkReference) throws {
        let operation = "delete address"
        try execute(try addressRequest(RTM_DELADDR, address, link, operation), operation, "\(address) on \(link)")
    }

    /// The addresses in the namespace, or only those on `link`, optionally of one family.
    public func addresses(on link: LinkReference? = nil, family: IPFamily? = nil) throws -> [InterfaceAddress] {
        let linkIndex = try link.map { try self.index(of: $0, for: "list addresses") }
        var info = ifaddrmsg()
        info.ifa_family = UInt8(family?.addressFamily ?? AF_UNSPEC)
        let replies = try dump(RTM_GETADDR, header: info, "list addresses")
        return replies.compactMap(InterfaceAddress.init).filter { address in
            (linkIndex == nil || address.linkIndex == linkIndex) && (family == nil || address.address.address.family == family)
        }
    }

    private func addressRequest(
        _ type: Int, _ address: IPNetwork, _ link: LinkReference, _ operation: String, flags: Int32 = 0, noDAD: Bool = false
    ) throws -> NetlinkRequest {
        let request = Self.request(type, flags: flags)
        var info = ifaddrmsg()
        info.ifa_family = UInt8(address.address.family.addressFamily)
        info.ifa_prefixlen = UInt8(address.prefixLength)
        info.ifa_index = UInt32(bitPattern: try index(of: link, for: operation))
        if noDAD { info.ifa_flags = UInt8(IFA_F_NODAD) }
        request.putHeader(info)
        request.put(IFA_LOCAL, bytes: address.address.bytes)
        request.put(IFA_ADDRESS, bytes: address.address.bytes)
        if noDAD { request.put(IFA_FLAGS, u32: UInt32(IFA_F_NODAD)) }
        return request
    }
}

extension IPFamily {
    /// `AF_INET` or `AF_INET6`.
    var addressFamily: Int32 { self == .v4 ? AF_INET : AF_INET6 }

    /// The family of `AF_INET` or `AF_INET6`; `nil` for anything else.
    init?(addressFamily: UInt8) {
        switch Int32(addressFamily) {
        case AF_INET: self = .v4
        case AF_INET6: self = .v6
        default: return nil
        }
    }
}

import CMnl
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

extension RouteNetlink {
    /// Adds `neighbour` (`ip neigh add`). `EEXIST` if there is already an entry for its address.
    public func addNeighbour(_ neighbour: Neighbour) throws {
        try execute(neighbourRequest(RTM_NEWNEIGH, neighbour, flags: NLM_F_CREATE | NLM_F_EXCL), "add neighbour", neighbour.address.description)
    }

    /// Adds `neighbour` or overwrites the entry for its address (`ip neigh replace`).
    public func replaceNeighbour(_ neighbour: Neighbour) throws {
        try execute(neighbourRequest(RTM_NEWNEIGH, neighbour, flags: NLM_F_CREATE | NLM_F_REPLACE), "replace neighbour", neighbour.address.description)
    }

    /// Deletes the entry for `address` on `link` (`ip neigh del`). `ENOENT` if there is none.
    public func deleteNeighbour(_ address: IPAddress, on link: LinkReference) throws {
        let operation = "delete neighbour"
        let neighbour = Neighbour(linkIndex: try index(of: link, for: operation), address: address, macAddress: nil, state: [])
        try execute(neighbourRequest(RTM_DELNEIGH, neighbour), operation, address.description)
    }

    /// The neighbour entries in the namespace, or only those on `link`, optionally of one family.
    public func neighbours(on link: LinkReference? = nil, family: IPFamily? = nil) throws -> [Neighbour] {
        let linkIndex = try link.map { try self.index(of: $0, for: "list neighbours") }
        var info = ndmsg()
        info.ndm_family = UInt8(family?.addressFamily ?? AF_UNSPEC)
        let replies = try dump(RTM_GETNEIGH, header: info, "list neighbours")
        return replies.compactMap(Neighbour.init).filter { neighbour in
            (linkIndex == nil || neighbour.linkIndex == linkIndex) && (family == nil || neighbour.address.family == family)
        }
    }

    private func neighbourRequest(_ type: Int, _ neighbour: Neighbour, flags: Int32 = 0) -> NetlinkRequest {
        let request = Self.request(type, flags: flags)
        var info = ndmsg()
        info.ndm_family = UInt8(neighbour.address.family.addressFamily)
        info.ndm_ifindex = neighbour.linkIndex
        info.ndm_state = neighbour.state.rawValue
        info.ndm_flags = neighbour.flags
        request.putHeader(info)
        request.put(NDA_DST, bytes: neighbour.address.bytes)
        if let mac = neighbour.macAddress { request.put(NDA_LLADDR, bytes: mac.bytes) }
        return request
    }
}

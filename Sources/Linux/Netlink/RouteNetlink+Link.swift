import CMnl
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

extension RouteNetlink {
    /// `RTM_*LINK` for `link` (family `AF_UNSPEC`): the index in the header, or the name as
    /// `IFLA_IFNAME` which the kernel looks up.
    static func linkRequest(_ type: Int, _ link: LinkReference, flags: Int32 = 0, change: (inout ifinfomsg) -> Void = { _ in }) -> NetlinkRequest {
        let request = Self.request(type, flags: flags)
        var info = ifinfomsg()
        if case .index(let index) = link { info.ifi_index = index }
        change(&info)
        request.putHeader(info)
        if case .name(let name) = link { request.put(IFLA_IFNAME, string: name) }
        return request
    }

    // MARK: Reading

    /// The interface `link` (`ENODEV` if there is none).
    public func link(_ link: LinkReference) throws -> Link {
        let replies = try execute(Self.linkRequest(RTM_GETLINK, link), "get link", link.description)
        guard let found = replies.lazy.compactMap(Link.init).first else {
            throw NetlinkError(errno: ENODEV, operation: "get link", subject: link.description)
        }
        return found
    }

    /// The interface named `name` (`ENODEV` if there is none).
    public func link(named name: String) throws -> Link { try link(.name(name)) }

    /// All interfaces in the namespace, by index.
    public func links() throws -> [Link] {
        try dump(RTM_GETLINK, header: ifinfomsg(), "list links").compactMap(Link.init).sorted { $0.index < $1.index }
    }

    /// The index of `link`, asking the kernel for it when `link` is a name.
    func index(of link: LinkReference, for operation: String) throws -> Int32 {
        switch link {
        case .index(let index):
            return index
        case .name(let name):
            do {
                return try self.link(named: name).index
            } catch let error as NetlinkError {
                throw NetlinkError(errno: error.errno, operation: operation, subject: name, kernelMessage: error.kernelMessage)
            }
        }
    }

    // MARK: Creating and deleting

    /// Creates a veth pair `name` ⇄ `peerName` (`ip link add NAME [address MAC] type veth peer name PEER`)
    /// and returns the new `name` end as the kernel echoes it (`NLM_F_ECHO`, kernels since 6.1), or `nil`
    /// when the kernel echoes nothing. Its ``Link/parentIndex`` is the peer's index in the peer's namespace.
    ///
    /// With `peerNamespace` the peer is created directly in that namespace (`peer netns`), the usual
    /// way to give a container its end without a separate move. `address` sets the `name` end's MAC.
    @discardableResult
    public func createVeth(
        named name: String, peerName: String, peerNamespace: NetworkNamespace? = nil, mtu: UInt32? = nil, address: MACAddress? = nil
    ) throws -> Link? {
        let request = Self.linkRequest(RTM_NEWLINK, .name(name), flags: NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO)
        if let mtu { request.put(IFLA_MTU, u32: mtu) }
        if let address { request.put(IFLA_ADDRESS, bytes: address.bytes) }
        request.nest(IFLA_LINKINFO) {
            request.put(IFLA_INFO_KIND, string: "veth")
            request.nest(IFLA_INFO_DATA) {
                request.nest(VETH_INFO_PEER) {
                    request.putHeader(ifinfomsg())
                    request.put(IFLA_IFNAME, string: peerName)
                    if let mtu { request.put(IFLA_MTU, u32: mtu) }
                    if let peerNamespace { request.put(IFLA_NET_NS_FD, u32: UInt32(bitPattern: peerNamespace.fileDescriptor)) }
                }
            }
        }
        let replies = try execute(request, "create veth", "\(name)/\(peerName)")
        return replies.lazy.compactMap(Link.init).first { $0.name == name }
    }

    /// Creates a bridge (`ip link add NAME type bridge [vlan_filtering 0|1]`), down, like `ip` does.
    public func createBridge(named name: String, mtu: UInt32? = nil, vlanFiltering: Bool? = nil) throws {
        let request = Self.linkRequest(RTM_NEWLINK, .name(name), flags: NLM_F_CREATE | NLM_F_EXCL)
        if let mtu { request.put(IFLA_MTU, u32: mtu) }
        request.nest(IFLA_LINKINFO) {
            request.put(IFLA_INFO_KIND, string: "bridge")
            if let vlanFiltering {
                request.nest(IFLA_INFO_DATA) { request.put(IFLA_BR_VLAN_FILTERING, u8: vlanFiltering ? 1 : 0) }
            }
        }
        try execute(request, "create bridge", name)
    }

    /// Deletes `link` (`ip link del`); deleting one end of a veth deletes both. `ENODEV` if absent.
    public func deleteLink(_ link: LinkReference) throws {
        try execute(Self.linkRequest(RTM_DELLINK, link), "delete link", link.description)
    }

    // MARK: Changing

    /// Brings `link` up (`ip link set LINK up`).
    public func setUp(_ link: LinkReference) throws { try setFlag(link, up: true) }

    /// Takes `link` down (`ip link set LINK down`).
    public func setDown(_ link: LinkReference) throws { try setFlag(link, up: false) }

    private func setFlag(_ link: LinkReference, up: Bool) throws {
        let request = Self.linkRequest(RTM_NEWLINK, link) { info in
            info.ifi_change = UInt32(IFF_UP)
            info.ifi_flags = up ? UInt32(IFF_UP) : 0
        }
        try execute(request, up ? "set link up" : "set link down", link.description)
    }

    /// Sets the MTU of `link`.
    public func setMTU(_ link: LinkReference, _ mtu: UInt32) throws {
        let request = Self.linkRequest(RTM_NEWLINK, link)
        request.put(IFLA_MTU, u32: mtu)
        try execute(request, "set mtu", link.description)
    }

    /// Sets the MAC address of `link`.
    public func setMACAddress(_ link: LinkReference, _ address: MACAddress) throws {
        let request = Self.linkRequest(RTM_NEWLINK, link)
        request.put(IFLA_ADDRESS, bytes: address.bytes)
        try execute(request, "set mac address", link.description)
    }

    /// Enslaves `link` to the bridge `master` (`ip link set LINK master MASTER`), or frees it when
    /// `master` is `nil` (`nomaster`); with `bringUp`, brings it up in the same request (`ip link set
    /// LINK master MASTER up`: the kernel enslaves first).
    public func setMaster(_ link: LinkReference, _ master: LinkReference?, bringUp: Bool = false) throws {
        let operation = master == nil ? "set nomaster" : "set master"
        let masterIndex = try master.map { try index(of: $0, for: operation) } ?? 0
        let request = Self.linkRequest(RTM_NEWLINK, link) { info in
            if bringUp {
                info.ifi_change = UInt32(IFF_UP)
                info.ifi_flags = UInt32(IFF_UP)
            }
        }
        request.put(IFLA_MASTER, u32: UInt32(bitPattern: masterIndex))
        try execute(request, operation, link.description)
    }

    /// Renames `link` to `newName`. Most drivers refuse while the link is up (`EBUSY`).
    public func rename(_ link: LinkReference, to newName: String) throws {
        let index = try index(of: link, for: "rename link")
        let request = Self.linkRequest(RTM_NEWLINK, .index(index))
        request.put(IFLA_IFNAME, string: newName)
        try execute(request, "rename link", "\(link) to \(newName)")
    }

    /// Moves `link` into `namespace` (`ip link set LINK netns NS`); it keeps its name there.
    public func move(_ link: LinkReference, to namespace: NetworkNamespace) throws {
        let request = Self.linkRequest(RTM_NEWLINK, link)
        request.put(IFLA_NET_NS_FD, u32: UInt32(bitPattern: namespace.fileDescriptor))
        try execute(request, "move link to netns", link.description)
    }
}

import CMnl
import LinuxSystem

/// The attributes of a received netlink message or nested attribute, parsed with libmnl
/// (`mnl_attr_parse`) and copied out, in order; a type may repeat.
struct NetlinkAttributes {
    private(set) var entries: [(type: Int, payload: [UInt8])] = []

    /// The attributes after the family header (of `headerSize` bytes) of the message in `message`.
    init(message: [UInt8], headerSize: Int) {
        message.withUnsafeBytes { raw in
            let header = raw.baseAddress!.assumingMemoryBound(to: nlmsghdr.self)
            withUnsafeMutablePointer(to: &entries) { entries in
                _ = mnl_attr_parse(header, UInt32(headerSize), collect, entries)
            }
        }
    }

    /// The attributes nested inside `payload`.
    init(nested payload: [UInt8]) {
        payload.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            withUnsafeMutablePointer(to: &entries) { entries in
                _ = mnl_attr_parse_payload(base, raw.count, collect, entries)
            }
        }
    }

    subscript(_ type: Int) -> [UInt8]? { entries.first { $0.type == type }?.payload }

    /// Every attribute of `type`, in order.
    func all(_ type: Int) -> [[UInt8]] { entries.filter { $0.type == type }.map(\.payload) }

    func u8(_ type: Int) -> UInt8? { self[type]?.first }
    func u32(_ type: Int) -> UInt32? { integer(type) }
    func i32(_ type: Int) -> Int32? { integer(type) }

    /// A NUL-terminated string attribute.
    func string(_ type: Int) -> String? {
        self[type].map { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    func nested(_ type: Int) -> NetlinkAttributes? { self[type].map(NetlinkAttributes.init(nested:)) }
    func ipAddress(_ type: Int) -> IPAddress? { self[type].flatMap { IPAddress(bytes: $0) } }
    func macAddress(_ type: Int) -> MACAddress? { self[type].flatMap { MACAddress(bytes: $0) } }

    private func integer<T: FixedWidthInteger>(_ type: Int) -> T? {
        guard let payload = self[type], payload.count >= MemoryLayout<T>.size else { return nil }
        return payload.withUnsafeBytes { $0.loadUnaligned(as: T.self) }
    }
}

/// `mnl_attr_cb_t` appending each attribute to the `[(Int, [UInt8])]` behind `data`.
private func collect(_ attribute: UnsafePointer<nlattr>?, _ data: UnsafeMutableRawPointer?) -> Int32 {
    guard let attribute, let data else { return MNL_CB_ERROR }
    let payload = UnsafeRawBufferPointer(
        start: mnl_attr_get_payload(attribute), count: Int(mnl_attr_get_payload_len(attribute)))
    data.assumingMemoryBound(to: [(type: Int, payload: [UInt8])].self)
        .pointee.append((Int(mnl_attr_get_type(attribute)), Array(payload)))
    return MNL_CB_OK
}

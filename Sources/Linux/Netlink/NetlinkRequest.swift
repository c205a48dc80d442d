import CMnl
#if canImport(Glibc)
import Glibc
#endif

/// One netlink request message under construction, built with libmnl into a private buffer.
///
/// The family header (`ifinfomsg`, `rtmsg`, …) goes first with ``putHeader(_:)``, then attributes;
/// ``nest(_:_:)`` opens a nested attribute (libmnl marks it `NLA_F_NESTED`).
final class NetlinkRequest {
    private static let capacity = 8192
    private let buffer: UnsafeMutableRawPointer
    private let header: UnsafeMutablePointer<nlmsghdr>

    init(type: Int, flags: Int32) {
        buffer = .allocate(byteCount: Self.capacity, alignment: 8)
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: Self.capacity)
        header = mnl_nlmsg_put_header(buffer)
        header.pointee.nlmsg_type = UInt16(type)
        header.pointee.nlmsg_flags = UInt16(NLM_F_REQUEST | flags)
    }

    deinit { buffer.deallocate() }

    /// The sequence number the reply must carry.
    var sequence: UInt32 {
        get { header.pointee.nlmsg_seq }
        set { header.pointee.nlmsg_seq = newValue }
    }

    /// Appends a fixed-size C struct (family header, or the `ifinfomsg` inside `VETH_INFO_PEER`).
    func putHeader<Header>(_ value: Header) {
        precondition(Int(header.pointee.nlmsg_len) + MemoryLayout<Header>.size <= Self.capacity, "netlink request overflow")
        let tail = mnl_nlmsg_put_extra_header(header, MemoryLayout<Header>.size)!
        withUnsafeBytes(of: value) { tail.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    func put(_ type: Int, bytes: [UInt8]) {
        let fits = bytes.withUnsafeBytes { mnl_attr_put_check(header, Self.capacity, UInt16(type), $0.count, $0.baseAddress) }
        precondition(fits, "netlink request overflow")
    }

    func put(_ type: Int, u8 value: UInt8) { put(type, bytes: [value]) }
    func put(_ type: Int, u16 value: UInt16) { withUnsafeBytes(of: value) { put(type, bytes: Array($0)) } }
    func put(_ type: Int, u32 value: UInt32) { withUnsafeBytes(of: value) { put(type, bytes: Array($0)) } }

    /// A NUL-terminated string attribute.
    func put(_ type: Int, string: String) { put(type, bytes: Array(string.utf8) + [0]) }

    /// Wraps the attributes `body` adds in a nested attribute of `type`.
    func nest(_ type: Int, _ body: () -> Void) {
        let start = mnl_attr_nest_start_check(header, Self.capacity, UInt16(type))
        precondition(start != nil, "netlink request overflow")
        body()
        mnl_attr_nest_end(header, start)
    }

    /// The finished message, exactly as it goes on the wire.
    var bytes: [UInt8] {
        Array(UnsafeRawBufferPointer(start: buffer, count: Int(header.pointee.nlmsg_len)))
    }
}

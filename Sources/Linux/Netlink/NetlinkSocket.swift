/// The seam under ``RouteNetlink``: something that sends netlink request datagrams and returns the
/// kernel's reply datagrams.
///
/// ``KernelNetlinkSocket`` is the real one; unit tests substitute a fake that records the exact bytes
/// sent and answers with canned replies.
public protocol NetlinkSocket: AnyObject {
    /// The netlink port id replies are addressed to (`0` lets any reply through).
    var portID: UInt32 { get }
    /// Sends one datagram holding one or more complete netlink messages.
    func send(_ datagram: [UInt8]) throws
    /// Blocks until the next datagram arrives and returns it.
    func receive() throws -> [UInt8]
}

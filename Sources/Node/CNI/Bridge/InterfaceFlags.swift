#if canImport(Glibc)
import Glibc
#endif

/// Interface flags rtnetlink's wrapper does not expose yet, set the classic way (`SIOCSIFFLAGS` on a
/// datagram socket, which belongs to the calling thread's network namespace).
enum InterfaceFlags {
    /// Turns on promiscuous mode for `name` (`ip link set NAME promisc on`).
    static func setPromiscuous(_ name: String) throws(CNIError) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failure("socket", name) }
        defer { close(fd) }
        var request = ifreq()
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { buffer in
            for (index, byte) in name.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
        }
        guard ioctl(fd, UInt(SIOCGIFFLAGS), &request) == 0 else { throw failure("SIOCGIFFLAGS", name) }
        request.ifr_ifru.ifru_flags |= Int16(IFF_PROMISC)
        guard ioctl(fd, UInt(SIOCSIFFLAGS), &request) == 0 else { throw failure("SIOCSIFFLAGS", name) }
    }

    private static func failure(_ operation: String, _ name: String) -> CNIError {
        CNIError(.networkSetupFailure, "bridge: failed to set \(name) promiscuous", details: "\(operation): \(String(cString: strerror(errno)))")
    }
}

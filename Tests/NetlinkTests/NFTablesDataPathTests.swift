#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LinuxSystem
import NFTables
import Testing

/// A packet actually follows the rules: a client namespace DNATs a virtual service address to a server
/// in a second namespace over a veth pair, and a TCP connection gets through.
@Suite struct NFTablesDataPathTests {
    @Test func tcpConnectThroughDNAT() throws {
        try withNFTablesNamespace { socket, client in
            try withThrowawayNetworkNamespaceNamed { server, serverName in
                let clientName = String(client.path.split(separator: "/").last!)
                try ip(["-n", clientName, "link", "add", "nft-c", "type", "veth", "peer", "name", "nft-s", "netns", serverName])
                try ip(["-n", clientName, "addr", "add", "10.200.0.1/24", "dev", "nft-c"])
                try ip(["-n", clientName, "link", "set", "nft-c", "up"])
                try ip(["-n", clientName, "route", "add", "default", "via", "10.200.0.2"])
                try ip(["-n", serverName, "addr", "add", "10.200.0.2/24", "dev", "nft-s"])
                try ip(["-n", serverName, "link", "set", "nft-s", "up"])

                let listener = try server.run { try listen(on: "10.200.0.2", port: 8080) }
                defer { close(listener) }

                let table = Table("svc", family: .ip)
                let output = Chain("output", in: table, hook: .init(.nat, .output, priority: Chain.Priority.dstnat))
                var tx = Transaction()
                tx.add(table)
                tx.add(output)
                tx.add(Rule(in: output, try Expr.match(.payload(.ipDaddr), .equal, .ipv4("10.96.0.1"))
                    + Expr.destinationPort(80, proto: .tcp) + [.counter] + Expr.dnat(to: try .ipv4("10.200.0.2"), port: 8080)))
                try socket.commit(tx)

                let connected = try client.run { try connect(to: "10.96.0.1", port: 80) }
                defer { close(connected) }
                var peer = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                _ = withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(connected, $0, &length) }
                }
                #expect(UInt16(bigEndian: peer.sin_port) == 80, "the client still sees the service address")
                let accepted = accept(listener, nil, nil)
                #expect(accepted >= 0)
                if accepted >= 0 { close(accepted) }
            }
        }
    }
}

/// A second throwaway namespace, with its name for `ip -n`.
private func withThrowawayNetworkNamespaceNamed(_ body: (NetworkNamespace, String) throws -> Void) throws {
    let name = "swt-nft-\(String(UInt32.random(in: .min ... .max), radix: 16))"
    let namespace = try NetworkNamespace.create(named: name)
    defer { try? NetworkNamespace.delete(named: name) }
    try body(namespace, name)
}

/// Runs `ip ARGS` (test setup inside throwaway namespaces only).
private func ip(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw SystemError(errno: EINVAL, operation: "ip", context: arguments.joined(separator: " "))
    }
}

private func address(_ text: String, port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    inet_pton(AF_INET, text, &address.sin_addr)
    return address
}

private func listen(on host: String, port: UInt16) throws -> Int32 {
    let fd = try SystemError.check(socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0), "socket")
    var local = address(host, port: port)
    let bound = withUnsafePointer(to: &local) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    try SystemError.check(bound, "bind", context: "\(host):\(port)")
    try SystemError.check(Glibc.listen(fd, 4), "listen")
    return fd
}

private func connect(to host: String, port: UInt16) throws -> Int32 {
    let fd = try SystemError.check(socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0), "socket")
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var remote = address(host, port: port)
    let result = withUnsafePointer(to: &remote) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if result != 0 {
        let error = SystemError.lastError("connect", context: "\(host):\(port)")
        close(fd)
        throw error
    }
    return fd
}

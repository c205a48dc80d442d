import Foundation
import LinuxSystem
import Netlink

/// TCP reachability checks between throwaway namespaces, run with Debian's python3 under
/// `ip netns exec` so no thread of the test process changes namespace.
enum TrafficProbe {
    static let python = "/usr/bin/python3"

    /// A server in `namespace` on `port` that answers each of `connections` clients with
    /// `"<name> <peer address>"` and exits (after `timeout` seconds without a client at the latest).
    static func serve(in namespace: NetworkNamespace, port: Int, connections: Int, name: String = "pod", timeout: Int = 20) async -> PluginProcess.Output {
        let script = """
            import socket, sys
            family = socket.AF_INET6
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::", \(port))); s.listen(16); s.settimeout(\(timeout))
            for _ in range(\(connections)):
                c, a = s.accept()
                peer = a[0][7:] if a[0].startswith("::ffff:") else a[0]
                c.sendall(("\(name) " + peer + "\\n").encode()); c.close()
            """
        return await inNamespace(namespace, [python, "-c", script])
    }

    /// Connects from `namespace` to `address`:`port` (retrying refusals for up to two seconds while a
    /// server starts) and returns the server's line, or `"ERR <reason>"`.
    static func connect(from namespace: NetworkNamespace, to address: String, port: Int) async -> String {
        let script = """
            import socket, time
            deadline = time.time() + 2
            while True:
                try:
                    s = socket.create_connection(("\(address)", \(port)), timeout=2)
                    print(s.recv(200).decode().strip()); break
                except ConnectionRefusedError as e:
                    if time.time() > deadline: print("ERR refused"); break
                    time.sleep(0.05)
                except Exception as e:
                    print("ERR " + type(e).__name__); break
            """
        return await inNamespace(namespace, [python, "-c", script]).text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A UDP server in `namespace` on `port` that answers each of `datagrams` datagrams with
    /// `"<name> <peer address>"` and exits (after `timeout` seconds without one at the latest).
    static func serveUDP(in namespace: NetworkNamespace, port: Int, datagrams: Int, name: String = "pod", timeout: Int = 20) async -> PluginProcess.Output {
        let script = """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("0.0.0.0", \(port))); s.settimeout(\(timeout))
            for _ in range(\(datagrams)):
                data, a = s.recvfrom(200)
                s.sendto(("\(name) " + a[0]).encode(), a)
            """
        return await inNamespace(namespace, [python, "-c", script])
    }

    /// Sends a datagram from `namespace`'s `sourcePort` to `address`:`port` and returns the answer, or
    /// `"ERR <reason>"`; refusals and silence are retried (0.1 s apart) for up to `retryFor` seconds.
    static func sendUDP(from namespace: NetworkNamespace, to address: String, port: Int, sourcePort: Int, retryFor: Double = 0) async -> String {
        let script = """
            import socket, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", \(sourcePort))); s.connect(("\(address)", \(port))); s.settimeout(0.5)
            deadline = time.time() + \(retryFor)
            while True:
                try:
                    s.send(b"ping"); print(s.recv(200).decode().strip()); break
                except Exception as e:
                    if time.time() > deadline: print("ERR " + type(e).__name__); break
                    time.sleep(0.1)
            """
        return await inNamespace(namespace, [python, "-c", script]).text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Connects a veth from `host` to a fresh `client` namespace: `hostSide` in `host` with
    /// `hostAddress`, `eth0` in `client` with `clientAddress` and a default route via `hostAddress`.
    static func attachClient(_ client: NetworkNamespace, to host: NetworkNamespace, hostSide: String, hostAddress: IPNetwork, clientAddress: IPNetwork) throws {
        try host.run {
            let netlink = try RouteNetlink()
            try netlink.createVeth(named: hostSide, peerName: "eth0", peerNamespace: client, mtu: nil)
            try netlink.addAddress(hostAddress, to: .name(hostSide))
            try netlink.setUp(.name(hostSide))
        }
        try client.run {
            let netlink = try RouteNetlink()
            try netlink.setUp(.name("lo"))
            try netlink.addAddress(clientAddress, to: .name("eth0"))
            try netlink.setUp(.name("eth0"))
            let any = IPNetwork(hostAddress.address.isIPv4 ? "0.0.0.0/0" : "::/0")!
            try netlink.addRoute(Netlink.Route(destination: any, gateway: hostAddress.address))
        }
    }

    /// Runs `command` inside `namespace` through `ip netns exec`.
    static func inNamespace(_ namespace: NetworkNamespace, _ command: [String], environment: [String: String] = [:], stdin: String = "") async -> PluginProcess.Output {
        var full = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        full.merge(environment) { _, new in new }
        return await PluginProcess(path: "/usr/sbin/ip", arguments: ["netns", "exec", namespace.name ?? namespace.path] + command).run(full, stdin: stdin)
    }
}

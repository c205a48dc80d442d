import Foundation
import LinuxSystem
import TestSupport

/// A node network namespace with a bridge (`10.244.0.1/24`), pod namespaces behind it running busybox
/// `httpd` servers that answer their own name (and `/cgi-bin/ip` the client address they see), and a
/// client namespace linked to the node (`192.168.77.2` → node `192.168.77.1`).
///
/// Everything lives in namespaces the test created; `shutDown()` stops the servers and deletes them.
final class Topology: @unchecked Sendable {
    static let nodeAddress = "192.168.77.1"
    static let clientAddress = "192.168.77.2"
    static let gateway = "10.244.0.1"
    /// The IPv6 side of the same wiring (dual-stack): node `fd00:77::1`, client `fd00:77::2`, pods `fd00:10:244::11`…
    static let nodeAddress6 = "fd00:77::1"
    static let clientAddress6 = "fd00:77::2"
    static let gateway6 = "fd00:10:244::1"

    let node: NetworkNamespace
    let client: NetworkNamespace
    let pods: [NetworkNamespace]
    private var servers: [Process] = []
    private let directory: String

    /// Lines of the paced `/cgi-bin/slow` response, and its size in bytes.
    static let slowLines = 30
    static var slowResponseSize: Int { (1...slowLines).map { "chunk-\($0)\n".utf8.count }.reduce(0, +) }

    /// The port of the pods' UDP responders.
    static let udpPort: UInt16 = 9000
    static let udpResponder = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 9000))
        while True:
            data, peer = s.recvfrom(512)
            s.sendto(sys.argv[1].encode(), peer)
        """
    static let udpClient = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(sys.argv[3])))
        s.settimeout(1)
        s.sendto(b"ping", (sys.argv[1], int(sys.argv[2])))
        try:
            print(s.recvfrom(512)[0].decode())
        except socket.timeout:
            print("!timeout")
        """

    /// Pod `index`'s address (`10.244.0.11`, `.12`, …).
    static func podAddress(_ index: Int) -> String { "10.244.0.\(11 + index)" }
    /// Pod `index`'s IPv6 address (`fd00:10:244::11`, …).
    static func podAddress6(_ index: Int) -> String { "fd00:10:244::\(11 + index)" }
    /// What pod `index` answers.
    static func podName(_ index: Int) -> String { "pod-\(index)" }
    /// The names of pods 0…7, so an answer maps back to its pod index.
    static let podNames = (0..<8).map(podName)

    private init(node: NetworkNamespace, client: NetworkNamespace, pods: [NetworkNamespace]) {
        self.node = node
        self.client = client
        self.pods = pods
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-proxy-\(UUID().uuidString.prefix(8))").path
    }

    /// Builds the topology with `podCount` pods, runs `body`, and always tears it down.
    static func with<R>(pods podCount: Int = 3, isolation: isolated (any Actor)? = #isolation,
                        _ body: (Topology) async throws -> R) async throws -> R {
        var created: [NetworkNamespace] = []
        var topology: Topology?
        defer {
            topology?.stopServers()
            for namespace in created { try? NetworkNamespace.delete(path: namespace.path) }
        }
        for prefix in ["swt-pxn", "swt-pxc"] + (0..<podCount).map({ _ in "swt-pxpod" }) {
            created.append(try NetworkNamespace.create(named: uniqueName(prefix)))
        }
        let built = Topology(node: created[0], client: created[1], pods: Array(created[2...]))
        topology = built
        try await built.wire()
        return try await body(built)
    }

    private func ip(_ arguments: String) async throws {
        let result = try await runCommand("/usr/sbin/ip", arguments.split(separator: " ").map(String.init))
        guard result.status == 0 else { throw TestSupportError("ip \(arguments): \(result)") }
    }

    private func wire() async throws {
        let n = shortName(node), c = shortName(client)
        try await ip("-n \(n) link set lo up")
        try await ip("-n \(n) link add br0 type bridge")
        try await ip("-n \(n) addr add \(Self.gateway)/24 dev br0")
        try await ip("-n \(n) link set br0 up")
        _ = try await runCommand("/usr/sbin/ip", ["netns", "exec", n, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
        _ = try await runCommand("/usr/sbin/ip", ["netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"])
        try await ip("-n \(n) addr add \(Self.gateway6)/64 dev br0 nodad")
        for (index, pod) in pods.enumerated() {
            let p = shortName(pod)
            try await ip("-n \(n) link add vp\(index) type veth peer name eth0 netns \(p)")
            try await ip("-n \(n) link set vp\(index) master br0 up")
            // What the bridge CNI plugin does with hairpinMode: a pod reaching itself through a Service
            // leaves on the port it came in on (br_netfilter bridges the DNATed frame).
            try await ip("-n \(n) link set vp\(index) type bridge_slave hairpin on")
            try await ip("-n \(p) link set lo up")
            try await ip("-n \(p) addr add \(Self.podAddress(index))/24 dev eth0")
            try await ip("-n \(p) link set eth0 up")
            try await ip("-n \(p) route add default via \(Self.gateway)")
            try await ip("-n \(p) addr add \(Self.podAddress6(index))/64 dev eth0 nodad")
            try await ip("-n \(p) -6 route add default via \(Self.gateway6)")
        }
        try await ip("-n \(n) link add vc type veth peer name eth0 netns \(c)")
        try await ip("-n \(n) addr add \(Self.nodeAddress)/24 dev vc")
        try await ip("-n \(n) link set vc up")
        try await ip("-n \(c) link set lo up")
        try await ip("-n \(c) addr add \(Self.clientAddress)/24 dev eth0")
        try await ip("-n \(c) link set eth0 up")
        try await ip("-n \(c) route add default via \(Self.nodeAddress)")
        try await ip("-n \(n) addr add \(Self.nodeAddress6)/64 dev vc nodad")
        try await ip("-n \(c) addr add \(Self.clientAddress6)/64 dev eth0 nodad")
        try await ip("-n \(c) -6 route add default via \(Self.nodeAddress6)")
        // Destinations the node does not know (a ClusterIP nobody DNATs) go towards the client, as they
        // would go to a node's default gateway.
        try await ip("-n \(n) route add default via \(Self.clientAddress)")
        try await ip("-n \(n) -6 route add default via \(Self.clientAddress6)")
        try startServers()
        for index in pods.indices { try await waitForServer(index) }
    }

    private func startServers() throws {
        for (index, pod) in pods.enumerated() {
            let root = "\(directory)/\(index)"
            try FileManager.default.createDirectory(atPath: root + "/cgi-bin", withIntermediateDirectories: true)
            try "\(Self.podName(index))\n".write(toFile: root + "/index.html", atomically: true, encoding: .utf8)
            let cgi = root + "/cgi-bin/ip"
            try "#!/bin/sh\necho 'Content-Type: text/plain'\necho\necho \"$REMOTE_ADDR\"\n".write(toFile: cgi, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: cgi)
            // A response the server itself paces (one line every 0.1 s for 3 s), for streams that must outlive a change.
            let slow = root + "/cgi-bin/slow"
            try "#!/bin/sh\necho 'Content-Type: text/plain'\necho\nfor i in $(seq 1 \(Self.slowLines)); do echo chunk-$i; sleep 0.1; done\n"
                .write(toFile: slow, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: slow)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", shortName(pod), "busybox", "httpd", "-f", "-p", "8080", "-h", root]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            servers.append(process)
            // A UDP responder on 9000 answering every datagram with the pod's name.
            let udp = Process()
            udp.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            udp.arguments = ["netns", "exec", shortName(pod), "python3", "-c", Self.udpResponder, Self.podName(index)]
            udp.standardOutput = FileHandle.nullDevice
            udp.standardError = FileHandle.nullDevice
            try udp.run()
            servers.append(udp)
        }
    }

    private func waitForServer(_ index: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let answer = try await curl(from: pods[index], "http://127.0.0.1:8080/")
            let udpAnswer = try await udpExchange(from: pods[index], "127.0.0.1", port: Self.udpPort, sourcePort: 40999)
            if answer == Self.podName(index), udpAnswer == Self.podName(index) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("pod \(index) server did not start")
    }

    private func stopServers() {
        // SIGKILL: busybox httpd started through `ip netns exec` does not always act on SIGTERM.
        for server in servers where server.isRunning {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        servers = []
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The client address a pod saw (busybox httpd reports IPv4 clients as `[::ffff:a.b.c.d]`).
    func clientAddressSeen(from namespace: NetworkNamespace, _ url: String) async throws -> String? {
        try await curl(from: namespace, url).map { $0.replacingOccurrences(of: "[::ffff:", with: "").replacingOccurrences(of: "]", with: "") }
    }

    /// One HTTP GET from `namespace`: the body trimmed, or nil if it failed.
    func curl(from namespace: NetworkNamespace, _ url: String, timeout: Int = 2) async throws -> String? {
        let result = try await runCommand("/usr/sbin/ip", ["netns", "exec", shortName(namespace), "curl", "-s", "-m", "\(timeout)", url])
        return result.status == 0 ? result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    /// One datagram from `namespace` to `address:port`, sent from `sourcePort` (the same source port each time
    /// keeps the same conntrack entry): the answer, or "!timeout" after a second.
    func udpExchange(from namespace: NetworkNamespace, _ address: String, port: UInt16, sourcePort: UInt16) async throws -> String {
        let result = try await runCommand("/usr/sbin/ip", ["netns", "exec", shortName(namespace), "python3", "-c", Self.udpClient,
                                                           address, "\(port)", "\(sourcePort)"])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `count` GETs from `namespace`, each on a new connection; the bodies (failed requests as "!exit-code").
    func curlMany(from namespace: NetworkNamespace, _ url: String, count: Int) async throws -> [String] {
        let script = "for i in $(seq \(count)); do curl -s -m 2 \(url) || echo \"!$?\"; done"
        let result = try await runCommand("/usr/sbin/ip", ["netns", "exec", shortName(namespace), "sh", "-c", script], timeout: 120)
        return result.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Starts a download from `namespace` in the background; curl prints the number of bytes received into its
    /// log file when it ends.
    /// Spawned and reaped through PeerDaemon (posix_spawn + waitpid), not Foundation's Process, whose
    /// child monitoring can report a running child as gone.
    func startDownload(from namespace: NetworkNamespace, _ url: String) throws -> PeerDaemon {
        let download = try PeerDaemon(name: "download")
        try download.start("/usr/sbin/ip", ["netns", "exec", shortName(namespace), "curl", "-s", "-o", "/dev/null", "-w", "%{size_download}",
                                            "-m", "30", url])
        return download
    }

    /// curl's exit code and how long it took.
    func curlStatus(from namespace: NetworkNamespace, _ url: String) async throws -> (status: Int32, elapsed: Duration) {
        let started = ContinuousClock.now
        let result = try await runCommand("/usr/sbin/ip", ["netns", "exec", shortName(namespace), "curl", "-s", "-m", "5", url])
        return (result.status, ContinuousClock.now - started)
    }
}

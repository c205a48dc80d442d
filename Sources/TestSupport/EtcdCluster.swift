import Foundation

/// Real etcd members (Debian's etcd-server) on free loopback ports, each a `PeerDaemon` with a throwaway data
/// directory; `stop()` ends them all and removes their directories, so call it in a `defer`.
///
/// ```swift
/// let etcd = try await EtcdCluster(members: 3)
/// defer { etcd.stop() }
/// let store = "etcd://" + etcd.clientEndpoints.joined(separator: ",")
/// ```
public final class EtcdCluster: @unchecked Sendable {
    public let members: [PeerDaemon]
    /// `127.0.0.1:PORT` per member, in member order.
    public let clientEndpoints: [String]

    /// The `--store` argument naming every member.
    public var storeArgument: String { "etcd://" + clientEndpoints.joined(separator: ",") }

    /// Starts `members` members forming one new cluster and waits until each serves clients.
    public init(members count: Int = 1, executable: String = "/usr/bin/etcd") async throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestSupportError("\(executable) is not installed (etcd-server in hack/install-deps.sh)")
        }
        let ports = try freeLoopbackPorts(2 * count)
        let token = "swiftlet-\(UUID().uuidString.prefix(8))"
        let names = (0..<count).map { "m\($0)" }
        let cluster = (0..<count).map { "\(names[$0])=http://127.0.0.1:\(ports[2 * $0 + 1])" }.joined(separator: ",")
        var members: [PeerDaemon] = []
        clientEndpoints = (0..<count).map { "127.0.0.1:\(ports[2 * $0])" }
        do {
            for index in 0..<count {
                let daemon = try PeerDaemon(name: "etcd-\(names[index])")
                members.append(daemon)
                let client = "http://\(clientEndpoints[index])", peer = "http://127.0.0.1:\(ports[2 * index + 1])"
                try daemon.start(executable, [
                    "--name", names[index], "--data-dir", daemon.directory + "/data",
                    "--listen-client-urls", client, "--advertise-client-urls", client,
                    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                    "--initial-cluster", cluster, "--initial-cluster-state", "new", "--initial-cluster-token", token,
                    "--logger", "zap", "--log-outputs", "stderr",
                ])
            }
            self.members = members
            for member in members { try await Self.waitUntilServing(member) }
        } catch {
            for member in members { member.stop() }
            throw error
        }
    }

    /// Waits for the member's "serving client traffic" log line.
    private static func waitUntilServing(_ member: PeerDaemon, timeout: Duration = .seconds(30)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let log = try? String(contentsOfFile: member.logFile, encoding: .utf8), log.contains("serving client traffic") { return }
            guard member.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("etcd did not start serving; its log:\n\(member.logTail)")
    }

    /// SIGKILL of one member, as a crash.
    public func kill(member index: Int) { members[index].kill() }

    /// Ends every member and removes the data directories.
    public func stop() { for member in members { member.stop() } }

    deinit { stop() }
}

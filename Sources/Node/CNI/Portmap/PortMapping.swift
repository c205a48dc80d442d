import LinuxSystem
import NFTables

/// One entry of `runtimeConfig.portMappings` (the `portMappings` capability, CNI CONVENTIONS.md):
/// traffic to `hostPort` (on `hostIP`, or on every local address) goes to `containerPort` in the pod.
///
///     {"hostPort": 8080, "containerPort": 80, "protocol": "tcp", "hostIP": "192.0.2.1"}
public struct PortMapping: Sendable, Hashable, Codable {
    public var hostPort: Int
    public var containerPort: Int
    /// `tcp`, `udp` or `sctp` (case-insensitive, as runtimes send `TCP`).
    public var `protocol`: String
    public var hostIP: String?

    public init(hostPort: Int, containerPort: Int, protocol: String = "tcp", hostIP: String? = nil) {
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.protocol = `protocol`
        self.hostIP = hostIP
    }

    private enum CodingKeys: String, CodingKey { case hostPort, containerPort, `protocol`, hostIP }

    /// Decodes an entry; an absent `protocol` means TCP.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        hostPort = try container.decode(Int.self, forKey: .hostPort)
        containerPort = try container.decode(Int.self, forKey: .containerPort)
        `protocol` = try container.decodeIfPresent(String.self, forKey: .protocol) ?? "tcp"
        hostIP = try container.decodeIfPresent(String.self, forKey: .hostIP)
    }

    /// The layer-4 protocol as nftables matches it; anything else is code 7.
    func protocolValue() throws(CNIError) -> Value {
        switch `protocol`.lowercased() {
        case "tcp", "": .tcp
        case "udp": .udp
        case "sctp": .sctp
        default: throw CNIError(.invalidNetworkConfig, "portmap: unknown protocol \"\(`protocol`)\"")
        }
    }

    /// The parsed `hostIP`; `nil` when absent or empty. An unparsable one is code 7.
    func parsedHostIP() throws(CNIError) -> IPAddress? {
        guard let hostIP, !hostIP.isEmpty else { return nil }
        guard let address = IPAddress(hostIP) else {
            throw CNIError(.invalidNetworkConfig, "portmap: invalid hostIP \"\(hostIP)\"")
        }
        return address
    }

    /// Checks the ports (1–65535) and the protocol, as the reference's `parseConfig` does.
    func validate() throws(CNIError) {
        guard (1...65535).contains(containerPort) else {
            throw CNIError(.invalidNetworkConfig, "portmap: Invalid container port number: \(containerPort)")
        }
        guard (1...65535).contains(hostPort) else {
            throw CNIError(.invalidNetworkConfig, "portmap: Invalid host port number: \(hostPort)")
        }
        _ = try protocolValue()
        _ = try parsedHostIP()
    }
}

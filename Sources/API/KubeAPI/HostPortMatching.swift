/// A host port a pod asks for: protocol, host IP (`0.0.0.0` when unset) and port — what the scheduler's NodePorts
/// filter and the kubelet's admission compare between the pods of one node.
public struct HostPort: Sendable, Hashable {
    public var `protocol`: String
    public var ip: String
    public var port: Int32

    public init(protocol: String, ip: String, port: Int32) {
        self.protocol = `protocol`
        self.ip = ip
        self.port = port
    }

    /// Upstream's `HostPortInfo.CheckConflict`: the same protocol and port, and either address a wildcard or both equal.
    public func conflicts(with other: HostPort) -> Bool {
        guard port == other.port, self.protocol == other.protocol else { return false }
        return ip == "0.0.0.0" || other.ip == "0.0.0.0" || ip == other.ip || ip == "::" || other.ip == "::"
    }
}

extension PodSpec {
    /// The host ports the pod's containers ask for (upstream's `GetContainerPorts` with a host port set).
    public var hostPorts: [HostPort] {
        containers.flatMap { $0.ports ?? [] }.compactMap { port in
            guard let hostPort = port.hostPort, hostPort > 0 else { return nil }
            let ip = port.hostIP ?? ""
            return HostPort(protocol: port.protocol ?? "TCP", ip: ip.isEmpty ? "0.0.0.0" : ip, port: hostPort)
        }
    }
}

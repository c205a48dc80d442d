/// Identifies one port of one Service: `namespace/name:portName/protocol`, upstream's `ServicePortName`.
///
/// EndpointSlice ports are matched to service ports by `portName` and `protocol`.
public struct ServicePortName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    /// The `ServicePort.name` (empty for a single unnamed port).
    public var portName: String
    public var `protocol`: L4Protocol

    public init(namespace: String, name: String, portName: String, protocol: L4Protocol) {
        self.namespace = namespace
        self.name = name
        self.portName = portName
        self.protocol = `protocol`
    }

    /// `namespace/name`: the Service this port belongs to.
    public var serviceKey: String { "\(namespace)/\(name)" }

    /// `ns/name/tcp/portName`, the readable tail of upstream's chain names.
    public var chainBase: String { "\(namespace)/\(name)/\(`protocol`.lowercased)/\(portName)" }

    public var description: String { "\(namespace)/\(name):\(portName)/\(`protocol`.rawValue)" }

    public static func < (lhs: ServicePortName, rhs: ServicePortName) -> Bool {
        (lhs.namespace, lhs.name, lhs.portName, lhs.protocol) < (rhs.namespace, rhs.name, rhs.portName, rhs.protocol)
    }
}

/// An immutable snapshot of the endpoints of every service port, keyed by ``ServicePortName``, each list
/// sorted and free of duplicates.
public struct EndpointsMap: Hashable, Sendable {
    public private(set) var endpoints: [ServicePortName: [EndpointInfo]]

    public init(_ endpoints: [ServicePortName: [EndpointInfo]] = [:]) {
        self.endpoints = endpoints.mapValues { Array(Set($0)).sorted() }
    }

    init(sorted endpoints: [ServicePortName: [EndpointInfo]]) { self.endpoints = endpoints }

    public subscript(name: ServicePortName) -> [EndpointInfo] { endpoints[name] ?? [] }

    public var count: Int { endpoints.count }

    /// Replaces the endpoints of one service port (empty removes it).
    public mutating func update(_ name: ServicePortName, _ list: [EndpointInfo]) {
        endpoints[name] = list.isEmpty ? nil : Array(Set(list)).sorted()
    }
}

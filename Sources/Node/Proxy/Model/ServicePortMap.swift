/// An immutable snapshot of every proxied service port, keyed by ``ServicePortName``.
///
/// Built by ``ServiceChangeTracker`` from informer events; the proxier reads only snapshots, so a sync
/// never races the informers.
public struct ServicePortMap: Hashable, Sendable {
    public private(set) var ports: [ServicePortName: ServicePortInfo]

    public init(_ ports: [ServicePortInfo] = []) {
        self.ports = Dictionary(ports.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
    }

    init(ports: [ServicePortName: ServicePortInfo]) { self.ports = ports }

    public subscript(name: ServicePortName) -> ServicePortInfo? { ports[name] }

    public var count: Int { ports.count }

    /// The ports sorted by name, so generated rules come out in a stable order.
    public var sorted: [ServicePortInfo] { ports.values.sorted { $0.name < $1.name } }
}

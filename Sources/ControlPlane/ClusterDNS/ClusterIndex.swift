import Foundation
import KubeAPI

/// What DNS needs to know about the cluster, indexed for lookups by name and by address: the namespaces that
/// exist, each Service's type, ClusterIPs and ports, and the ready addresses of its EndpointSlices (upstream
/// CoreDNS keeps the same indexes over its informers: by `name.namespace` and by IP).
///
/// A value type updated one object at a time by ``ClusterRecords``; tests fill one directly.
public struct ClusterIndex: Sendable {
    /// A Service as DNS sees it.
    public struct ServiceEntry: Sendable, Equatable {
        public var name: String
        public var namespace: String
        /// `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`.
        public var type: String
        /// Empty for headless and ExternalName Services.
        public var clusterIPs: [String]
        public var isHeadless: Bool
        public var externalName: String?
        public var ports: [PortEntry]
    }

    /// A named port of a Service or an EndpointSlice; an EndpointSlice without ports gets one with port -1, as
    /// CoreDNS does, so its addresses still answer A queries but never SRV.
    public struct PortEntry: Sendable, Equatable {
        public var name: String
        public var `protocol`: String
        public var port: Int
    }

    /// One ready address of an EndpointSlice.
    public struct AddressEntry: Sendable, Equatable {
        public var ip: String
        /// `endpoints[].hostname`: set for pods with `spec.hostname` and a `spec.subdomain` naming the Service.
        public var hostname: String?

        /// The label DNS names the endpoint by: its hostname, else its address with dashes (`10-244-1-5`), as
        /// CoreDNS's `endpointHostname` does.
        public var dnsLabel: String {
            if let hostname, !hostname.isEmpty { return hostname }
            if ip.contains(".") { return ip.replacingOccurrences(of: ".", with: "-") }
            let dashed = ip.replacingOccurrences(of: ":", with: "-")
            return dashed.hasSuffix("-") ? dashed + "0" : dashed
        }
    }

    /// One EndpointSlice's ports and ready addresses.
    public struct SliceEntry: Sendable, Equatable {
        public var ports: [PortEntry]
        public var addresses: [AddressEntry]
    }

    public private(set) var namespaces: Set<String> = []
    /// `namespace/name` → Service.
    public private(set) var services: [String: ServiceEntry] = [:]
    /// `namespace/service` → slice name → slice.
    public private(set) var slices: [String: [String: SliceEntry]] = [:]
    /// ClusterIP → `namespace/name` of the Services that have it.
    private var servicesByIP: [String: Set<String>] = [:]
    /// Endpoint address → `namespace/service` of the slices that hold it → how many times.
    private var slicesByIP: [String: [String: Int]] = [:]
    /// Which Service each slice (`namespace/slice`) was filed under, to unfile it when its label changes.
    private var sliceOwners: [String: String] = [:]

    public init() {}

    static func key(_ namespace: String, _ name: String) -> String { namespace + "/" + name }

    // MARK: Updating

    public mutating func addNamespace(_ name: String) { namespaces.insert(name) }
    public mutating func removeNamespace(_ name: String) { namespaces.remove(name) }

    /// Files `service` (replacing an earlier version of it).
    public mutating func apply(_ service: Service) {
        guard let name = service.metadata.name, let namespace = service.metadata.namespace else { return }
        remove(serviceNamed: name, namespace: namespace)
        let spec = service.spec ?? ServiceSpec()
        let type = spec.type ?? "ClusterIP"
        let headless = spec.clusterIP == "None"
        var ips: [String] = []
        if type != "ExternalName", !headless {
            ips = (spec.clusterIPs?.isEmpty == false ? spec.clusterIPs! : [spec.clusterIP].compactMap { $0 })
                .filter { !$0.isEmpty && $0 != "None" }
        }
        let entry = ServiceEntry(name: name, namespace: namespace, type: type, clusterIPs: ips, isHeadless: headless,
                                 externalName: type == "ExternalName" ? spec.externalName : nil,
                                 ports: (spec.ports ?? []).map { PortEntry(name: $0.name ?? "", protocol: $0.protocol ?? "TCP", port: Int($0.port)) })
        let key = Self.key(namespace, name)
        services[key] = entry
        for ip in ips { servicesByIP[ip, default: []].insert(key) }
    }

    public mutating func remove(serviceNamed name: String, namespace: String) {
        let key = Self.key(namespace, name)
        guard let old = services.removeValue(forKey: key) else { return }
        for ip in old.clusterIPs {
            servicesByIP[ip]?.remove(key)
            if servicesByIP[ip]?.isEmpty == true { servicesByIP[ip] = nil }
        }
    }

    /// Files `slice` under the Service its `kubernetes.io/service-name` label names, keeping only ready endpoints
    /// (`ready` unset counts as ready, as the API documents). FQDN slices carry no addresses DNS can answer with.
    public mutating func apply(_ slice: EndpointSlice) {
        guard let name = slice.metadata.name, let namespace = slice.metadata.namespace else { return }
        remove(sliceNamed: name, namespace: namespace)
        guard let service = slice.metadata.labels?["kubernetes.io/service-name"], !service.isEmpty,
              slice.addressType == "IPv4" || slice.addressType == "IPv6" else { return }
        var ports = (slice.ports ?? []).map { PortEntry(name: $0.name ?? "", protocol: $0.protocol ?? "TCP", port: Int($0.port ?? -1)) }
        if ports.isEmpty { ports = [PortEntry(name: "", protocol: "", port: -1)] }
        var addresses: [AddressEntry] = []
        for endpoint in slice.endpoints where endpoint.conditions?.ready ?? true {
            for ip in endpoint.addresses { addresses.append(AddressEntry(ip: ip, hostname: endpoint.hostname)) }
        }
        let serviceKey = Self.key(namespace, service)
        slices[serviceKey, default: [:]][name] = SliceEntry(ports: ports, addresses: addresses)
        sliceOwners[Self.key(namespace, name)] = serviceKey
        for address in addresses { slicesByIP[address.ip, default: [:]][serviceKey, default: 0] += 1 }
    }

    public mutating func remove(sliceNamed name: String, namespace: String) {
        guard let serviceKey = sliceOwners.removeValue(forKey: Self.key(namespace, name)),
              let old = slices[serviceKey]?.removeValue(forKey: name) else { return }
        if slices[serviceKey]?.isEmpty == true { slices[serviceKey] = nil }
        for address in old.addresses {
            let remaining = (slicesByIP[address.ip]?[serviceKey] ?? 1) - 1
            slicesByIP[address.ip]?[serviceKey] = remaining > 0 ? remaining : nil
            if slicesByIP[address.ip]?.isEmpty == true { slicesByIP[address.ip] = nil }
        }
    }

    // MARK: Looking up

    public func service(_ name: String, namespace: String) -> ServiceEntry? { services[Self.key(namespace, name)] }

    /// The slices of a Service, in a stable order.
    public func slices(ofService name: String, namespace: String) -> [SliceEntry] {
        (slices[Self.key(namespace, name)] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
    }

    /// The Services whose ClusterIPs include `ip`, in a stable order.
    public func services(withClusterIP ip: String) -> [ServiceEntry] {
        (servicesByIP[ip] ?? []).sorted().compactMap { services[$0] }
    }

    /// `(namespace, service)` of the Services with a ready endpoint at `ip`, in a stable order.
    public func endpointOwners(of ip: String) -> [(namespace: String, service: String)] {
        (slicesByIP[ip] ?? [:]).keys.sorted().map { key in
            let parts = key.split(separator: "/", maxSplits: 1)
            return (String(parts[0]), String(parts.count > 1 ? parts[1] : ""))
        }
    }
}

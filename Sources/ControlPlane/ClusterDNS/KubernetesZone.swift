import Foundation

/// The answers for names in the cluster domain, as CoreDNS's `kubernetes` plugin gives them (with `pods insecure`,
/// the kubeadm default): Service ClusterIPs, headless endpoints, ExternalName CNAMEs, SRV for ports, pod names
/// made of addresses, `ns.dns.<zone>`, `dns-version.<zone>`, and PTR for ClusterIPs and endpoint addresses.
///
/// NXDOMAIN is answered for names that do not exist; a name that exists without records of the asked type gets
/// NOERROR with no answers (NODATA); both carry the zone's SOA in the authority section.
///
/// Pure and synchronous over a ``ClusterIndex``: CNAMEs to names outside the zone are returned for the caller
/// to chase (``ZoneAnswer/Part/chase(cname:target:type:)``).
public struct KubernetesZone: Sendable {
    /// The cluster domain (`cluster.local`).
    public let zone: DomainName
    /// The TTL of every record (the plugin's `ttl`, 5 s by default).
    public let ttl: UInt32
    /// This server's own addresses: `ns.dns.<zone>` answers with the Services whose endpoints they are
    /// (kube-dns), else with the addresses themselves.
    public let localAddresses: [String]

    /// The schema version `dns-version.<zone>` TXT answers with.
    static let schemaVersion = "1.1.0"
    /// The longest CNAME chain followed inside the zone.
    static let maxCNAMEChain = 10

    public init(zone: DomainName, ttl: UInt32 = 5, localAddresses: [String] = []) {
        self.zone = zone
        self.ttl = ttl
        self.localAddresses = localAddresses
    }

    /// Something a name in the zone stands for: an address, or a name for ExternalName Services (CoreDNS's
    /// `msg.Service`). `owner` is the name SRV targets and NS answers use, as labels below the zone.
    struct Target {
        var host: String
        var port: Int
        var owner: [String]

        var address: IPAddress? { IPAddress(host) }
    }

    /// The name does not exist (CoreDNS's `errNoItems`, `errNsNotExposed`, `errInvalidRequest`).
    struct NameError: Error {}

    // MARK: Answering

    /// The answer to `question`, whose name must be in the zone. `synced` false turns NXDOMAIN into SERVFAIL, as
    /// CoreDNS does before its first LIST: an empty cache says nothing about what exists.
    public func answer(_ question: Question, index: ClusterIndex, serial: UInt32, synced: Bool) -> ZoneAnswer {
        let name = question.name
        let zoneAsAsked = name.suffix(zone.labels.count)
        var answer = ZoneAnswer(kind: .records, soa: soa(zone: zoneAsAsked, serial: serial))
        do {
            switch question.type {
            case .a, .aaaa:
                answer.parts = try addresses(name, type: question.type, index: index, chain: [])
            case .txt:
                answer.parts = try text(name, index: index).map { .record($0) }
            case .cname:
                let targets = try services(name, type: .cname, index: index)
                if let first = targets.first, first.address == nil, let target = try? DomainName(first.host) {
                    answer.parts = [.record(ResourceRecord(name: name, ttl: ttl, data: .cname(target)))]
                }
            case .srv:
                (answer.parts, answer.additional) = try serviceRecords(name, index: index)
            case .soa:
                if name == zone { answer.parts = [.record(answer.soa)] }
            case .axfr, .ixfr:
                answer.kind = .refused
            case .ns where name == zone:
                (answer.parts, answer.additional) = nameServers(zone: zoneAsAsked, index: index)
            case .ptr:
                // PTR for a forward name never has records; the lookup only tells NODATA from NXDOMAIN.
                _ = try records(name, index: index)
            case .mx:
                _ = try services(name, type: .mx, index: index)
            default:
                // CoreDNS's "fake A lookup": other types only need NODATA told apart from NXDOMAIN.
                _ = try addresses(name, type: .a, index: index, chain: [])
            }
        } catch {
            answer.kind = synced ? .nameError : .serverFailure
            answer.parts = []
            answer.additional = []
        }
        return answer
    }

    /// PTR names for an address: the Service with that ClusterIP, else the endpoints with it
    /// (`endpoint.service.namespace.svc.<zone>`); empty when the address is not the cluster's.
    public func reverse(_ ip: IPAddress, index: ClusterIndex) -> [DomainName] {
        let text = ip.description
        if let service = index.services(withClusterIP: text).first {
            return [name([service.name, service.namespace, "svc"])].compactMap { $0 }
        }
        var names: [DomainName] = []
        for owner in index.endpointOwners(of: text) {
            for slice in index.slices(ofService: owner.service, namespace: owner.namespace) {
                for address in slice.addresses where address.ip == text {
                    if let n = name([address.dnsLabel, owner.service, owner.namespace, "svc"]), !names.contains(n) { names.append(n) }
                }
            }
        }
        return names
    }

    // MARK: Record types

    /// A and AAAA (CoreDNS's `plugin.A` / `plugin.AAAA`): addresses of the asked family, CNAMEs followed inside
    /// the zone and handed out for chasing outside it.
    func addresses(_ name: DomainName, type: RecordType, index: ClusterIndex, chain: [DomainName]) throws(NameError) -> [ZoneAnswer.Part] {
        let targets = name == zone ? [] : try services(name, type: type, index: index)
        var parts: [ZoneAnswer.Part] = []
        var seen = Set<IPAddress>()
        for target in targets {
            guard let ip = target.address else {
                guard let cnameTarget = try? DomainName(target.host), cnameTarget != name,
                      chain.count <= Self.maxCNAMEChain, !chain.contains(cnameTarget) else { continue }
                let cname = ResourceRecord(name: name, ttl: ttl, data: .cname(cnameTarget))
                if cnameTarget.isSubdomain(of: zone) {
                    if let next = try? addresses(cnameTarget, type: type, index: index, chain: chain + [cnameTarget]), !next.isEmpty {
                        parts.append(.record(cname))
                        parts.append(contentsOf: next)
                    }
                } else {
                    parts.append(.chase(cname: cname, target: cnameTarget, type: type))
                }
                continue
            }
            guard (type == .a) == (ip.family == 1), seen.insert(ip).inserted else { continue }
            parts.append(.record(ResourceRecord(name: name, ttl: ttl, data: .address(ip))))
        }
        return parts
    }

    /// TXT: only `dns-version.<zone>` has one; other existing names are NODATA, the rest NXDOMAIN.
    func text(_ name: DomainName, index: ClusterIndex) throws(NameError) -> [ResourceRecord] {
        let labels = name.labels(above: zone)
        if labels.count == 1, DomainName.equalIgnoringCase(labels[0], Array("dns-version".utf8)) {
            return [ResourceRecord(name: name, ttl: 28800, data: .txt([Array(Self.schemaVersion.utf8)]))]
        }
        guard let found = try? records(name, index: index), !found.isEmpty else { throw NameError() }
        return []
    }

    /// SRV (CoreDNS's `plugin.SRV`): one record per matching port and address, targets named after the Service
    /// (ClusterIP) or the endpoint (headless), their addresses in the additional section.
    func serviceRecords(_ name: DomainName, index: ClusterIndex) throws(NameError) -> ([ZoneAnswer.Part], [ResourceRecord]) {
        let targets = try services(name, type: .srv, index: index)
        let weight = UInt16(max(1, 100 / max(1, targets.count)))
        var records: [ZoneAnswer.Part] = []
        var additional: [ResourceRecord] = []
        var seenRecords = Set<String>()
        var seenAddresses = Set<String>()
        for target in targets where target.port >= 0 {
            guard let ip = target.address, let owner = self.name(target.owner) else { continue }
            if seenRecords.insert("\(owner)|\(target.port)").inserted {
                records.append(.record(ResourceRecord(name: name, ttl: ttl,
                                                      data: .srv(priority: 0, weight: weight, port: UInt16(clamping: target.port), target: owner))))
            }
            if seenAddresses.insert("\(owner)|\(ip)").inserted {
                additional.append(ResourceRecord(name: owner, ttl: ttl, data: .address(ip)))
            }
        }
        return (records, additional)
    }

    /// NS at the apex: `ns.dns.<zone>`'s addresses under the names `nameServerAddresses` gives them.
    func nameServers(zone zoneAsAsked: DomainName, index: ClusterIndex) -> ([ZoneAnswer.Part], [ResourceRecord]) {
        var records: [ZoneAnswer.Part] = []
        var additional: [ResourceRecord] = []
        var seen = Set<DomainName>()
        for (owner, ip) in nameServerAddresses(index: index) {
            additional.append(ResourceRecord(name: owner, ttl: ttl, data: .address(ip)))
            if seen.insert(owner).inserted {
                records.append(.record(ResourceRecord(name: zoneAsAsked, ttl: ttl, data: .ns(owner))))
            }
        }
        return (records, additional)
    }

    /// The SOA of the zone (CoreDNS's `plugin.SOA`), owner spelled as the client spelled the zone.
    func soa(zone zoneAsAsked: DomainName, serial: UInt32) -> ResourceRecord {
        ResourceRecord(name: zoneAsAsked, ttl: min(ttl, 300), data: .soa(SOAData(
            primaryNameServer: name(["ns", "dns"]) ?? zone, mailbox: name(["hostmaster"]) ?? zone, serial: serial,
            refresh: 7200, retry: 1800, expire: 86400, minimumTTL: ttl)))
    }

    // MARK: Lookups (CoreDNS's Services, Records, findServices, findPods, nsAddrs)

    /// What `name` stands for, for a query of `type`.
    func services(_ name: DomainName, type: RecordType, index: ClusterIndex) throws(NameError) -> [Target] {
        if name.labels(above: zone).map({ String(decoding: $0.map(DomainName.lowercase), as: UTF8.self) }) == ["ns", "dns"] {
            return nameServerAddresses(index: index).compactMap { _, ip in
                (type == .a && ip.family == 1) || (type == .aaaa && ip.family == 2) ? Target(host: ip.description, port: 0, owner: ["ns", "dns"]) : nil
            }
        }
        let found = try records(name, index: index)
        // SRV for ExternalName Services is not answered.
        return type == .srv ? found.filter { $0.address != nil } : found
    }

    func records(_ name: DomainName, index: ClusterIndex) throws(NameError) -> [Target] {
        let request: RecordRequest
        do { request = try RecordRequest(labels: name.labels(above: zone).map { String(decoding: $0.map(DomainName.lowercase), as: UTF8.self) }) } catch { throw NameError() }
        if request.podOrSvc.isEmpty { return [] }
        guard index.namespaces.contains(request.namespace) else { throw NameError() }
        return request.podOrSvc == "pod" ? try pods(request) : try findServices(request, index: index)
    }

    /// `pods insecure`: `1-2-3-4.ns.pod` is 1.2.3.4 whether or not such a pod exists; IPv6 with `-` for `:`.
    func pods(_ request: RecordRequest) throws(NameError) -> [Target] {
        let label = request.service
        if label.isEmpty { return [] }
        let text = label.filter { $0 == "-" }.count == 3 && !label.contains("--")
            ? label.replacingOccurrences(of: "-", with: ".") : label.replacingOccurrences(of: "-", with: ":")
        guard let ip = IPAddress(text) else { throw NameError() }
        return [Target(host: ip.description, port: 0, owner: [label, request.namespace, "pod"])]
    }

    func findServices(_ request: RecordRequest, index: ClusterIndex) throws(NameError) -> [Target] {
        if request.service.isEmpty { return [] }
        guard let service = index.service(request.service, namespace: request.namespace) else { throw NameError() }
        var targets: [Target] = []
        var found = false
        if service.type == "ExternalName" {
            guard request.endpoint.isEmpty, request.port.isEmpty, request.protocol.isEmpty,
                  let external = service.externalName, IPAddress(external) == nil, !external.isEmpty else { throw NameError() }
            return [Target(host: external, port: 0, owner: [service.name, service.namespace, "svc"])]
        }
        if service.isHeadless || !request.endpoint.isEmpty {
            for slice in index.slices(ofService: service.name, namespace: service.namespace) {
                for address in slice.addresses where request.endpoint.isEmpty || request.endpoint == address.dnsLabel.lowercased() {
                    for port in slice.ports where request.matches(portName: port.name, protocol: port.protocol) {
                        found = true
                        targets.append(Target(host: address.ip, port: port.port,
                                              owner: [address.dnsLabel, service.name, service.namespace, "svc"]))
                    }
                }
            }
        } else {
            for port in service.ports where request.matches(portName: port.name, protocol: port.protocol) {
                found = true
                for ip in service.clusterIPs {
                    targets.append(Target(host: ip, port: port.port, owner: [service.name, service.namespace, "svc"]))
                }
            }
        }
        guard found else { throw NameError() }
        return targets
    }

    /// `ns.dns.<zone>`: the ClusterIPs of the Services this server's addresses are endpoints of (endpoint
    /// addresses for a headless one), each under its Service's name; else the addresses as `ns.dns.<zone>`.
    func nameServerAddresses(index: ClusterIndex) -> [(DomainName, IPAddress)] {
        var result: [(DomainName, IPAddress)] = []
        var foundEndpoint = false
        for local in localAddresses {
            for owner in index.endpointOwners(of: local) {
                foundEndpoint = true
                guard let service = index.service(owner.service, namespace: owner.namespace) else { continue }
                if service.isHeadless {
                    for slice in index.slices(ofService: service.name, namespace: service.namespace) {
                        for address in slice.addresses {
                            if let n = name([address.dnsLabel, service.name, service.namespace, "svc"]), let ip = IPAddress(address.ip) {
                                result.append((n, ip))
                            }
                        }
                    }
                } else {
                    for clusterIP in service.clusterIPs {
                        if let n = name([service.name, service.namespace, "svc"]), let ip = IPAddress(clusterIP) { result.append((n, ip)) }
                    }
                }
            }
        }
        if !foundEndpoint {
            for local in localAddresses {
                if let ip = IPAddress(local), let n = name(["ns", "dns"]) { result.append((n, ip)) }
            }
        }
        return result
    }

    /// `labels` under the zone, or nil when the result would not be a valid name.
    func name(_ labels: [String]) -> DomainName? {
        try? DomainName(labels: labels.map { Array($0.utf8) } + zone.labels)
    }
}

/// What ``KubernetesZone`` answers: records, NODATA (records with nothing in them), NXDOMAIN, SERVFAIL or
/// REFUSED, with the SOA negative answers carry.
public struct ZoneAnswer: Sendable {
    public enum Kind: Sendable { case records, nameError, serverFailure, refused }

    /// An answer record, or a CNAME to a name outside the zone whose records of `type` follow it once looked up
    /// upstream (it is left out if that lookup fails, as CoreDNS leaves it out).
    public enum Part: Sendable {
        case record(ResourceRecord)
        case chase(cname: ResourceRecord, target: DomainName, type: RecordType)
    }

    public var kind: Kind
    public var parts: [Part] = []
    public var additional: [ResourceRecord] = []
    public var soa: ResourceRecord
}

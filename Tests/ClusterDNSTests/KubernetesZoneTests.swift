import ClusterDNS
import KubeAPI
import Testing

/// CoreDNS's answers for the cluster domain, checked case by case over an index filled directly (the integration
/// tests ask the same questions with dig against a real API server).
struct KubernetesZoneTests {
    let zone = KubernetesZone(zone: try! DomainName("cluster.local"), ttl: 5, localAddresses: ["10.0.0.53"])
    let index: ClusterIndex

    init() {
        var index = ClusterIndex()
        for namespace in ["default", "kube-system"] { index.addNamespace(namespace) }
        index.apply(Service(metadata: ObjectMeta(name: "web", namespace: "default"), spec: ServiceSpec(
            ports: [ServicePort(name: "http", protocol: "TCP", port: 80), ServicePort(name: "dns", protocol: "UDP", port: 53)],
            clusterIP: "10.96.1.5", type: "ClusterIP")))
        index.apply(Service(metadata: ObjectMeta(name: "db", namespace: "default"), spec: ServiceSpec(
            ports: [ServicePort(name: "pg", protocol: "TCP", port: 5432)], clusterIP: "None", type: "ClusterIP")))
        index.apply(EndpointSlice(metadata: ObjectMeta(name: "db-abcde", namespace: "default", labels: ["kubernetes.io/service-name": "db"]),
                                  endpoints: [
                                      Endpoint(addresses: ["10.244.0.5"], conditions: EndpointConditions(ready: true), hostname: "db-0"),
                                      Endpoint(addresses: ["10.244.0.6"], conditions: EndpointConditions(ready: true)),
                                      Endpoint(addresses: ["10.244.0.7"], conditions: EndpointConditions(ready: false), hostname: "db-2"),
                                  ],
                                  ports: [EndpointSlicePort(name: "pg", protocol: "TCP", port: 5432)]))
        index.apply(EndpointSlice(metadata: ObjectMeta(name: "web-xyz", namespace: "default", labels: ["kubernetes.io/service-name": "web"]),
                                  endpoints: [Endpoint(addresses: ["10.244.0.9"], conditions: EndpointConditions(ready: true))],
                                  ports: [EndpointSlicePort(name: "http", protocol: "TCP", port: 8080)]))
        index.apply(Service(metadata: ObjectMeta(name: "ext", namespace: "default"),
                            spec: ServiceSpec(type: "ExternalName", externalName: "www.example.test")))
        index.apply(Service(metadata: ObjectMeta(name: "inner", namespace: "default"),
                            spec: ServiceSpec(type: "ExternalName", externalName: "web.default.svc.cluster.local")))
        index.apply(Service(metadata: ObjectMeta(name: "kube-dns", namespace: "kube-system"), spec: ServiceSpec(
            ports: [ServicePort(name: "dns", protocol: "UDP", port: 53)], clusterIP: "10.96.0.10", type: "ClusterIP")))
        index.apply(EndpointSlice(metadata: ObjectMeta(name: "kube-dns-1", namespace: "kube-system", labels: ["kubernetes.io/service-name": "kube-dns"]),
                                  endpoints: [Endpoint(addresses: ["10.0.0.53"])],
                                  ports: [EndpointSlicePort(name: "dns", protocol: "UDP", port: 53)]))
        self.index = index
    }

    func ask(_ name: String, _ type: RecordType, synced: Bool = true) -> ZoneAnswer {
        zone.answer(Question(name: try! DomainName(name), type: type), index: index, serial: 42, synced: synced)
    }

    func records(_ answer: ZoneAnswer) -> [RecordData] {
        answer.parts.compactMap { if case .record(let r) = $0 { r.data } else { nil } }
    }

    @Test func serviceNamesAnswerWithTheirClusterIP() {
        let answer = ask("web.default.svc.cluster.local", .a)
        #expect(answer.kind == .records && records(answer) == [.a([10, 96, 1, 5])])
        // Case does not matter; the owner keeps the client's spelling.
        let upper = ask("WEB.Default.svc.Cluster.Local", .a)
        #expect(records(upper) == [.a([10, 96, 1, 5])])
        if case .record(let record) = upper.parts.first { #expect(record.name.description == "WEB.Default.svc.Cluster.Local.") }
    }

    @Test func headlessServicesAnswerWithTheirReadyEndpoints() {
        #expect(records(ask("db.default.svc.cluster.local", .a)) == [.a([10, 244, 0, 5]), .a([10, 244, 0, 6])])
        #expect(records(ask("db-0.db.default.svc.cluster.local", .a)) == [.a([10, 244, 0, 5])])
        // Endpoints without a hostname are named by their dashed address; not-ready ones do not exist.
        #expect(records(ask("10-244-0-6.db.default.svc.cluster.local", .a)) == [.a([10, 244, 0, 6])])
        #expect(ask("db-2.db.default.svc.cluster.local", .a).kind == .nameError)
        // Endpoint names work for ClusterIP Services too, as in CoreDNS.
        #expect(records(ask("10-244-0-9.web.default.svc.cluster.local", .a)) == [.a([10, 244, 0, 9])])
    }

    @Test func externalNamesAreCNAMEs() {
        let answer = ask("ext.default.svc.cluster.local", .a)
        guard case .chase(let cname, let target, let type)? = answer.parts.first else {
            Issue.record("no CNAME to chase: \(answer.parts)")
            return
        }
        #expect(cname.data == .cname(try! DomainName("www.example.test")) && target == (try! DomainName("www.example.test")) && type == .a)
        #expect(records(ask("ext.default.svc.cluster.local", .cname)) == [.cname(try! DomainName("www.example.test"))])
        // A CNAME into the zone is followed here.
        #expect(records(ask("inner.default.svc.cluster.local", .a)) == [.cname(try! DomainName("web.default.svc.cluster.local")), .a([10, 96, 1, 5])])
        // No SRV for ExternalName Services: NODATA for the name, NXDOMAIN with a port.
        #expect(ask("ext.default.svc.cluster.local", .srv).kind == .records && ask("ext.default.svc.cluster.local", .srv).parts.isEmpty)
        #expect(ask("_http._tcp.ext.default.svc.cluster.local", .srv).kind == .nameError)
    }

    @Test func srvRecordsNameTheServiceOrItsEndpoints() throws {
        let web = ask("_http._tcp.web.default.svc.cluster.local", .srv)
        let webName = try DomainName("web.default.svc.cluster.local")
        #expect(records(web) == [.srv(priority: 0, weight: 100, port: 80, target: webName)])
        #expect(web.additional.map(\.data) == [.a([10, 96, 1, 5])] && web.additional.first?.name == webName)
        // Without port and protocol: every port.
        #expect(records(ask("web.default.svc.cluster.local", .srv)).count == 2)
        #expect(ask("_https._tcp.web.default.svc.cluster.local", .srv).kind == .nameError)
        let db = ask("_pg._tcp.db.default.svc.cluster.local", .srv)
        #expect(records(db) == [.srv(priority: 0, weight: 50, port: 5432, target: try DomainName("db-0.db.default.svc.cluster.local")),
                                .srv(priority: 0, weight: 50, port: 5432, target: try DomainName("10-244-0-6.db.default.svc.cluster.local"))])
        #expect(db.additional.count == 2)
    }

    @Test func podNamesAreTheirAddresses() {
        #expect(records(ask("10-244-1-7.default.pod.cluster.local", .a)) == [.a([10, 244, 1, 7])])
        #expect(records(ask("fd00--7.default.pod.cluster.local", .aaaa)) == [.aaaa(IPAddress("fd00::7")!.bytes)])
        #expect(ask("10-244-1-7.nowhere.pod.cluster.local", .a).kind == .nameError)
        #expect(ask("not-an-ip.default.pod.cluster.local", .a).kind == .nameError)
    }

    @Test func nodataAndNxdomainAreToldApart() {
        // The name exists, the type does not: NOERROR, nothing in it.
        for (name, type) in [("web.default.svc.cluster.local", RecordType.aaaa), ("web.default.svc.cluster.local", .mx),
                             ("default.svc.cluster.local", .a), ("svc.cluster.local", .a), ("cluster.local", .a),
                             ("web.default.svc.cluster.local", .txt), ("10-244-1-7.default.pod.cluster.local", .aaaa)] {
            let answer = ask(name, type)
            #expect(answer.kind == .records && answer.parts.isEmpty, "\(name) \(type)")
        }
        for (name, type) in [("missing.default.svc.cluster.local", RecordType.a), ("web.nowhere.svc.cluster.local", .a),
                             ("web.default.svc.cluster.local.default.svc.cluster.local", .a),
                             ("web.default.svc.cluster.local.svc.cluster.local", .a), ("web.default.other.cluster.local", .a),
                             ("a.b.c.web.default.svc.cluster.local", .a), ("missing.default.svc.cluster.local", .aaaa),
                             ("default.svc.cluster.local", .txt)] {
            #expect(ask(name, type).kind == .nameError, "\(name) \(type)")
        }
        // Every negative answer carries the zone's SOA.
        guard case .soa(let soa) = ask("missing.default.svc.cluster.local", .a).soa.data else { Issue.record("no SOA"); return }
        #expect(soa.primaryNameServer.description == "ns.dns.cluster.local." && soa.mailbox.description == "hostmaster.cluster.local.")
        #expect(soa.serial == 42 && soa.minimumTTL == 5)
    }

    @Test func beforeTheFirstListNamesAreServerFailures() {
        #expect(ask("missing.default.svc.cluster.local", .a, synced: false).kind == .serverFailure)
    }

    @Test func apexRecordsAndTheNameserver() throws {
        #expect(records(ask("cluster.local", .soa)).count == 1)
        #expect(ask("web.default.svc.cluster.local", .soa).parts.isEmpty)
        let ns = ask("cluster.local", .ns)
        let kubeDNS = try DomainName("kube-dns.kube-system.svc.cluster.local")
        #expect(records(ns) == [.ns(kubeDNS)] && ns.additional.map(\.data) == [.a([10, 96, 0, 10])])
        #expect(records(ask("ns.dns.cluster.local", .a)) == [.a([10, 96, 0, 10])])
        #expect(records(ask("dns-version.cluster.local", .txt)) == [.txt([Array("1.1.0".utf8)])])
        #expect(ask("cluster.local", .axfr).kind == .refused)
    }

    @Test func reverseLookupsNameServicesAndEndpoints() throws {
        #expect(zone.reverse(IPAddress("10.96.1.5")!, index: index) == [try DomainName("web.default.svc.cluster.local")])
        #expect(zone.reverse(IPAddress("10.244.0.5")!, index: index) == [try DomainName("db-0.db.default.svc.cluster.local")])
        #expect(zone.reverse(IPAddress("10.244.0.7")!, index: index).isEmpty)
        #expect(zone.reverse(IPAddress("192.0.2.1")!, index: index).isEmpty)
    }

    @Test func removalsAndRelabelsLeaveNoTrace() {
        var index = self.index
        index.remove(sliceNamed: "db-abcde", namespace: "default")
        index.remove(serviceNamed: "web", namespace: "default")
        #expect(index.services(withClusterIP: "10.96.1.5").isEmpty)
        #expect(index.endpointOwners(of: "10.244.0.5").isEmpty)
        // A slice moved to another Service by its label is filed only there.
        index.apply(EndpointSlice(metadata: ObjectMeta(name: "web-xyz", namespace: "default", labels: ["kubernetes.io/service-name": "db"]),
                                  endpoints: [Endpoint(addresses: ["10.244.0.9"])]))
        #expect(index.endpointOwners(of: "10.244.0.9").map(\.service) == ["db"])
        #expect(index.slices(ofService: "web", namespace: "default").isEmpty)
    }
}

import KubeAPI
import Proxy
import Testing

@Suite struct ChangeTrackerTests {
    func service(_ name: String, type: String = "ClusterIP", clusterIP: String = "10.96.0.10", ports: [ServicePort],
                 affinity: String? = nil) -> Service {
        Service(metadata: ObjectMeta(name: name, namespace: "default"),
                spec: ServiceSpec(ports: ports, clusterIP: clusterIP, clusterIPs: [clusterIP], type: type, sessionAffinity: affinity,
                                  externalTrafficPolicy: "Local"),
                status: ServiceStatus(loadBalancer: LoadBalancerStatus(ingress: [LoadBalancerIngress(ip: "203.0.113.7")])))
    }

    func slice(_ name: String, service: String, endpoints: [Endpoint], port: Int32 = 8080) -> EndpointSlice {
        EndpointSlice(metadata: ObjectMeta(name: name, namespace: "default", labels: ["kubernetes.io/service-name": service]),
                      addressType: "IPv4", endpoints: endpoints,
                      ports: [EndpointSlicePort(name: "http", protocol: "TCP", port: port)])
    }

    @Test func servicesBecomePortsAndOnlyRealChangesCount() {
        let tracker = ServiceChangeTracker()
        let web = service("web", type: "LoadBalancer", ports: [ServicePort(name: "http", port: 80, nodePort: 30080),
                                                              ServicePort(name: "dns", protocol: "UDP", port: 53)],
                          affinity: "ClientIP")
        #expect(tracker.update(old: nil, new: web))
        let ports = tracker.snapshot()
        #expect(ports.count == 2)
        let http = try! #require(ports[ServicePortName(namespace: "default", name: "web", portName: "http", protocol: .tcp)])
        #expect(http.clusterIPs == ["10.96.0.10"])
        #expect(http.nodePort == 30080)
        #expect(http.loadBalancerIPs == ["203.0.113.7"])
        #expect(http.sessionAffinity == .clientIP(timeoutSeconds: 10800))
        #expect(http.externalPolicyLocal)
        #expect(ports[ServicePortName(namespace: "default", name: "web", portName: "dns", protocol: .udp)]?.port == 53)

        var relabelled = web
        relabelled.metadata.labels = ["x": "y"]
        #expect(!tracker.update(old: web, new: relabelled), "a label change does not need a sync")

        #expect(tracker.update(old: relabelled, new: nil))
        #expect(tracker.snapshot().count == 0)
    }

    @Test func headlessAndExternalNameServicesAreNotProxied() {
        let tracker = ServiceChangeTracker()
        #expect(!tracker.update(old: nil, new: service("headless", clusterIP: "None", ports: [ServicePort(port: 80)])))
        #expect(!tracker.update(old: nil, new: service("ext", type: "ExternalName", ports: [ServicePort(port: 80)])))
        #expect(tracker.snapshot().count == 0)
    }

    @Test func slicesMergePerServiceWithLocality() {
        let tracker = EndpointsChangeTracker(nodeName: "node-a")
        let first = slice("web-1", service: "web", endpoints: [
            Endpoint(addresses: ["10.244.0.11"], conditions: EndpointConditions(ready: true), nodeName: "node-a"),
            Endpoint(addresses: ["10.244.1.12"], conditions: EndpointConditions(ready: false, serving: true, terminating: true),
                     nodeName: "node-b"),
        ])
        let second = slice("web-2", service: "web", endpoints: [
            Endpoint(addresses: ["10.244.0.13"], nodeName: "node-a"),
            Endpoint(addresses: ["10.244.0.11"], conditions: EndpointConditions(ready: true), nodeName: "node-a"),
        ])
        #expect(tracker.update(old: nil, new: first))
        #expect(tracker.update(old: nil, new: second))
        let name = ServicePortName(namespace: "default", name: "web", portName: "http", protocol: .tcp)
        let endpoints = tracker.snapshot()[name]
        #expect(endpoints.map(\.ip) == ["10.244.0.11", "10.244.0.13", "10.244.1.12"])
        #expect(endpoints.map(\.isLocal) == [true, true, false])
        #expect(endpoints[2].terminating && endpoints[2].serving && !endpoints[2].ready)
        #expect(!tracker.update(old: second, new: second))
        #expect(tracker.update(old: first, new: nil))
        #expect(tracker.snapshot()[name].map(\.ip) == ["10.244.0.11", "10.244.0.13"])
        #expect(tracker.update(old: second, new: nil))
        #expect(tracker.snapshot().count == 0)
    }

    /// `takeChanges()` hands out the snapshot with the ports changed since the previous take, each once.
    @Test func takeChangesReportsChangedPortsOnce() {
        let services = ServiceChangeTracker()
        let web = service("web", ports: [ServicePort(name: "http", port: 80), ServicePort(name: "dns", protocol: "UDP", port: 53)])
        let http = ServicePortName(namespace: "default", name: "web", portName: "http", protocol: .tcp)
        let dns = ServicePortName(namespace: "default", name: "web", portName: "dns", protocol: .udp)
        services.update(old: nil, new: web)
        var taken = services.takeChanges()
        #expect(taken.ports.count == 2 && taken.changed == [http, dns])
        #expect(services.takeChanges().changed.isEmpty)
        let moved = service("web", ports: [ServicePort(name: "http", port: 8080), ServicePort(name: "dns", protocol: "UDP", port: 53)])
        #expect(services.update(old: web, new: moved))
        taken = services.takeChanges()
        #expect(taken.changed == [http] && taken.ports[http]?.port == 8080)
        services.update(old: moved, new: nil)
        taken = services.takeChanges()
        #expect(taken.ports.count == 0 && taken.changed == [http, dns])

        let endpoints = EndpointsChangeTracker(nodeName: "node-a")
        let one = slice("web-1", service: "web", endpoints: [Endpoint(addresses: ["10.244.0.11"], nodeName: "node-a")])
        endpoints.update(old: nil, new: one)
        #expect(endpoints.takeChanges().changed == [http])
        let two = slice("web-1", service: "web", endpoints: [Endpoint(addresses: ["10.244.0.11"], nodeName: "node-a"),
                                                            Endpoint(addresses: ["10.244.0.12"], nodeName: "node-b")])
        #expect(endpoints.update(old: one, new: two))
        let api = slice("api-1", service: "api", endpoints: [Endpoint(addresses: ["10.244.0.21"], nodeName: "node-a")])
        endpoints.update(old: nil, new: api)
        let apiHTTP = ServicePortName(namespace: "default", name: "api", portName: "http", protocol: .tcp)
        let afterBoth = endpoints.takeChanges()
        #expect(afterBoth.changed == [http, apiHTTP] && afterBoth.endpoints[http].count == 2)
        #expect(!endpoints.update(old: two, new: two))
        #expect(endpoints.takeChanges().changed.isEmpty)
        endpoints.update(old: api, new: nil)
        #expect(endpoints.takeChanges().changed == [apiHTTP])
    }
}

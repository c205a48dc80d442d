import ClusterDNS
import Foundation
import KubeAPI
import KubeClient
import Testing
import TestSupport

/// `swiftlet server --cluster-dns-address`: the DNS server inside the server process, and the kube-dns Service
/// and EndpointSlice it keeps.
@Suite(.serialized)
struct ServerClusterDNSTests {
    @Test func serverRunsClusterDNSAndKeepsTheKubeDNSService() async throws {
        let upstream = try await FakeUpstream()
        let port = try freeLoopbackPorts(1)[0]
        let server = try await ServerProcess(extraArguments: ["--cluster-dns-address", "127.0.0.1:\(port)",
                                                              "--cluster-dns-upstream", "127.0.0.1:\(upstream.port)"])
        let client = try KubeClient(configuration: server.clientConfiguration(), logger: DNSHarness.logger("client"))
        defer { server.stop() }
        do {
            try await Self.check(server: server, client: client, port: port)
        } catch {
            Issue.record("server log:\n\(server.log.suffix(3000))")
            try? await client.shutdown()
            await upstream.stop()
            throw error
        }
        try await client.shutdown()
        await upstream.stop()
    }

    static func check(server: ServerProcess, client: KubeClient, port: Int) async throws {
        let service = try await client.get(Service.self, name: "kube-dns", namespace: "kube-system")
        #expect(service.spec?.clusterIP == "10.96.0.10" && service.spec?.selector == nil)
        #expect(service.metadata.labels?["k8s-app"] == "kube-dns" && service.metadata.labels?["kubernetes.io/cluster-service"] == "true")
        #expect(service.spec?.ports?.map { "\($0.name ?? "")/\($0.port)/\($0.protocol ?? "")/\($0.targetPort.map { "\($0)" } ?? "")" }
            == ["dns/53/UDP/\(IntOrString.int(Int32(port)))", "dns-tcp/53/TCP/\(IntOrString.int(Int32(port)))"])
        let slice = try #require(try await kubeDNSSlices(client).first)
        #expect(slice.metadata.name?.hasPrefix("kube-dns-") == true)
        #expect(slice.metadata.labels?["endpointslice.kubernetes.io/managed-by"] == "swiftlet-server")
        #expect(slice.endpoints.map(\.addresses) == [["127.0.0.1"]] && slice.endpoints.first?.conditions?.ready == true)
        #expect(slice.ports?.map { "\($0.name ?? "")/\($0.port ?? 0)/\($0.protocol ?? "")" } == ["dns/\(port)/UDP", "dns-tcp/\(port)/TCP"])

        // dig through the server's own DNS.
        let kubernetes = try await eventually("cluster DNS answers", { try await Dig.query("kubernetes.default.svc.cluster.local", port: port) },
                                              until: { $0.status == "NOERROR" })
        #expect(kubernetes.answers("A") == ["10.96.0.1"])
        #expect(try await Dig.query("kube-dns.kube-system.svc.cluster.local", port: port, options: ["+tcp"]).answers("A") == ["10.96.0.10"])
        // 127.0.0.1 is kube-dns's endpoint, so the zone's name server is kube-dns.
        #expect(try await Dig.query("ns.dns.cluster.local", port: port).answers("A") == ["10.96.0.10"])
        #expect(try await Dig.query("cluster.local", "NS", port: port).answers("NS") == ["kube-dns.kube-system.svc.cluster.local."])
        #expect(try await Dig.query("www.example.test", port: port).answers("A") == ["192.0.2.1"])

        // Dynamically allocated ClusterIPs stay out of the low band kube-dns's address lives in.
        let other = try await client.create(Service(metadata: ObjectMeta(name: "other", namespace: "default"),
                                                    spec: ServiceSpec(ports: [ServicePort(port: 80)], selector: ["app": "other"])))
        #expect(other.spec?.clusterIP?.hasPrefix("10.96.0.") == false, "\(other.spec?.clusterIP ?? "")")

        // Edits are put back; a deleted Service comes back with the same ClusterIP.
        var edited = slice
        edited.endpoints = [Endpoint(addresses: ["10.9.9.9"])]
        _ = try await client.update(edited)
        try await waitFor("the slice put back") { try await kubeDNSSlices(client).map { $0.endpoints.flatMap(\.addresses) } == [["127.0.0.1"]] }
        var relabelled = try await client.get(Service.self, name: "kube-dns", namespace: "kube-system")
        relabelled.spec?.selector = ["app": "mine"]
        relabelled.spec?.ports = [ServicePort(name: "dns", protocol: "UDP", port: 5353)]
        _ = try await client.update(relabelled)
        try await waitFor("the Service put back") {
            let current = try await client.get(Service.self, name: "kube-dns", namespace: "kube-system")
            return current.spec?.selector == nil && current.spec?.ports?.count == 2
        }
        try await client.delete(Service.self, name: "kube-dns", namespace: "kube-system")
        try? await client.delete(EndpointSlice.self, name: slice.metadata.name ?? "", namespace: "kube-system")
        try await waitFor("the Service recreated") {
            let current = try? await client.get(Service.self, name: "kube-dns", namespace: "kube-system")
            return current?.spec?.clusterIP == "10.96.0.10"
        }
        try await waitFor("one slice again") { try await kubeDNSSlices(client).count == 1 }

        // The DNS metrics are on the server's /metrics.
        let metrics = try await runCommand(try #require(which("curl")), ["-s"] + server.curlTLSArguments + [server.url + "/metrics"])
        #expect(metrics.stdout.contains("coredns_dns_requests_total") && metrics.stdout.contains("coredns_forward_requests_total"))

        // A restart finds both in place and adds nothing.
        try await server.restart()
        try await waitFor("DNS back after restart") {
            (try? await Dig.query("kube-dns.kube-system.svc.cluster.local", port: port).answers("A")) == ["10.96.0.10"]
        }
        #expect(try await kubeDNSSlices(client).count == 1)
        // SIGTERM stops the DNS server with the rest, cleanly.
        #expect(await server.terminate(within: .seconds(10)))
    }

    static func kubeDNSSlices(_ client: KubeClient) async throws -> [EndpointSlice] {
        try await client.list(EndpointSlice.self, namespace: "kube-system").items.filter {
            $0.metadata.labels?["kubernetes.io/service-name"] == "kube-dns"
        }
    }

    static func waitFor(_ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TestSupportError("\(what) did not happen in \(timeout)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

import ClusterDNS
import Foundation
import KubeAPI
import KubeClient
import NIOCore
import NIOPosix
import Testing
import TestSupport

/// The DNS server against a real API server, asked by dig over UDP and TCP.
@Suite(.serialized)
struct ClusterDNSServerTests {
    /// web (ClusterIP, port http/80), db (headless, two ready endpoints and one not), ext (ExternalName).
    static func createObjects(_ client: KubeClient) async throws -> Service {
        let web = try await client.create(Service(metadata: ObjectMeta(name: "web", namespace: "default"), spec: ServiceSpec(
            ports: [ServicePort(name: "http", protocol: "TCP", port: 80)], selector: ["app": "web"])))
        _ = try await client.create(Service(metadata: ObjectMeta(name: "db", namespace: "default"), spec: ServiceSpec(
            ports: [ServicePort(name: "pg", protocol: "TCP", port: 5432)], selector: ["app": "db"], clusterIP: "None")))
        _ = try await client.create(EndpointSlice(
            metadata: ObjectMeta(name: "db-abcde", namespace: "default", labels: ["kubernetes.io/service-name": "db"]),
            endpoints: [Endpoint(addresses: ["10.244.0.5"], conditions: EndpointConditions(ready: true), hostname: "db-0"),
                        Endpoint(addresses: ["10.244.0.6"], conditions: EndpointConditions(ready: true)),
                        Endpoint(addresses: ["10.244.0.7"], conditions: EndpointConditions(ready: false), hostname: "db-2")],
            ports: [EndpointSlicePort(name: "pg", protocol: "TCP", port: 5432)]))
        _ = try await client.create(Service(metadata: ObjectMeta(name: "ext", namespace: "default"),
                                            spec: ServiceSpec(type: "ExternalName", externalName: "www.example.test")))
        return web
    }

    @Test func answersClusterNamesOverUDPAndTCP() async throws {
        try await DNSHarness.with { h in
            let web = try await Self.createObjects(h.client)
            let clusterIP = try #require(web.spec?.clusterIP)
            _ = try await eventually("ext visible", { try await h.dig("ext.default.svc.cluster.local") }, until: { $0.status == "NOERROR" })
            for transport in [[], ["+tcp"]] {
                let a = try await h.dig("web.default.svc.cluster.local", "A", transport)
                #expect(a.status == "NOERROR" && a.answers("A") == [clusterIP] && a.flags.contains("aa"), "\(a)")

                let headless = try await h.dig("db.default.svc.cluster.local", "A", transport)
                #expect(headless.answers("A") == ["10.244.0.5", "10.244.0.6"], "\(headless)")
                let endpoint = try await h.dig("db-0.db.default.svc.cluster.local", "A", transport)
                #expect(endpoint.answers("A") == ["10.244.0.5"], "\(endpoint)")

                let ext = try await h.dig("ext.default.svc.cluster.local", "A", transport)
                #expect(ext.answers("CNAME") == ["www.example.test."] && ext.answers("A") == ["192.0.2.1"], "\(ext)")

                let srv = try await h.dig("_http._tcp.web.default.svc.cluster.local", "SRV", transport)
                #expect(srv.answers("SRV") == ["0 100 80 web.default.svc.cluster.local."], "\(srv)")
                #expect(srv.additional.contains(Dig.Record(name: "web.default.svc.cluster.local.", type: "A", data: clusterIP)), "\(srv)")
                let headlessSRV = try await h.dig("_pg._tcp.db.default.svc.cluster.local", "SRV", transport)
                #expect(headlessSRV.answers("SRV") == ["0 50 5432 10-244-0-6.db.default.svc.cluster.local.",
                                                       "0 50 5432 db-0.db.default.svc.cluster.local."], "\(headlessSRV)")

                let pod = try await h.dig("10-244-3-4.default.pod.cluster.local", "A", transport)
                #expect(pod.answers("A") == ["10.244.3.4"], "\(pod)")

                let ptr = try await h.dig(IPAddress(clusterIP)!.reverseName.description, "PTR", transport)
                #expect(ptr.answers("PTR") == ["web.default.svc.cluster.local."], "\(ptr)")
                let endpointPTR = try await h.dig("5.0.244.10.in-addr.arpa", "PTR", transport)
                #expect(endpointPTR.answers("PTR") == ["db-0.db.default.svc.cluster.local."], "\(endpointPTR)")

                let missing = try await h.dig("missing.default.svc.cluster.local", "A", transport)
                #expect(missing.status == "NXDOMAIN" && missing.answer.isEmpty, "\(missing)")
                #expect(missing.authority.first?.type == "SOA"
                    && missing.authority.first?.data.hasPrefix("ns.dns.cluster.local. hostmaster.cluster.local.") == true, "\(missing)")

                let nodata = try await h.dig("web.default.svc.cluster.local", "AAAA", transport)
                #expect(nodata.status == "NOERROR" && nodata.answer.isEmpty && nodata.authority.first?.type == "SOA", "\(nodata)")

                // A search-path expansion is answered here at once, never forwarded.
                let expanded = try await h.dig("web.default.svc.cluster.local.default.svc.cluster.local", "A", transport)
                #expect(expanded.status == "NXDOMAIN", "\(expanded)")
            }
            #expect(!h.upstream.received.contains { $0.name.hasSuffix("cluster.local.") }, "\(h.upstream.received)")
        }
    }

    @Test func answersFollowChangesInTheAPI() async throws {
        try await DNSHarness.with { h in
            let web = try await Self.createObjects(h.client)
            _ = try await eventually("web visible", { try await h.dig("web.default.svc.cluster.local") },
                                     until: { $0.answers("A") == [web.spec?.clusterIP ?? ""] })
            // An endpoint becomes ready: the headless name gains its address.
            var slice = try await h.client.get(EndpointSlice.self, name: "db-abcde", namespace: "default")
            slice.endpoints[2].conditions = EndpointConditions(ready: true)
            _ = try await h.client.update(slice)
            _ = try await eventually("db-2 ready", { try await h.dig("db.default.svc.cluster.local") },
                                     until: { $0.answers("A") == ["10.244.0.5", "10.244.0.6", "10.244.0.7"] })
            _ = try await eventually("db-2 named", { try await h.dig("db-2.db.default.svc.cluster.local") },
                                     until: { $0.answers("A") == ["10.244.0.7"] })
            // The Service is deleted: its name and its PTR go.
            try await h.client.delete(Service.self, name: "web", namespace: "default")
            _ = try await eventually("web gone", { try await h.dig("web.default.svc.cluster.local", "A", ["+tcp"]) },
                                     until: { $0.status == "NXDOMAIN" })
            // A namespace that does not exist has no names at all; once created, its own name exists (NODATA).
            #expect(try await h.dig("shop.svc.cluster.local").status == "NXDOMAIN")
            _ = try await h.client.create(Namespace(metadata: ObjectMeta(name: "shop")))
            _ = try await eventually("namespace visible", { try await h.dig("shop.svc.cluster.local") }, until: { $0.status == "NOERROR" })
        }
    }

    @Test func forwardsOtherNamesUpstream() async throws {
        try await DNSHarness.with { h in
            let plain = try await h.dig("www.example.test")
            #expect(plain.status == "NOERROR" && plain.answers("A") == ["192.0.2.1"] && plain.flags.contains("ra"), "\(plain)")
            let missing = try await h.dig("nothing.invalid")
            #expect(missing.status == "NXDOMAIN", "\(missing)")

            // 60 addresses do not fit in 512 bytes: upstream truncates, the forwarder asks again over TCP, and this
            // client, which said nothing of its size, gets TC over UDP…
            let truncated = try await h.dig("big.example.test", "A", ["+noedns", "+ignore"])
            #expect(truncated.flags.contains("tc"), "\(truncated)")
            #expect(h.upstream.received.contains { $0.name == "big.example.test." && $0.transport == "tcp" }, "\(h.upstream.received)")
            // …and everything when it retries over TCP, as dig does by itself.
            let retried = try await h.dig("big.example.test", "A", ["+noedns"])
            #expect(retried.answers("A").count == 60, "\(retried)")

            // Reverse names the cluster does not know go upstream too.
            let ptr = try await h.dig("55.2.0.192.in-addr.arpa", "PTR")
            #expect(ptr.answers("PTR") == ["upstream.example.test."], "\(ptr)")

            // An upstream that never answers: SERVFAIL once the deadline (1 s here) has passed.
            let start = ContinuousClock.now
            let slow = try await h.dig("slow.example.test")
            #expect(slow.status == "SERVFAIL", "\(slow)")
            #expect(ContinuousClock.now - start < .seconds(4))
        }
    }

    @Test func malformedQueriesGetFormerrAndTheServerCarriesOn() async throws {
        try await DNSHarness.with { h in
            // A question whose name is a compression pointer to itself.
            let loop: [UInt8] = [0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]
            let reply = try await Self.exchangeUDP(loop, port: h.port)
            #expect(Array(reply.prefix(4)) == [0xAB, 0xCD, 0x81, 0x01])
            // Bytes too short for a header get no answer; the server still answers the next query.
            _ = try? await Self.exchangeUDP([1, 2, 3], port: h.port, timeout: .milliseconds(300))
            #expect(try await h.dig("kubernetes.default.svc.cluster.local").answers("A") == ["10.96.0.1"])
        }
    }

    /// Sends one datagram to 127.0.0.1:`port` and returns the first datagram back.
    static func exchangeUDP(_ bytes: [UInt8], port: Int, timeout: Duration = .seconds(3)) async throws -> [UInt8] {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                }
            }
        // Closing the socket at the deadline ends the wait below.
        let closer = channel.channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) { channel.channel.close(promise: nil) }
        defer { closer.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(AddressedEnvelope(remoteAddress: try SocketAddress(ipAddress: "127.0.0.1", port: port),
                                                       data: ByteBuffer(bytes: bytes)))
            for try await envelope in inbound { return Array(envelope.data.readableBytesView) }
            throw TestSupportError("no answer within \(timeout)")
        }
    }
}

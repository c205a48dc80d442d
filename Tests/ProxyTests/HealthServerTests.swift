import Foundation
import LinuxSystem
import Proxy
import TestSupport
import Testing

/// The proxy's health answers over real HTTP inside throwaway namespaces: the `healthCheckNodePort` server of
/// an `externalTrafficPolicy: Local` load balancer, reached from the client namespace on the node's address,
/// and the proxy's own `/healthz` and `/livez`.
@Suite(.serialized) struct HealthServerTests {
    /// `curl -i` from `namespace`: status code, headers (lower-cased names), body.
    func get(from namespace: NetworkNamespace, _ url: String) async throws -> (status: Int, headers: [String: String], body: String)? {
        let result = try await runCommand("/usr/sbin/ip", ["netns", "exec", shortName(namespace), "curl", "-s", "-i", "-m", "3", url])
        guard result.status == 0 else { return nil }
        let parts = result.stdout.components(separatedBy: "\r\n\r\n")
        let head = parts[0].components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    func healthBody(_ namespace: String, _ name: String, _ count: Int, healthy: Bool = true) -> String {
        "{\n\t\"service\": {\n\t\t\"namespace\": \"\(namespace)\",\n\t\t\"name\": \"\(name)\"\n\t},\n\t\"localEndpoints\": \(count),\n\t\"serviceProxyHealthy\": \(healthy)\n}"
    }

    @Test func healthCheckNodePortAnswersLikeUpstream() async throws {
        try await Topology.with(pods: 1) { topology in
            let health = ProxyHealth(timeout: .milliseconds(300))
            let server = ServiceHealthServer(health: health, namespace: topology.node, logger: testLogger())
            var lb = servicePort("lb", clusterIP: "10.96.0.70", nodePort: 30170, externalPolicy: .local)
            lb.loadBalancerIPs = ["192.168.100.1"]
            lb.healthCheckNodePort = 32123
            let plain = servicePort("plain", clusterIP: "10.96.0.71", nodePort: 30171)  // eTP Cluster: no health check
            let local = [EndpointInfo(ip: "10.244.0.11", port: 8080, nodeName: "node-a", isLocal: true),
                         EndpointInfo(ip: "10.244.0.12", port: 8080, nodeName: "node-a", isLocal: true),
                         EndpointInfo(ip: "10.244.0.13", port: 8080, nodeName: "node-b", isLocal: false),
                         EndpointInfo(ip: "10.244.0.14", port: 8080, ready: false, nodeName: "node-a", isLocal: true)]
            await server.sync(services: ServicePortMap([lb, plain]), endpoints: EndpointsMap([lb.name: local]))
            #expect(server.openPorts.values.sorted() == [32123])
            defer { Task { await server.close() } }

            let url = "http://\(Topology.nodeAddress):32123/"
            let ok = try #require(try await get(from: topology.client, url))
            #expect(ok.status == 200)
            #expect(ok.headers["content-type"] == "application/json")
            #expect(ok.headers["x-content-type-options"] == "nosniff")
            #expect(ok.body == healthBody("default", "lb", 2), "\(ok.body)")
            // Any path answers the same.
            #expect(try await get(from: topology.client, url + "healthz")?.status == 200)

            // No ready local endpoint: 503.
            await server.sync(services: ServicePortMap([lb, plain]), endpoints: EndpointsMap([lb.name: Array(local[2...])]))
            let none = try #require(try await get(from: topology.client, url))
            #expect(none.status == 503)
            #expect(none.body == healthBody("default", "lb", 0))

            // Endpoints back but the proxy's syncs stalled: 503 and serviceProxyHealthy false.
            await server.sync(services: ServicePortMap([lb, plain]), endpoints: EndpointsMap([lb.name: local]))
            health.queued()
            try await Task.sleep(for: .milliseconds(500))
            let stalled = try #require(try await get(from: topology.client, url))
            #expect(stalled.status == 503)
            #expect(stalled.body == healthBody("default", "lb", 2, healthy: false))
            health.updated()
            #expect(try await get(from: topology.client, url)?.status == 200)

            // Told what changed: a change to another service leaves the listeners as they are (lb is not even
            // looked at, so a change to it that is not reported stays out); reported, it is applied.
            let fewer = EndpointsMap([lb.name: Array(local[1...])])
            await server.sync(services: ServicePortMap([lb, plain]), endpoints: fewer, changed: [plain.name])
            #expect(try await get(from: topology.client, url)?.body == healthBody("default", "lb", 2))
            await server.sync(services: ServicePortMap([lb, plain]), endpoints: fewer, changed: [lb.name])
            #expect(try await get(from: topology.client, url)?.body == healthBody("default", "lb", 1))
            // After a sync whose changes were lost (the proxy's failed), the next looks at every service.
            server.requestFullSync()
            await server.sync(services: ServicePortMap([lb, plain]), endpoints: EndpointsMap([lb.name: local]), changed: [])
            #expect(try await get(from: topology.client, url)?.body == healthBody("default", "lb", 2))

            // The Service goes (or changes to Cluster): the port closes.
            await server.sync(services: ServicePortMap([plain]), endpoints: EndpointsMap([:]))
            #expect(server.openPorts.isEmpty)
            #expect(try await get(from: topology.client, url) == nil)
        }
    }

    @Test func healthzAndLivezAnswerLikeKubeProxy() async throws {
        try await withNamespaces(["swt-pxh"]) { namespaces in
            let ns = namespaces[0]
            _ = try await runCommand("/usr/sbin/ip", ["-n", shortName(ns), "link", "set", "lo", "up"])
            let health = ProxyHealth(timeout: .milliseconds(300))
            let running = try await ProxyHealthServer(host: "127.0.0.1", port: 10256, health: health, namespace: ns, logger: testLogger()).start()
            defer { Task { await running.close() } }
            let time = #"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} [A-Z]+ m=\+\d+\.\d{9}"#

            health.updated()
            let healthz = try #require(try await get(from: ns, "http://127.0.0.1:10256/healthz"))
            #expect(healthz.status == 200)
            #expect(healthz.headers["content-type"] == "application/json")
            #expect(healthz.headers["x-content-type-options"] == "nosniff")
            #expect(healthz.body.wholeMatch(of: try Regex(#"\{"lastUpdated": "\#(time)","currentTime": "\#(time)", "nodeEligible": true\}"#)) != nil,
                    "\(healthz.body)")
            let livez = try #require(try await get(from: ns, "http://127.0.0.1:10256/livez"))
            #expect(livez.status == 200)
            #expect(livez.body.wholeMatch(of: try Regex(#"\{"lastUpdated": "\#(time)","currentTime": "\#(time)"\}"#)) != nil, "\(livez.body)")
            #expect(try await get(from: ns, "http://127.0.0.1:10256/other")?.status == 404)

            // A node tainted for deletion: /healthz says 503 and nodeEligible false, /livez stays 200.
            health.syncNode(deleting: false, taintKeys: [ProxyHealth.toBeDeletedTaint])
            let leaving = try #require(try await get(from: ns, "http://127.0.0.1:10256/healthz"))
            #expect(leaving.status == 503 && leaving.body.hasSuffix(#", "nodeEligible": false}"#), "\(leaving.body)")
            #expect(try await get(from: ns, "http://127.0.0.1:10256/livez")?.status == 200)
            health.syncNode(deleting: false, taintKeys: [])

            // Syncs stall (a change queued, none done within the timeout): both 503, lastUpdated the last success.
            health.queued()
            try await Task.sleep(for: .milliseconds(500))
            let stalled = try #require(try await get(from: ns, "http://127.0.0.1:10256/healthz"))
            #expect(stalled.status == 503)
            #expect(try await get(from: ns, "http://127.0.0.1:10256/livez")?.status == 503)
            let stamps = stalled.body.matches(of: try Regex(#""([^"]+)""#)).map { String($0.output[1].substring ?? "") }
            #expect(stamps.count == 5 && stamps[1] != stamps[3], "\(stalled.body)")  // lastUpdated is not currentTime
            health.updated()
            #expect(try await get(from: ns, "http://127.0.0.1:10256/healthz")?.status == 200)
        }
    }
}

import Foundation
import KubeAPI
import KubeClient
import LinuxSystem
import NFTables
import Proxy
import TestSupport
import Testing

/// The whole path: a real `swiftlet server`, a Service and an EndpointSlice created through the API,
/// the ProxyServer's informers, trackers and sync runner, traffic from the client namespace.
@Suite(.serialized) struct ProxyServerTests {
    @Test(arguments: ProxyMode.allCases) func informersDriveTheRulesEndToEnd(mode: ProxyMode) async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let client = try KubeClient(configuration: server.clientConfiguration(), logger: testLogger())
        defer { Task { try? await client.shutdown() } }

        try await Topology.with { topology in
            var nodeObject = try await client.create(Node(metadata: ObjectMeta(name: "node-a")))
            nodeObject.status = NodeStatus(addresses: [NodeAddress(type: "InternalIP", address: Topology.nodeAddress)])
            _ = try await client.updateStatus(nodeObject)
            let service = try await client.create(Service(
                metadata: ObjectMeta(name: "web", namespace: "default"),
                spec: ServiceSpec(ports: [ServicePort(name: "http", protocol: "TCP", port: 80, targetPort: .int(8080))], type: "NodePort")))
            let clusterIP = try #require(service.spec?.clusterIP)
            let nodePort = try #require(service.spec?.ports?.first?.nodePort)
            _ = try await client.create(EndpointSlice(
                metadata: ObjectMeta(name: "web-abc", namespace: "default", labels: ["kubernetes.io/service-name": "web"]),
                addressType: "IPv4",
                endpoints: (0..<2).map { Endpoint(addresses: [Topology.podAddress($0)], conditions: EndpointConditions(ready: true), nodeName: "node-a") },
                ports: [EndpointSlicePort(name: "http", protocol: "TCP", port: 8080)]))

            let proxy = try ProxyServer(client: client, nodeName: "node-a", mode: mode,
                                        configuration: ProxyConfiguration(minSyncPeriod: .milliseconds(200), clusterCIDRs: ["10.244.0.0/16"]),
                                        namespace: topology.node, logger: testLogger())
            let running = Task { try await proxy.run() }
            defer { running.cancel() }

            #expect(try await eventually { try await topology.curl(from: topology.client, "http://\(clusterIP)/", timeout: 1)?.hasPrefix("pod-") == true })
            #expect(try await eventually {
                try await topology.curl(from: topology.client, "http://\(Topology.nodeAddress):\(nodePort)/", timeout: 1)?.hasPrefix("pod-") == true
            })
            #expect(proxy.isHealthy)

            // Scale to the third pod only: the change arrives through the watch and is applied incrementally.
            var slice = try await client.get(EndpointSlice.self, name: "web-abc", namespace: "default")
            slice.endpoints = [Endpoint(addresses: [Topology.podAddress(2)], conditions: EndpointConditions(ready: true), nodeName: "node-a")]
            _ = try await client.update(slice)
            #expect(try await eventually {
                try await topology.curlMany(from: topology.client, "http://\(clusterIP)/", count: 5) == Array(repeating: "pod-2", count: 5)
            })
            #expect(await proxy.proxier.partialSyncCount >= 1)

            // Delete the slice: the service rejects.
            try await client.delete(EndpointSlice.self, name: "web-abc", namespace: "default")
            #expect(try await eventually { try await topology.curlStatus(from: topology.client, "http://\(clusterIP)/").status == 7 })
            running.cancel()
            _ = await running.result
        }
    }
}

extension ProxyServerTests {
    /// Switching `--proxy-mode` on a node: each mode's start removes what the other left, so the old rules
    /// cannot keep DNATing beside the new ones.
    @Test func switchingModesRemovesTheOtherModesRules() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let client = try KubeClient(configuration: server.clientConfiguration(), logger: testLogger())
        defer { Task { try? await client.shutdown() } }
        try await withNamespaces(["swt-pxsw"]) { namespaces in
            let ns = namespaces[0]
            let started = try await runProxy(.nftables, client: client, in: ns) { try await nftTableExists(in: ns) }
            #expect(started)
            let switched = try await runProxy(.iptables, client: client, in: ns) {
                let saved = try await iptablesSave(in: ns)
                let nft = try await nftTableExists(in: ns)
                return !nft && saved.contains(":KUBE-SERVICES")
            }
            #expect(switched)
            let back = try await runProxy(.nftables, client: client, in: ns) {
                let nat = try await iptablesSave(in: ns)
                let filter = try await iptablesSave(in: ns, table: "filter")
                let nft = try await nftTableExists(in: ns)
                return nft && !nat.contains("KUBE-") && !filter.contains("KUBE-")
            }
            #expect(back)
        }
    }

    /// A LoadBalancer Service with `externalTrafficPolicy: Local` created through the API gets its health check
    /// NodePort from the server's allocator, and the proxy answers on that port with the node's local endpoints.
    @Test func loadBalancerLocalGetsAHealthCheckNodePortTheProxyServes() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let client = try KubeClient(configuration: server.clientConfiguration(), logger: testLogger())
        defer { Task { try? await client.shutdown() } }

        try await Topology.with(pods: 1) { topology in
            var nodeObject = try await client.create(Node(metadata: ObjectMeta(name: "node-a")))
            nodeObject.status = NodeStatus(addresses: [NodeAddress(type: "InternalIP", address: Topology.nodeAddress)])
            _ = try await client.updateStatus(nodeObject)
            let service = try await client.create(Service(
                metadata: ObjectMeta(name: "lb", namespace: "default"),
                spec: ServiceSpec(ports: [ServicePort(name: "http", protocol: "TCP", port: 80, targetPort: .int(8080))],
                                  type: "LoadBalancer", externalTrafficPolicy: "Local")))
            let healthCheckNodePort = try #require(service.spec?.healthCheckNodePort)
            #expect((30000...32767).contains(healthCheckNodePort))
            _ = try await client.create(EndpointSlice(
                metadata: ObjectMeta(name: "lb-abc", namespace: "default", labels: ["kubernetes.io/service-name": "lb"]),
                addressType: "IPv4",
                endpoints: [Endpoint(addresses: [Topology.podAddress(0)], conditions: EndpointConditions(ready: true), nodeName: "node-a")],
                ports: [EndpointSlicePort(name: "http", protocol: "TCP", port: 8080)]))

            let proxy = try ProxyServer(client: client, nodeName: "node-a", mode: .nftables,
                                        configuration: ProxyConfiguration(minSyncPeriod: .milliseconds(200), clusterCIDRs: ["10.244.0.0/16"]),
                                        namespace: topology.node, logger: testLogger())
            let running = Task { try await proxy.run() }
            defer { running.cancel() }
            let url = "http://\(Topology.nodeAddress):\(healthCheckNodePort)/"
            #expect(try await eventually {
                try await topology.curl(from: topology.client, url, timeout: 1)?.contains(#""localEndpoints": 1"#) == true
            })

            // Patched to externalTrafficPolicy Cluster: the server drops the port and the proxy closes it.
            var cluster = try await client.get(Service.self, name: "lb", namespace: "default")
            cluster.spec?.externalTrafficPolicy = "Cluster"
            let updated = try await client.update(cluster)
            #expect(updated.spec?.healthCheckNodePort == nil)
            #expect(try await eventually { try await topology.curl(from: topology.client, url, timeout: 1) == nil })
            running.cancel()
            _ = await running.result
        }
    }

    /// Runs a proxy of `mode` programming `namespace` until `condition` holds (or 15 s pass); whether it did.
    private func runProxy(_ mode: ProxyMode, client: KubeClient, in namespace: NetworkNamespace,
                          until condition: () async throws -> Bool) async throws -> Bool {
        let proxy = try ProxyServer(client: client, nodeName: "node-a", mode: mode,
                                    configuration: ProxyConfiguration(minSyncPeriod: .milliseconds(200), clusterCIDRs: ["10.244.0.0/16"]),
                                    namespace: namespace, logger: testLogger())
        let running = Task { try await proxy.run() }
        defer { running.cancel() }
        let reached = try await eventually(condition)
        running.cancel()
        _ = await running.result
        return reached
    }

    private func nftTableExists(in namespace: NetworkNamespace) async throws -> Bool {
        try await runCommand("/usr/sbin/ip", ["netns", "exec", shortName(namespace), "nft", "list", "table", "ip", "swiftlet-proxy"]).status == 0
    }
}

/// Polls `condition` until it holds or `timeout` passes; the last answer is returned.
func eventually(timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}

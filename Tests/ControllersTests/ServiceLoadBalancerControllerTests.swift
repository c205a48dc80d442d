import Controllers
import Foundation
import KubeAPI
import KubeClient
import Testing
import TestSupport

/// The built-in load balancer: LoadBalancer Services get the Ready nodes' addresses as ingress, one Service per node
/// port, with upstream's service-controller events.
@Suite("Service load balancer controller", .serialized)
struct ServiceLoadBalancerControllerTests {
    @Test func loadBalancersGetTheReadyNodesAddressesOneServicePerPort() async throws {
        try await ControllerHarness.with(controllers: "service") { h in
            func setNode(_ name: String, ready: Bool, addresses: [(String, String)]) async throws {
                let status: JSONValue = ["status": [
                    "addresses": .array(addresses.map { ["type": .string($0.0), "address": .string($0.1)] }),
                    "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]]]]
                _ = try await h.client.patch(Node.self, name: name, patchType: .merge, status, subresource: "status")
            }
            for name in ["lb-1", "lb-2", "lb-3", "lb-4"] {
                let labels = name == "lb-4" ? ["node.kubernetes.io/exclude-from-external-load-balancers": ""] : nil
                _ = try await h.client.create(Node(metadata: ObjectMeta(name: name, labels: labels)))
            }
            try await setNode("lb-1", ready: true, addresses: [("InternalIP", "192.0.2.1")])
            try await setNode("lb-2", ready: true, addresses: [("InternalIP", "192.0.2.2"), ("ExternalIP", "198.51.100.2")])
            try await setNode("lb-3", ready: false, addresses: [("InternalIP", "192.0.2.3")])
            try await setNode("lb-4", ready: true, addresses: [("InternalIP", "192.0.2.4")])

            func create(_ name: String, port: Int32, loadBalancerClass: String? = nil) async throws {
                _ = try await h.client.create(Service(metadata: ObjectMeta(name: name, namespace: "default"),
                                                      spec: ServiceSpec(ports: [ServicePort(port: port)], selector: ["app": name], type: "LoadBalancer",
                                                                        loadBalancerClass: loadBalancerClass)))
            }
            @Sendable func ingress(_ name: String) async throws -> [String] {
                let service = try await h.client.get(Service.self, name: name, namespace: "default")
                #expect(service.status?.loadBalancer?.ingress?.allSatisfy { $0.ipMode == "VIP" } ?? true)
                return (service.status?.loadBalancer?.ingress ?? []).compactMap(\.ip)
            }
            try await create("first", port: 80)
            try await eventually("first gets the Ready nodes' addresses") { try await ingress("first") == ["192.0.2.1", "198.51.100.2"] }
            try await eventually("events") {
                let events = try await h.events(about: "Service", "first")
                return events.contains("Normal/EnsuringLoadBalancer: Ensuring load balancer") && events.contains("Normal/EnsuredLoadBalancer: Ensured load balancer")
            }
            // Port 80 is taken on every node: the second Service stays pending; another port is free.
            try await create("second", port: 80)
            try await create("third", port: 81)
            try await create("classy", port: 82, loadBalancerClass: "example.com/other")
            try await eventually("third gets the nodes") { try await ingress("third") == ["192.0.2.1", "198.51.100.2"] }
            try await eventually("second pending with a warning") {
                try await h.events(about: "Service", "second").contains(
                    "Warning/SyncLoadBalancerFailed: Error syncing load balancer: failed to ensure load balancer: no Ready node has 80/TCP free")
            }
            #expect(try await ingress("second").isEmpty)

            // A node becoming Ready joins; the first Service giving up port 80 lets the second have it.
            try await setNode("lb-3", ready: true, addresses: [("InternalIP", "192.0.2.3")])
            try await eventually("lb-3 joins") { try await ingress("first") == ["192.0.2.1", "192.0.2.3", "198.51.100.2"] }
            _ = try await h.client.patch(Service.self, name: "first", namespace: "default", patchType: .merge, ["spec": ["type": "ClusterIP"]])
            try await eventually("second takes port 80") { try await ingress("second") == ["192.0.2.1", "192.0.2.3", "198.51.100.2"] }
            try await eventually("first, a ClusterIP Service now, has no ingress") { try await ingress("first").isEmpty }
            // Another implementation's Service is left alone.
            #expect(try await ingress("classy").isEmpty)
        }
    }
}

import Controllers
import Foundation
import KubeAPI
import KubeClient
import Testing
import TestSupport

@Suite("EndpointSlice and Endpoints controllers", .serialized)
struct EndpointSliceControllerTests {
    @Test func slicesAndEndpointsTrackReadyPods() async throws {
        try await ControllerHarness.with(controllers: "endpointslice,endpoint") { h in
            _ = try await h.client.create(Service(metadata: ObjectMeta(name: "web", namespace: "default"),
                                                  spec: ServiceSpec(ports: [ServicePort(name: "http", port: 80, targetPort: "http")],
                                                                    selector: ["app": "web"])))
            var pods: [Pod] = []
            for name in ["web-a", "web-b"] {
                var spec = try #require(template(["app": "web"]).spec)
                spec.nodeName = "node-1"
                pods.append(try await h.client.create(Pod(metadata: ObjectMeta(name: name, namespace: "default", labels: ["app": "web"]), spec: spec)))
            }
            try await h.markReady(pods[0], ip: "10.244.1.10")
            // web-b has an IP but is not ready.
            _ = try await h.client.patch(Pod.self, name: "web-b", namespace: "default", patchType: .merge,
                                         ["status": ["phase": "Running", "podIP": "10.244.1.11"]], subresource: "status")

            let slices = { @Sendable () async throws -> [EndpointSlice] in
                try await h.client.list(EndpointSlice.self, namespace: "default",
                                        options: ListOptions(labelSelector: "kubernetes.io/service-name=web")).items
            }
            try await eventually("slice with both endpoints") {
                try await slices().first?.endpoints.count == 2
            }
            let slice = try #require(try await slices().first)
            #expect(slice.metadata.labels?["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io")
            #expect(slice.metadata.ownerReferences?.first?.kind == "Service")
            #expect(slice.addressType == "IPv4")
            #expect(slice.ports == [EndpointSlicePort(name: "http", protocol: "TCP", port: 8080)])
            let a = try #require(slice.endpoints.first { $0.addresses == ["10.244.1.10"] })
            #expect(a.conditions == EndpointConditions(ready: true, serving: true, terminating: false))
            #expect(a.targetRef?.name == "web-a" && a.targetRef?.kind == "Pod" && a.nodeName == "node-1")
            let b = try #require(slice.endpoints.first { $0.addresses == ["10.244.1.11"] })
            #expect(b.conditions?.ready == false)

            try await eventually("endpoints object") {
                let endpoints = try await h.client.get(Endpoints.self, name: "web", namespace: "default")
                let subset = endpoints.subsets?.first
                return subset?.addresses?.map(\.ip) == ["10.244.1.10"] && subset?.notReadyAddresses?.map(\.ip) == ["10.244.1.11"]
                    && subset?.ports == [EndpointPort(name: "http", port: 8080, protocol: "TCP")]
            }

            // Readiness changes and deletions follow.
            try await h.markReady(try await h.client.get(Pod.self, name: "web-b", namespace: "default"), ip: "10.244.1.11")
            try await eventually("both ready") {
                try await slices().first?.endpoints.allSatisfy { $0.conditions?.ready == true } == true
            }
            try await h.client.delete(Pod.self, name: "web-a", namespace: "default", options: DeleteOptions(gracePeriodSeconds: 0))
            try await eventually("deleted pod leaves the slice") {
                try await slices().first?.endpoints.map(\.addresses) == [["10.244.1.11"]]
            }
        }
    }

    @Test func largeServicesSpreadOverSlicesOfAtMostOneHundred() async throws {
        try await ControllerHarness.with(controllers: "endpointslice") { h in
            _ = try await h.client.create(Service(metadata: ObjectMeta(name: "big", namespace: "default"),
                                                  spec: ServiceSpec(ports: [ServicePort(port: 80)], selector: ["app": "big"])))
            for i in 0..<130 {
                let pod = try await h.client.create(Pod(metadata: ObjectMeta(name: "big-\(i)", namespace: "default", labels: ["app": "big"]),
                                                        spec: template(["app": "big"]).spec))
                try await h.markReady(pod, ip: "10.244.2.\(i + 1)")
            }
            try await eventually("130 endpoints in 2 slices", timeout: .seconds(60)) {
                let slices = try await h.client.list(EndpointSlice.self, namespace: "default",
                                                     options: ListOptions(labelSelector: "kubernetes.io/service-name=big")).items
                return slices.count == 2 && slices.map(\.endpoints.count).reduce(0, +) == 130 && slices.allSatisfy { $0.endpoints.count <= 100 }
            }
        }
    }

    /// Topology-aware routing: endpoints carry their node's zone; `trafficDistribution: PreferClose` hints each ready
    /// endpoint for its zone (not ready ones, nor those on a node without a zone); taking the field away removes the
    /// hints; a node moving to another zone moves its endpoints' zone and hints.
    @Test func preferCloseHintsEachReadyEndpointForItsZone() async throws {
        try await ControllerHarness.with(controllers: "endpointslice") { h in
            for (node, zone) in [("zone-node-a", "zone-a"), ("zone-node-b", "zone-b"), ("zone-node-none", nil)] {
                _ = try await h.client.create(Node(metadata: ObjectMeta(name: node, labels: zone.map { ["topology.kubernetes.io/zone": $0] })))
            }
            _ = try await h.client.create(Service(metadata: ObjectMeta(name: "close", namespace: "default"),
                                                  spec: ServiceSpec(ports: [ServicePort(port: 80)], selector: ["app": "close"],
                                                                    trafficDistribution: "PreferClose")))
            for (index, node) in ["zone-node-a", "zone-node-b", "zone-node-none", "zone-node-a"].enumerated() {
                var spec = try #require(template(["app": "close"]).spec)
                spec.nodeName = node
                let pod = try await h.client.create(Pod(metadata: ObjectMeta(name: "close-\(index)", namespace: "default", labels: ["app": "close"]),
                                                        spec: spec))
                if index < 3 {
                    try await h.markReady(pod, ip: "10.244.3.\(index + 1)")
                } else {
                    // Running with an address but not ready: in the slice, without a hint.
                    _ = try await h.client.patch(Pod.self, name: "close-3", namespace: "default", patchType: .merge,
                                                 ["status": ["phase": "Running", "podIP": "10.244.3.4"]], subresource: "status")
                }
            }
            @Sendable func endpoints() async throws -> [String: Endpoint] {
                let slices = try await h.client.list(EndpointSlice.self, namespace: "default",
                                                     options: ListOptions(labelSelector: "kubernetes.io/service-name=close")).items
                return Dictionary(slices.flatMap(\.endpoints).map { ($0.addresses.first ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            }
            try await eventually("four endpoints with zones and hints") {
                let all = try await endpoints()
                return all.count == 4 && all["10.244.3.1"]?.hints != nil && all["10.244.3.2"]?.hints != nil
            }
            var all = try await endpoints()
            #expect(all["10.244.3.1"]?.zone == "zone-a" && all["10.244.3.1"]?.hints == EndpointHints(forZones: [ForZone(name: "zone-a")]))
            #expect(all["10.244.3.2"]?.zone == "zone-b" && all["10.244.3.2"]?.hints == EndpointHints(forZones: [ForZone(name: "zone-b")]))
            #expect(all["10.244.3.3"]?.zone == nil && all["10.244.3.3"]?.hints == nil)
            #expect(all["10.244.3.4"]?.zone == "zone-a" && all["10.244.3.4"]?.hints == nil && all["10.244.3.4"]?.conditions?.ready == false)

            // The node of close-1 moves to zone-c.
            _ = try await h.client.patch(Node.self, name: "zone-node-b", patchType: .merge,
                                         ["metadata": ["labels": ["topology.kubernetes.io/zone": "zone-c"]]])
            try await eventually("the endpoint follows its node to zone-c") {
                try await endpoints()["10.244.3.2"]?.hints == EndpointHints(forZones: [ForZone(name: "zone-c")])
            }

            // Without trafficDistribution: zones stay, hints go.
            _ = try await h.client.patch(Service.self, name: "close", namespace: "default", patchType: .merge,
                                         ["spec": ["trafficDistribution": JSONValue.null]])
            try await eventually("hints removed") {
                try await endpoints().values.allSatisfy { $0.hints == nil }
            }
            all = try await endpoints()
            #expect(all["10.244.3.1"]?.zone == "zone-a" && all["10.244.3.2"]?.zone == "zone-c")
        }
    }
}

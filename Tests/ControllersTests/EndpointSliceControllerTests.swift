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

    /// Topology Aware Routing (`service.kubernetes.io/topology-mode: Auto`): with two Ready zones of equal CPU, four
    /// ready endpoints (three in zone-a) are hinted two per zone, one of zone-a's given to zone-b, with upstream's
    /// Enabled event; a zone going NotReady leaves too little node information (hints removed, Warning); back Ready,
    /// the hints return; removing the annotation removes them with the Disabled Warning; too few endpoints for the
    /// zones is a Warning too.
    @Test func topologyModeAutoHintsByTheZonesShareOfCPU() async throws {
        try await ControllerHarness.with(controllers: "endpointslice") { h in
            func setNode(_ name: String, zone: String, ready: Bool) async throws {
                let status: JSONValue = ["status": ["allocatable": ["cpu": "4", "memory": "8Gi", "pods": "110"],
                                                    "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]]]]
                _ = try await h.client.patch(Node.self, name: name, patchType: .merge, status, subresource: "status")
            }
            for (node, zone) in [("auto-a", "zone-a"), ("auto-b", "zone-b")] {
                _ = try await h.client.create(Node(metadata: ObjectMeta(name: node, labels: ["topology.kubernetes.io/zone": zone])))
                try await setNode(node, zone: zone, ready: true)
            }
            _ = try await h.client.create(Service(metadata: ObjectMeta(name: "auto", namespace: "default",
                                                                       annotations: ["service.kubernetes.io/topology-mode": "Auto"]),
                                                  spec: ServiceSpec(ports: [ServicePort(port: 80)], selector: ["app": "auto"])))
            for (index, node) in ["auto-a", "auto-a", "auto-b", "auto-a"].enumerated() {
                var spec = try #require(template(["app": "auto"]).spec)
                spec.nodeName = node
                let pod = try await h.client.create(Pod(metadata: ObjectMeta(name: "auto-\(index)", namespace: "default", labels: ["app": "auto"]),
                                                        spec: spec))
                try await h.markReady(pod, ip: "10.244.4.\(index + 1)")
            }
            @Sendable func hintsByAddress() async throws -> [String: [String]] {
                let slices = try await h.client.list(EndpointSlice.self, namespace: "default",
                                                     options: ListOptions(labelSelector: "kubernetes.io/service-name=auto")).items
                return Dictionary(slices.flatMap(\.endpoints).map { ($0.addresses.first ?? "", $0.hints?.forZones?.map(\.name) ?? []) },
                                  uniquingKeysWith: { a, _ in a })
            }
            // Zone-a's first endpoint (auto-0) goes to zone-b: two each.
            let balanced = ["10.244.4.1": ["zone-b"], "10.244.4.2": ["zone-a"], "10.244.4.3": ["zone-b"], "10.244.4.4": ["zone-a"]]
            try await eventually("two endpoints hinted per zone") { try await hintsByAddress() == balanced }
            try await eventually("enabled event") {
                try await h.events(about: "Service", "auto").contains("Normal/TopologyAwareHintsEnabled: Topology Aware Hints has been enabled, addressType: IPv4")
            }

            try await setNode("auto-b", zone: "zone-b", ready: false)
            try await eventually("hints removed with zone-b not ready") { try await hintsByAddress().values.allSatisfy(\.isEmpty) }
            try await eventually("insufficient node information") {
                try await h.events(about: "Service", "auto").contains(
                    "Warning/TopologyAwareHintsDisabled: Insufficient Node information: allocatable CPU or zone not specified on one or more nodes, addressType: IPv4")
            }
            try await setNode("auto-b", zone: "zone-b", ready: true)
            try await eventually("hints back") { try await hintsByAddress() == balanced }

            _ = try await h.client.patch(Service.self, name: "auto", namespace: "default", patchType: .merge,
                                         ["metadata": ["annotations": ["service.kubernetes.io/topology-mode": JSONValue.null]]])
            try await eventually("hints removed without the annotation") { try await hintsByAddress().values.allSatisfy(\.isEmpty) }
            try await eventually("disabled event") {
                try await h.events(about: "Service", "auto").contains("Warning/TopologyAwareHintsDisabled: Topology Aware Hints has been disabled, addressType: IPv4")
            }

            _ = try await h.client.patch(Service.self, name: "auto", namespace: "default", patchType: .merge,
                                         ["metadata": ["annotations": ["service.kubernetes.io/topology-mode": "auto"]]])
            try await eventually("hints again") { try await hintsByAddress() == balanced }
            for index in 1...3 {
                try await h.client.delete(Pod.self, name: "auto-\(index)", namespace: "default", options: DeleteOptions(gracePeriodSeconds: 0))
            }
            try await eventually("one endpoint, no hints") { try await hintsByAddress() == ["10.244.4.1": []] }
            try await eventually("insufficient endpoints") {
                try await h.events(about: "Service", "auto").contains(
                    "Warning/TopologyAwareHintsDisabled: Insufficient number of endpoints (1 endpoints, 2 zones), addressType: IPv4")
            }
        }
    }
}

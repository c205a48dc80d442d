import Controllers
import Foundation
import KubeAPI
import KubeClient
import Testing
import TestSupport

/// The EndpointSlice mirroring controller against a real API server: hand-written Endpoints of a Service without a
/// selector become EndpointSlices as upstream's controller writes them, and only those.
@Suite("EndpointSlice mirroring controller", .serialized)
struct EndpointSliceMirroringControllerTests {
    static func mirrored(_ h: ControllerHarness, _ service: String) async throws -> [EndpointSlice] {
        try await h.client.list(EndpointSlice.self, namespace: "default",
                                options: ListOptions(labelSelector: "kubernetes.io/service-name=\(service)")).items
    }

    @Test func endpointsOfAServiceWithoutSelectorAreMirrored() async throws {
        try await ControllerHarness.with(controllers: "endpointslicemirroring,garbagecollector") { h in
            _ = try await h.client.create(Service(metadata: ObjectMeta(name: "db", namespace: "default"),
                                                  spec: ServiceSpec(ports: [ServicePort(name: "pg", port: 5432)])))
            let endpoints = Endpoints(
                metadata: ObjectMeta(name: "db", namespace: "default", labels: ["team": "data"],
                                     annotations: ["owner": "dba", "kubectl.kubernetes.io/last-applied-configuration": "{}"]),
                subsets: [EndpointSubset(addresses: [EndpointAddress(ip: "10.0.0.5", hostname: "db-0"), EndpointAddress(ip: "fd00::1"),
                                                     EndpointAddress(ip: "db.example")],
                                         notReadyAddresses: [EndpointAddress(ip: "10.0.0.6")],
                                         ports: [EndpointPort(name: "pg", port: 5432, protocol: "TCP")])])
            let source = try await h.client.create(endpoints)

            try await eventually("an IPv4 and an IPv6 slice") { try await Self.mirrored(h, "db").count == 2 }
            let slices = try await Self.mirrored(h, "db")
            let v4 = try #require(slices.first { $0.addressType == "IPv4" })
            #expect(v4.metadata.name?.hasPrefix("db-") == true)
            #expect(v4.metadata.labels == ["team": "data", "kubernetes.io/service-name": "db",
                                            "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io"])
            #expect(v4.metadata.annotations == ["owner": "dba"])
            #expect(v4.metadata.ownerReferences == [OwnerReference(apiVersion: "v1", kind: "Endpoints", name: "db", uid: source.metadata.uid ?? "",
                                                                   controller: true, blockOwnerDeletion: true)])
            #expect(v4.ports == [EndpointSlicePort(name: "pg", protocol: "TCP", port: 5432)])
            #expect(v4.endpoints == [Endpoint(addresses: ["10.0.0.5"], conditions: EndpointConditions(ready: true), hostname: "db-0"),
                                     Endpoint(addresses: ["10.0.0.6"], conditions: EndpointConditions(ready: false))])
            let v6 = try #require(slices.first { $0.addressType == "IPv6" })
            #expect(v6.endpoints.map(\.addresses) == [["fd00::1"]])
            // The address that is not an IP is left out, with upstream's Warning on the Endpoints.
            try await eventually("an InvalidIPAddress event") {
                try await h.client.list(Event.self, namespace: "default", options: ListOptions(fieldSelector: "involvedObject.name=db")).items
                    .contains { $0.reason == "InvalidIPAddress" && $0.type == "Warning" && $0.message == "Skipped 1 invalid IP addresses when mirroring to EndpointSlices" }
            }

            // Changes follow: a new port and one address fewer.
            var changed = try await h.client.get(Endpoints.self, name: "db", namespace: "default")
            changed.subsets = [EndpointSubset(addresses: [EndpointAddress(ip: "10.0.0.5")], ports: [EndpointPort(name: "pg", port: 5433, protocol: "TCP")])]
            _ = try await h.client.update(changed)
            try await eventually("one IPv4 slice on the new port") {
                let slices = try await Self.mirrored(h, "db")
                return slices.count == 1 && slices[0].ports?.first?.port == 5433 && slices[0].endpoints.map(\.addresses) == [["10.0.0.5"]]
            }
            // A slice someone else edits is put back.
            var edited = try #require(try await Self.mirrored(h, "db").first)
            edited.endpoints = []
            _ = try await h.client.update(edited)
            try await eventually("the edit undone") { try await Self.mirrored(h, "db").first?.endpoints.count == 1 }

            // Deleting the Endpoints deletes its slices.
            try await h.client.delete(Endpoints.self, name: "db", namespace: "default")
            try await eventually("no slices") { try await Self.mirrored(h, "db").isEmpty }
        }
    }

    @Test func onlyServicesWithoutSelectorAreMirrored() async throws {
        try await ControllerHarness.with(controllers: "endpointslicemirroring") { h in
            let subsets = [EndpointSubset(addresses: [EndpointAddress(ip: "10.0.1.1")], ports: [EndpointPort(port: 80, protocol: "TCP")])]
            // A Service with a selector: its Endpoints belong to the Endpoints controller, its slices to the EndpointSlice
            // controller. An Endpoints object labelled skip-mirror, or one without a Service, is not mirrored either.
            _ = try await h.client.create(Service(metadata: ObjectMeta(name: "web", namespace: "default"),
                                                  spec: ServiceSpec(ports: [ServicePort(port: 80)], selector: ["app": "web"])))
            _ = try await h.client.create(Service(metadata: ObjectMeta(name: "skipped", namespace: "default"), spec: ServiceSpec(ports: [ServicePort(port: 80)])))
            _ = try await h.client.create(Endpoints(metadata: ObjectMeta(name: "web", namespace: "default"), subsets: subsets))
            _ = try await h.client.create(Endpoints(metadata: ObjectMeta(name: "skipped", namespace: "default",
                                                                         labels: ["endpointslice.kubernetes.io/skip-mirror": "true"]), subsets: subsets))
            _ = try await h.client.create(Endpoints(metadata: ObjectMeta(name: "lonely", namespace: "default"), subsets: subsets))
            // The Service for the last one arrives: now it is mirrored.
            _ = try await h.client.create(Service(metadata: ObjectMeta(name: "lonely", namespace: "default"), spec: ServiceSpec(ports: [ServicePort(port: 80)])))
            try await eventually("lonely mirrored") { try await Self.mirrored(h, "lonely").count == 1 }
            #expect(try await Self.mirrored(h, "web").isEmpty)
            #expect(try await Self.mirrored(h, "skipped").isEmpty)

            // The Service gains a selector: the mirrored slices go.
            var service = try await h.client.get(Service.self, name: "lonely", namespace: "default")
            service.spec?.selector = ["app": "lonely"]
            _ = try await h.client.update(service)
            try await eventually("lonely's mirror deleted") { try await Self.mirrored(h, "lonely").isEmpty }
        }
    }

    @Test func atMostAThousandAddressesOfASubsetAreMirrored() async throws {
        try await ControllerHarness.with(controllers: "endpointslicemirroring") { h in
            _ = try await h.client.create(Service(metadata: ObjectMeta(name: "wide", namespace: "default"), spec: ServiceSpec(ports: [ServicePort(port: 80)])))
            let addresses = (0..<1002).map { EndpointAddress(ip: "10.1.\($0 / 256).\($0 % 256)") }
            _ = try await h.client.create(Endpoints(metadata: ObjectMeta(name: "wide", namespace: "default"),
                                                    subsets: [EndpointSubset(addresses: addresses, ports: [EndpointPort(port: 80, protocol: "TCP")])]))
            try await eventually("1,000 endpoints mirrored") {
                try await Self.mirrored(h, "wide").map(\.endpoints.count) == [1000]
            }
            try await eventually("a TooManyAddressesToMirror event") {
                try await h.client.list(Event.self, namespace: "default", options: ListOptions(fieldSelector: "involvedObject.name=wide")).items.contains {
                    $0.reason == "TooManyAddressesToMirror"
                        && $0.message == "A max of 1000 addresses can be mirrored to EndpointSlices per Endpoints subset. 2 addresses were skipped"
                }
            }
        }
    }
}

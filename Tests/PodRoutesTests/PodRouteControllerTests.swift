import Foundation
import KubeAPI
import KubeClient
import LinuxSystem
import Logging
import Netlink
import PodRoutes
import TestSupport
import Testing

/// Host-gw routes against a real `swiftlet server`: two "node" namespaces on a bridge (in a third), the controller
/// programming node A as Node objects come, change and go.
@Suite(.serialized) struct PodRouteControllerTests {
    @Test func desiredRoutesSkipTheLocalNodeAndNodesWithoutAddressOrCIDR() throws {
        let nodes = [
            node("a", cidr: "10.244.1.0/24", ip: "192.168.77.11"),
            node("b", cidr: "10.244.2.7/24", ip: "192.168.77.12"),
            node("c", cidr: "10.244.3.0/24", ip: nil),
            node("d", cidr: nil, ip: "192.168.77.14"),
            node("e", cidr: "not-a-cidr", ip: "192.168.77.15"),
            node("f", cidr: "fd00:244:6::/64", ip: "192.168.77.16"),
        ]
        let routes = PodRoute.desired(nodes: nodes, localNodeName: "a")
        #expect(routes == [PodRoute(destination: try IPNetwork(parsing: "10.244.2.0/24"), gateway: try IPAddress(parsing: "192.168.77.12"), nodeName: "b")])
    }

    @Test func routesFollowNodeObjects() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let client = try KubeClient(configuration: server.clientConfiguration(), logger: Logger(label: "test"))
        defer { Task { try? await client.shutdown() } }

        try await withThrowawayNetworkNamespace(prefix: "swr-wire") { wire in
            try await withThrowawayNetworkNamespace(prefix: "swr-a") { nodeA in
                try await withThrowawayNetworkNamespace(prefix: "swr-b") { nodeB in
                    try wireUp(wire: wire, nodes: [(nodeA, "192.168.77.11/24"), (nodeB, "192.168.77.12/24")])
                    // node B's "pods": an address of its pod CIDR on its loopback.
                    try RouteNetlink(in: nodeB).addAddress(try IPNetwork(parsing: "10.244.2.1/32"), to: .name("lo"))
                    let netlinkA = try RouteNetlink(in: nodeA)
                    // Somebody else's route in the same range of numbers: never touched.
                    try netlinkA.addRoute(Route(destination: try IPNetwork(parsing: "10.99.0.0/24"), gateway: try IPAddress(parsing: "192.168.77.12")))

                    _ = try await createNode(client, "route-a", cidr: "10.244.1.0/24", ip: "192.168.77.11")
                    _ = try await createNode(client, "route-b", cidr: "10.244.2.0/24", ip: "192.168.77.12")
                    let controller = try PodRouteController(client: client, nodeName: "route-a", namespace: nodeA, resyncPeriod: .seconds(1),
                                                            logger: Logger(label: "test"))
                    let running = Task { await controller.run() }
                    defer { running.cancel() }

                    #expect(try await eventually { try ownRoutes(netlinkA) == ["10.244.2.0/24 via 192.168.77.12"] })
                    #expect(try await eventually { try await ping(from: nodeA, "10.244.2.1") })

                    // B's address changes: the route follows; a node without an InternalIP gets none.
                    try RouteNetlink(in: nodeB).addAddress(try IPNetwork(parsing: "192.168.77.13/24"), to: .name("eth0"))
                    var b = try await client.get(Node.self, name: "route-b")
                    b.status?.addresses = [NodeAddress(type: "InternalIP", address: "192.168.77.13")]
                    _ = try await client.updateStatus(b)
                    _ = try await createNode(client, "route-c", cidr: "10.244.3.0/24", ip: nil)
                    #expect(try await eventually { try ownRoutes(netlinkA) == ["10.244.2.0/24 via 192.168.77.13"] })
                    #expect(try await eventually { try await ping(from: nodeA, "10.244.2.1") })

                    // A route removed behind the controller's back comes back on the resync.
                    try netlinkA.deleteRoute(Route(destination: try IPNetwork(parsing: "10.244.2.0/24"), gateway: try IPAddress(parsing: "192.168.77.13")))
                    #expect(try await eventually { try ownRoutes(netlinkA) == ["10.244.2.0/24 via 192.168.77.13"] })

                    // B goes: its route goes, the foreign route stays.
                    try await client.delete(Node.self, name: "route-b")
                    #expect(try await eventually { try ownRoutes(netlinkA).isEmpty })
                    #expect(try await !ping(from: nodeA, "10.244.2.1"))
                    #expect(try netlinkA.routes(family: .v4).contains { $0.destination.description == "10.99.0.0/24" })

                    // removeAll (a throwaway node shutting down) deletes only the controller's routes.
                    _ = try await createNode(client, "route-d", cidr: "10.244.4.0/24", ip: "192.168.77.12")
                    #expect(try await eventually { try ownRoutes(netlinkA) == ["10.244.4.0/24 via 192.168.77.12"] })
                    running.cancel()
                    _ = await running.value
                    try await controller.removeAll()
                    #expect(try ownRoutes(netlinkA).isEmpty)
                    #expect(try netlinkA.routes(family: .v4).contains { $0.destination.description == "10.99.0.0/24" })
                }
            }
        }
    }
}

private func node(_ name: String, cidr: String?, ip: String?) -> Node {
    var node = Node(metadata: ObjectMeta(name: name))
    node.spec = NodeSpec(podCIDR: cidr)
    node.status = NodeStatus(addresses: ip.map { [NodeAddress(type: "InternalIP", address: $0)] } ?? [])
    return node
}

private func createNode(_ client: KubeClient, _ name: String, cidr: String, ip: String?) async throws -> Node {
    let template = node(name, cidr: cidr, ip: ip)
    var created = try await client.create(Node(metadata: template.metadata, spec: template.spec))
    created.status = template.status
    return try await client.updateStatus(created)
}

/// A bridge in `wire`, each node namespace joined by a veth (`eth0` inside) with its address.
private func wireUp(wire: NetworkNamespace, nodes: [(NetworkNamespace, String)]) throws {
    let bridge = try RouteNetlink(in: wire)
    try bridge.createBridge(named: "br0")
    try bridge.setUp(.name("br0"))
    for (index, (namespace, address)) in nodes.enumerated() {
        try bridge.createVeth(named: "n\(index)", peerName: "eth0", peerNamespace: namespace)
        try bridge.setMaster(.name("n\(index)"), .name("br0"))
        try bridge.setUp(.name("n\(index)"))
        let inside = try RouteNetlink(in: namespace)
        try inside.setUp(.name("lo"))
        try inside.addAddress(try IPNetwork(parsing: address), to: .name("eth0"))
        try inside.setUp(.name("eth0"))
    }
}

private func ownRoutes(_ netlink: RouteNetlink) throws -> [String] {
    try netlink.routes(family: .v4).filter { $0.routeProtocol == PodRouteController.routeProtocol }
        .map { "\($0.destination) via \($0.gateway.map { "\($0)" } ?? "-")" }.sorted()
}

private func ping(from namespace: NetworkNamespace, _ address: String) async throws -> Bool {
    let output = try await Subprocess.output("/usr/bin/nsenter", arguments: ["--net=\(namespace.path)", "/bin/busybox", "ping", "-c1", "-W1", address])
    return output.status == 0
}

private func eventually(timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}

import Foundation
import Testing
import TestSupport

/// `kubectl patch` of a Service's type and traffic policy, as upstream's service registry handles it: what the new
/// version needs is allocated (ClusterIP, NodePorts, health check NodePort), what it has no use for is dropped and
/// released, and a write that fails gives back what it allocated and nothing it did not.
///
/// The ports the tests ask for by number lie in the static band (30000-30085), where no port a Service did not ask
/// for is allocated while the rest of the range has room, so a random allocation cannot take one first.
@Suite("Service type changes", .timeLimit(.minutes(3)))
struct ServiceTypeChangeTests {
    @Test("ClusterIP → NodePort allocates NodePorts; → ClusterIP drops and frees them; → ExternalName frees the ClusterIP and back allocates one; failed and dry-run writes keep nothing")
    func typeChangesAllocateAndRelease() async throws {
        let k = try await KubectlHarness(controllers: false)
        func field(_ service: String, _ path: String) async throws -> String { try await k.serviceField(service, path) }
        func fails(_ arguments: String...) async throws -> String { try await k.refused(arguments) }
        func create(_ name: String, type: String, nodePort: String? = nil, clusterIP: String? = nil) async throws -> CommandResult {
            try await k.applyService(name, type: type, nodePort: nodePort, clusterIP: clusterIP)
        }

        #expect(try await create("web", type: "ClusterIP").status == 0)
        let clusterIP = try await field("web", ".spec.clusterIP")
        // ClusterIP → NodePort: a NodePort for the port, the policy NodePorts use, the ClusterIP kept.
        try await k.ok("patch", "service", "web", "-p", #"{"spec":{"type":"NodePort"}}"#)
        let nodePort = try await field("web", ".spec.ports[0].nodePort")
        #expect((30000...32767).contains(Int(nodePort) ?? 0), "\(nodePort)")
        #expect(try await field("web", ".spec.externalTrafficPolicy") == "Cluster")
        #expect(try await field("web", ".spec.clusterIP") == clusterIP)
        // A write that names no NodePort (apply of the first manifest with the type changed) keeps it.
        #expect(try await create("web", type: "NodePort").status == 0)
        #expect(try await field("web", ".spec.ports[0].nodePort") == nodePort)
        // It is taken: another Service asking for it is refused in upstream's words.
        let taken = try await create("other", type: "NodePort", nodePort: nodePort)
        #expect(taken.stderr.contains(#"The Service "other" is invalid: spec.ports[0].nodePort: Invalid value: \#(nodePort): provided port is already allocated"#),
                "\(taken)")

        // A patch that fails (the second port asks for a taken NodePort) gives back the first one it allocated.
        #expect(try await create("holder", type: "NodePort", nodePort: "30009").status == 0)
        let refused = try await fails("patch", "service", "web", "--type", "json", "-p", """
            [{"op":"replace","path":"/spec/ports","value":[{"name":"a","port":80,"targetPort":8080,"nodePort":30008},
                                                          {"name":"b","port":81,"targetPort":8080,"nodePort":30009}]}]
            """)
        #expect(refused.contains("spec.ports[1].nodePort: Invalid value: 30009: provided port is already allocated"), "\(refused)")
        // A dry run shows the NodePort it would allocate and keeps none.
        #expect(try await create("dry", type: "ClusterIP").status == 0)
        let dryRun = try await k.ok("patch", "service", "dry", "--dry-run=server", "-o", "jsonpath={.spec.ports[0].nodePort}",
                                    "-p", #"{"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30007}]}}"#)
        #expect(dryRun == "30007")
        #expect(try await create("free", type: "NodePort", nodePort: "30008").status == 0)
        #expect(try await create("free2", type: "NodePort", nodePort: "30007").status == 0)

        // NodePort → ClusterIP: the unchanged NodePort and traffic policy go, and the NodePort is free again.
        try await k.ok("patch", "service", "web", "-p", #"{"spec":{"type":"ClusterIP"}}"#)
        #expect(try await field("web", ".spec.ports[0].nodePort").isEmpty)
        #expect(try await field("web", ".spec.externalTrafficPolicy").isEmpty)
        #expect(try await create("other", type: "NodePort", nodePort: nodePort).status == 0)
        // A NodePort on a ClusterIP Service is refused as upstream refuses it.
        let forbidden = try await fails("patch", "service", "web", "--type", "json", "-p",
                                        #"[{"op":"add","path":"/spec/ports/0/nodePort","value":30010}]"#)
        #expect(forbidden.contains("spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"), "\(forbidden)")

        // ClusterIP → ExternalName: the ClusterIP goes and is free for another Service.
        try await k.ok("patch", "service", "web", "-p", #"{"spec":{"type":"ExternalName","externalName":"example.com"}}"#)
        #expect(try await field("web", ".spec.clusterIP").isEmpty)
        #expect(try await field("web", ".spec.clusterIPs").isEmpty)
        #expect(try await create("reuse", type: "ClusterIP", clusterIP: clusterIP).status == 0)
        // ExternalName → ClusterIP: a new ClusterIP.
        try await k.ok("patch", "service", "web", "-p", #"{"spec":{"type":"ClusterIP","externalName":null}}"#)
        let fresh = try await field("web", ".spec.clusterIP")
        #expect(!fresh.isEmpty && fresh != clusterIP, "\(fresh)")
        #expect(try await field("web", ".spec.clusterIPs[0]") == fresh)
    }

    @Test("LoadBalancer with externalTrafficPolicy Local: a health check NodePort allocated (or the requested one), kept by a PUT that leaves it out, immutable, dropped and freed when no longer needed and on delete; refused where it does not belong; failed and dry-run writes keep none")
    func healthCheckNodePort() async throws {
        let k = try await KubectlHarness(controllers: false)
        func field(_ service: String, _ path: String) async throws -> String { try await k.serviceField(service, path) }
        func fails(_ arguments: String...) async throws -> String { try await k.refused(arguments) }
        func create(_ name: String, type: String = "LoadBalancer", _ spec: String...) async throws -> CommandResult {
            try await k.applyService(name, type: type, spec: spec)
        }

        #expect(try await create("lb", "externalTrafficPolicy: Local").status == 0)
        let port = try await field("lb", ".spec.healthCheckNodePort")
        #expect((30000...32767).contains(Int(port) ?? 0), "\(port)")
        #expect(try await field("lb", ".spec.ports[0].nodePort") != port)
        // Taken: another Service asking for it gets upstream's 500.
        let taken = try await create("other", "externalTrafficPolicy: Local", "healthCheckNodePort: \(port)")
        #expect(taken.stderr.contains("Internal error occurred: failed to allocate requested HealthCheck NodePort \(port): provided port is already allocated"),
                "\(taken)")
        // Refused where it does not belong, in upstream's words.
        let notNeeded = "spec.healthCheckNodePort: Invalid value: 30050: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"
        let onClusterIP = try await create("plain", type: "ClusterIP", "healthCheckNodePort: 30050")
        #expect(onClusterIP.stderr.contains(#"The Service "plain" is invalid: \#(notNeeded)"#), "\(onClusterIP)")
        let onCluster = try await create("cluster", "externalTrafficPolicy: Cluster", "healthCheckNodePort: 30050")
        #expect(onCluster.stderr.contains(#"The Service "cluster" is invalid: \#(notNeeded)"#), "\(onCluster)")
        #expect(try await create("holder", "externalTrafficPolicy: Local", "healthCheckNodePort: 30050").status == 0)
        #expect(try await field("holder", ".spec.healthCheckNodePort") == "30050")

        // A PUT of the manifest without it keeps it.
        try await k.ok("replace", "-f", "-", stdin: k.serviceManifest("lb", type: "LoadBalancer", spec: ["externalTrafficPolicy: Local"]))
        #expect(try await field("lb", ".spec.healthCheckNodePort") == port)
        // Immutable while needed; a refused change to another Service's port leaves that port with its holder.
        let immutable = try await fails("patch", "service", "lb", "-p", #"{"spec":{"healthCheckNodePort":30050}}"#)
        #expect(immutable.contains(#"The Service "lb" is invalid: spec.healthCheckNodePort: Forbidden: field is immutable"#), "\(immutable)")
        let stillHeld = try await create("thief", "externalTrafficPolicy: Local", "healthCheckNodePort: 30050")
        #expect(stillHeld.stderr.contains("failed to allocate requested HealthCheck NodePort 30050: provided port is already allocated"), "\(stillHeld)")

        // externalTrafficPolicy Cluster: dropped, and free for another Service.
        try await k.ok("patch", "service", "lb", "-p", #"{"spec":{"externalTrafficPolicy":"Cluster"}}"#)
        #expect(try await field("lb", ".spec.healthCheckNodePort").isEmpty)
        #expect(try await create("reuse", "externalTrafficPolicy: Local", "healthCheckNodePort: \(port)").status == 0)
        // Back to Local asking for a port: that port.
        try await k.ok("patch", "service", "lb", "-p", #"{"spec":{"externalTrafficPolicy":"Local","healthCheckNodePort":30051}}"#)
        #expect(try await field("lb", ".spec.healthCheckNodePort") == "30051")
        // Away from LoadBalancer: dropped (the policy stays, a NodePort has a use for it) and free.
        try await k.ok("patch", "service", "lb", "-p", #"{"spec":{"type":"NodePort"}}"#)
        #expect(try await field("lb", ".spec.healthCheckNodePort").isEmpty)
        #expect(try await field("lb", ".spec.externalTrafficPolicy") == "Local")
        #expect(try await create("reuse2", "externalTrafficPolicy: Local", "healthCheckNodePort: 30051").status == 0)

        // A dry run shows the port it would allocate and keeps none; so does a write that validation refuses
        // (the added port has no name) after the port was allocated.
        let dryRun = try await k.ok("patch", "service", "lb", "--dry-run=server", "-o", "jsonpath={.spec.healthCheckNodePort}",
                                    "-p", #"{"spec":{"type":"LoadBalancer","healthCheckNodePort":30052}}"#)
        #expect(dryRun == "30052")
        let invalid = try await fails("patch", "service", "lb", "-p",
                                      #"{"spec":{"type":"LoadBalancer","healthCheckNodePort":30053,"ports":[{"port":81,"targetPort":8080}]}}"#)
        #expect(invalid.contains("spec.ports[0].name: Required value"), "\(invalid)")
        #expect(try await field("lb", ".spec.type") == "NodePort")
        #expect(try await create("free", "externalTrafficPolicy: Local", "healthCheckNodePort: 30052").status == 0)
        #expect(try await create("free2", "externalTrafficPolicy: Local", "healthCheckNodePort: 30053").status == 0)

        // Delete gives it back.
        try await k.ok("delete", "service", "reuse")
        #expect(try await create("after", "externalTrafficPolicy: Local", "healthCheckNodePort: \(port)").status == 0)

        // A restarted server rebuilds the allocations from the stored Services, health check NodePorts included.
        try await k.server.restart()
        let afterRestart = try await create("late", "externalTrafficPolicy: Local", "healthCheckNodePort: 30050")
        #expect(afterRestart.stderr.contains("failed to allocate requested HealthCheck NodePort 30050: provided port is already allocated"), "\(afterRestart)")
    }

    @Test("Upstream's dropTypeDependentFields without a type guard: NodePorts a LoadBalancer asked for with allocateLoadBalancerNodePorts false, a port removed on the way to ClusterIP, the traffic policy of a ClusterIP losing its external IPs, the load balancer status; a refused ClusterIP change or NodePort on a ClusterIP Service frees nothing")
    func typeDependentFieldsAreDroppedAsUpstream() async throws {
        let k = try await KubectlHarness(controllers: false)
        func field(_ service: String, _ path: String) async throws -> String { try await k.serviceField(service, path) }
        func fails(_ arguments: String...) async throws -> String { try await k.refused(arguments) }

        // allocateLoadBalancerNodePorts false with a NodePort asked for: patched to ClusterIP, the NodePort and the
        // flag go and the port is free.
        #expect(try await k.applyService("lb", type: "LoadBalancer", nodePort: "30060", spec: ["allocateLoadBalancerNodePorts: false"]).status == 0)
        #expect(try await field("lb", ".spec.ports[0].nodePort") == "30060")
        try await k.ok("patch", "service", "lb", "-p", #"{"spec":{"type":"ClusterIP"}}"#)
        #expect(try await field("lb", ".spec.ports[0].nodePort").isEmpty)
        #expect(try await field("lb", ".spec.allocateLoadBalancerNodePorts").isEmpty)
        #expect(try await k.applyService("np", type: "NodePort", nodePort: "30060").status == 0)
        // A ClusterIP Service naming that NodePort is refused and takes nothing from its holder.
        let named = try await k.applyService("named", type: "ClusterIP", nodePort: "30060")
        #expect(named.stderr.contains("spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"), "\(named)")
        let taken = try await k.applyService("taken", type: "NodePort", nodePort: "30060")
        #expect(taken.stderr.contains("spec.ports[0].nodePort: Invalid value: 30060: provided port is already allocated"), "\(taken)")

        // Setting allocateLoadBalancerNodePorts false keeps the NodePorts a LoadBalancer has; a PUT that then leaves
        // them out lets them go (upstream's patchAllocatedValues patches them in only while they are allocated).
        #expect(try await k.applyService("lb2", type: "LoadBalancer").status == 0)
        let allocated = try await field("lb2", ".spec.ports[0].nodePort")
        try await k.ok("patch", "service", "lb2", "-p", #"{"spec":{"allocateLoadBalancerNodePorts":false}}"#)
        #expect(try await field("lb2", ".spec.ports[0].nodePort") == allocated)
        try await k.ok("replace", "-f", "-", stdin: k.serviceManifest("lb2", type: "LoadBalancer", spec: ["allocateLoadBalancerNodePorts: false"]))
        #expect(try await field("lb2", ".spec.ports[0].nodePort").isEmpty)
        #expect(try await k.applyService("np2", type: "NodePort", nodePort: allocated).status == 0)

        // Two NodePorts, patched to ClusterIP with one port removed: no NodePort is new, so the rest go.
        try await k.ok("apply", "-f", "-", stdin: """
            apiVersion: v1
            kind: Service
            metadata: {name: two}
            spec:
              type: NodePort
              ports: [{name: a, port: 80, nodePort: 30061}, {name: b, port: 81, nodePort: 30062}]
            """)
        try await k.ok("patch", "service", "two", "--type", "json", "-p", """
            [{"op":"replace","path":"/spec/type","value":"ClusterIP"},
             {"op":"replace","path":"/spec/ports","value":[{"name":"a","port":80,"nodePort":30061}]}]
            """)
        #expect(try await field("two", ".spec.ports[*].nodePort").isEmpty)
        #expect(try await k.applyService("np3", type: "NodePort", nodePort: "30061").status == 0)
        #expect(try await k.applyService("np4", type: "NodePort", nodePort: "30062").status == 0)

        // A ClusterIP Service with external IPs has a traffic policy (defaulted to Cluster); without them it goes.
        #expect(try await k.applyService("ext", type: "ClusterIP", spec: ["externalIPs: [192.0.2.7]"]).status == 0)
        #expect(try await field("ext", ".spec.externalTrafficPolicy") == "Cluster")
        try await k.ok("patch", "service", "ext", "-p", #"{"spec":{"externalIPs":null}}"#)
        #expect(try await field("ext", ".spec.externalTrafficPolicy").isEmpty)
        let stray = try await fails("patch", "service", "ext", "-p", #"{"spec":{"externalTrafficPolicy":"Local"}}"#)
        #expect(stray.contains(#"spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services"#), "\(stray)")

        // A LoadBalancer's status goes with the type.
        #expect(try await k.applyService("status", type: "LoadBalancer").status == 0)
        try await k.ok("patch", "service", "status", "--subresource=status", "--type=merge", "-p",
                       #"{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}}"#)
        #expect(try await field("status", ".status.loadBalancer.ingress[0].ip") == "192.0.2.10")
        try await k.ok("patch", "service", "status", "-p", #"{"spec":{"type":"NodePort"}}"#)
        #expect(try await field("status", ".status.loadBalancer.ingress").isEmpty)

        // A refused change of the (immutable) ClusterIP to another Service's leaves that address with its holder.
        let ownIP = try await field("np", ".spec.clusterIP")
        let othersIP = try await field("np2", ".spec.clusterIP")
        let immutable = try await fails("patch", "service", "np", "-p", #"{"spec":{"clusterIP":"\#(othersIP)","clusterIPs":["\#(othersIP)"]}}"#)
        #expect(immutable.contains("field is immutable"), "\(immutable)")
        #expect(try await field("np", ".spec.clusterIP") == ownIP)
        let stillHeld = try await k.applyService("thief", type: "ClusterIP", clusterIP: othersIP)
        #expect(stillHeld.status != 0 && stillHeld.stderr.contains("spec.clusterIPs"), "\(stillHeld)")
    }
}

extension KubectlHarness {
    /// A Service manifest with one port (80 → 8080) and `spec` lines added under `spec:`.
    func serviceManifest(_ name: String, type: String, nodePort: String? = nil, clusterIP: String? = nil, spec: [String] = []) -> String {
        var lines = ["apiVersion: v1", "kind: Service", "metadata: {name: \(name)}", "spec:", "  type: \(type)"]
        if let clusterIP { lines.append("  clusterIP: \(clusterIP)") }
        lines += spec.map { "  " + $0 }
        lines.append("  ports: [{port: 80, targetPort: 8080\(nodePort.map { ", nodePort: \($0)" } ?? "")}]")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `kubectl apply` of `serviceManifest`.
    func applyService(_ name: String, type: String, nodePort: String? = nil, clusterIP: String? = nil, spec: [String] = []) async throws -> CommandResult {
        try await kubectl(["apply", "-f", "-"], stdin: serviceManifest(name, type: type, nodePort: nodePort, clusterIP: clusterIP, spec: spec))
    }

    /// A field of a Service by JSONPath.
    func serviceField(_ service: String, _ path: String) async throws -> String {
        try await ok("get", "service", service, "-o", "jsonpath={\(path)}")
    }

    /// Runs kubectl expecting it to fail; returns its stderr.
    func refused(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let result = try await kubectl(arguments)
        #expect(result.status != 0, "kubectl \(arguments.joined(separator: " ")) succeeded: \(result)", sourceLocation: sourceLocation)
        return result.stderr
    }
}

import Foundation
import Testing
import TestSupport

/// `kubectl patch` of a Service's type, as upstream's service registry handles it: what the new type needs is
/// allocated, what it has no use for is dropped and released, and a write that fails gives back what it allocated.
@Suite("Service type changes", .timeLimit(.minutes(2)))
struct ServiceTypeChangeTests {
    @Test("ClusterIP → NodePort allocates NodePorts; → ClusterIP drops and frees them; → ExternalName frees the ClusterIP and back allocates one; failed and dry-run writes keep nothing")
    func typeChangesAllocateAndRelease() async throws {
        let k = try await KubectlHarness(controllers: false)
        func field(_ service: String, _ path: String) async throws -> String {
            try await k.ok("get", "service", service, "-o", "jsonpath={\(path)}")
        }
        func fails(_ arguments: String..., stdin: String? = nil) async throws -> String {
            let result = try await k.kubectl(arguments, stdin: stdin)
            #expect(result.status != 0, "kubectl \(arguments.joined(separator: " ")) succeeded: \(result)")
            return result.stderr
        }
        func create(_ name: String, type: String, nodePort: String? = nil, clusterIP: String? = nil) async throws -> CommandResult {
            try await k.kubectl(["apply", "-f", "-"], stdin: """
                apiVersion: v1
                kind: Service
                metadata: {name: \(name)}
                spec:
                  type: \(type)
                \(clusterIP.map { "  clusterIP: \($0)\n" } ?? "")  ports: [{port: 80, targetPort: 8080\(nodePort.map { ", nodePort: \($0)" } ?? "")}]
                """)
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
        #expect(try await create("holder", type: "NodePort", nodePort: "30999").status == 0)
        let refused = try await fails("patch", "service", "web", "--type", "json", "-p", """
            [{"op":"replace","path":"/spec/ports","value":[{"name":"a","port":80,"targetPort":8080,"nodePort":30998},
                                                          {"name":"b","port":81,"targetPort":8080,"nodePort":30999}]}]
            """)
        #expect(refused.contains("spec.ports[1].nodePort: Invalid value: 30999: provided port is already allocated"), "\(refused)")
        // A dry run shows the NodePort it would allocate and keeps none.
        #expect(try await create("dry", type: "ClusterIP").status == 0)
        let dryRun = try await k.ok("patch", "service", "dry", "--dry-run=server", "-o", "jsonpath={.spec.ports[0].nodePort}",
                                    "-p", #"{"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30997}]}}"#)
        #expect(dryRun == "30997")
        #expect(try await create("free", type: "NodePort", nodePort: "30998").status == 0)
        #expect(try await create("free2", type: "NodePort", nodePort: "30997").status == 0)

        // NodePort → ClusterIP: the unchanged NodePort and traffic policy go, and the NodePort is free again.
        try await k.ok("patch", "service", "web", "-p", #"{"spec":{"type":"ClusterIP"}}"#)
        #expect(try await field("web", ".spec.ports[0].nodePort").isEmpty)
        #expect(try await field("web", ".spec.externalTrafficPolicy").isEmpty)
        #expect(try await create("other", type: "NodePort", nodePort: nodePort).status == 0)
        // A NodePort on a ClusterIP Service is refused as upstream refuses it.
        let forbidden = try await fails("patch", "service", "web", "--type", "json", "-p",
                                        #"[{"op":"add","path":"/spec/ports/0/nodePort","value":31000}]"#)
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
}

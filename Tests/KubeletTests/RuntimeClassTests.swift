import CRI
import Foundation
import KubeAPI
import KubeClient
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("RuntimeClass: the Node's status lists the runtime's handlers; the kubelet (as the node's own identity) runs a pod whose class's handler is runc with that CRI handler; a class naming an unconfigured handler, or one deleted before the pod reaches the node, makes no sandbox and upstream's FailedCreatePodSandBox event",
          .timeLimit(.minutes(3)))
    func runtimeClassHandlers() async throws {
        try await Cluster.with(asNode: true) { cluster in
            let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
            // The runtime lists the handlers it has, the default once more without a name, as containerd does.
            let handlers = try await cluster.runtime.withClients { runtime, _ in
                try await runtime.status(Runtime_V1_StatusRequest()).runtimeHandlers.map(\.name)
            }
            #expect(handlers == ["runc", ""])
            // The kubelet reports them in the Node's status, with what each supports.
            var reported: [NodeRuntimeHandler]?
            for _ in 0..<100 where reported == nil {
                reported = try? await cluster.client.get(Node.self, name: cluster.nodeName).status?.runtimeHandlers
                if reported == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            let unsupported = NodeRuntimeHandlerFeatures(recursiveReadOnlyMounts: false, userNamespaces: false)
            #expect(reported == [NodeRuntimeHandler(name: "runc", features: unsupported), NodeRuntimeHandler(name: "", features: unsupported)],
                    "\(String(describing: reported))")

            _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
                apiVersion: node.k8s.io/v1
                kind: RuntimeClass
                metadata: {name: native}
                handler: runc
                ---
                apiVersion: node.k8s.io/v1
                kind: RuntimeClass
                metadata: {name: sandboxed}
                handler: kata
                ---
                apiVersion: node.k8s.io/v1
                kind: RuntimeClass
                metadata: {name: gone}
                handler: runc
                """)
            func pod(_ name: String, runtimeClass: String, bound: Bool = true) -> String {
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: \(name)}
                spec:
                  \(bound ? "nodeName: \(cluster.nodeName)" : "")
                  runtimeClassName: \(runtimeClass)
                  terminationGracePeriodSeconds: 1
                  containers: [{name: c, image: \(shell), command: [sleep, "3600"]}]
                """
            }
            func sandboxes(of uid: String) async throws -> [Runtime_V1_PodSandbox] {
                try await cluster.runtime.withClients { runtime, _ in
                    var request = Runtime_V1_ListPodSandboxRequest()
                    request.filter.labelSelector = ["io.kubernetes.pod.uid": uid]
                    return try await runtime.listPodSandbox(request).items
                }
            }
            func sandboxFailure(_ name: String) async throws -> Event? {
                for _ in 0..<150 {
                    let events = try await cluster.client.list(Event.self, namespace: "default", options: ListOptions(
                        fieldSelector: "involvedObject.name=\(name),reason=FailedCreatePodSandBox")).items
                    if let event = events.first { return event }
                    try await Task.sleep(for: .milliseconds(200))
                }
                return nil
            }

            // runc through its class: the sandbox was asked for (and records) the class's handler.
            let native = try await cluster.kubectl(["create", "-o", "jsonpath={.metadata.uid}", "-f", "-"], stdin: pod("native", runtimeClass: "native"))
            try await cluster.waitForPod("native") { $0.status?.phase == "Running" }
            let sandbox = try #require(try await sandboxes(of: native).first)
            let status = try await cluster.runtime.withClients { runtime, _ in
                var request = Runtime_V1_PodSandboxStatusRequest()
                request.podSandboxID = sandbox.id
                return try await runtime.podSandboxStatus(request).status
            }
            #expect(status.runtimeHandler == "runc" && sandbox.runtimeHandler == "runc", "\(status)")

            // An unconfigured handler: containerd's refusal, worded in the event as upstream's kubelet prints the gRPC
            // error, nothing made, the pod waits in ContainerCreating.
            let sandboxed = try await cluster.kubectl(["create", "-o", "jsonpath={.metadata.uid}", "-f", "-"], stdin: pod("sandboxed", runtimeClass: "sandboxed"))
            let refused = try #require(try await sandboxFailure("sandboxed"))
            #expect(refused.type == "Warning" && refused.message == #"Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime for "kata" is configured"#,
                    "\(refused)")
            #expect(try await sandboxes(of: sandboxed).isEmpty)
            let waiting = try await cluster.client.get(Pod.self, name: "sandboxed", namespace: "default")
            #expect(waiting.status?.phase == "Pending" && Self.container(waiting, "c")?.state?.waiting?.reason == "ContainerCreating",
                    "\(String(describing: waiting.status))")

            // A class deleted after admission but before the pod is bound here: the kubelet finds no handler and asks
            // the runtime for nothing.
            let gone = try await cluster.kubectl(["create", "-o", "jsonpath={.metadata.uid}", "-f", "-"], stdin: pod("gone", runtimeClass: "gone", bound: false))
            _ = try await cluster.kubectl(["delete", "runtimeclass", "gone"])
            try await cluster.client.bind(pod: "gone", namespace: "default", to: cluster.nodeName)
            let lost = try #require(try await sandboxFailure("gone"))
            #expect(lost.type == "Warning" && lost.message == #"Failed to create pod sandbox: runtimeclass.node.k8s.io "gone" not found"#, "\(lost)")
            #expect(try await sandboxes(of: gone).isEmpty)
        }
    }
}

import CRI
import Foundation
import KubeAPI
import KubeClient
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("a volume that cannot be set up holds the pod before its sandbox: ContainerCreating, FailedMount in upstream's words, retried with back-off until the ConfigMap exists",
          .timeLimit(.minutes(2)))
    func failedMountHoldsThePodBeforeItsSandbox() async throws {
        try await Cluster.with { cluster in
            let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
            let created = try await cluster.kubectl(["create", "-o", "jsonpath={.metadata.uid}", "-f", "-"], stdin: """
                apiVersion: v1
                kind: Pod
                metadata: {name: mounts}
                spec:
                  nodeName: \(cluster.nodeName)
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: c
                    image: \(shell)
                    command: [sh, -c, "cat /cfg/k; sleep 3600"]
                    volumeMounts: [{name: cfg, mountPath: /cfg}]
                  volumes:
                  - {name: cfg, configMap: {name: later}}
                """)
            var failed: [Event] = []
            for _ in 0..<150 {
                failed = try await cluster.client.list(Event.self, namespace: "default",
                                                       options: ListOptions(fieldSelector: "involvedObject.name=mounts,reason=FailedMount")).items
                if (failed.first?.count ?? 0) >= 2 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(failed.count == 1 && failed.first?.type == "Warning", "\(failed.map(\.message))")
            #expect(failed.first?.message == "MountVolume.SetUp failed for volume \"cfg\" : configmap \"later\" not found")
            // Retried: the same message counted on one Event, not a new attempt at every one-second relist.
            let count = failed.first?.count ?? 0
            #expect(count >= 2 && count <= 6, "FailedMount x\(count) in the first seconds")
            let pod = try await cluster.client.get(Pod.self, name: "mounts", namespace: "default")
            #expect(pod.status?.phase == "Pending")
            #expect(Self.container(pod, "c")?.state?.waiting?.reason == "ContainerCreating", "\(String(describing: pod.status))")
            #expect(pod.status?.conditions?.first { $0.type == "PodReadyToStartContainers" }?.status == "False")
            let sandboxes = try await cluster.runtime.withClients { runtime, _ in
                var request = Runtime_V1_ListPodSandboxRequest()
                request.filter.labelSelector = ["io.kubernetes.pod.uid": created]
                return try await runtime.listPodSandbox(request).items.count
            }
            #expect(sandboxes == 0, "a sandbox was made before the volumes")

            _ = try await cluster.kubectl(["create", "configmap", "later", "--from-literal=k=hello"])
            let running = try await cluster.waitForPod("mounts", timeout: .seconds(60)) { $0.status?.phase == "Running" }
            let containerID = String(Self.container(running, "c")?.containerID?.split(separator: "/").last ?? "")
            let content = try await cluster.runtime.withClients { runtime, _ in
                try await runtime.execSync(CRIRequests.exec(containerID, ["cat", "/cfg/k"])).stdout
            }
            #expect(String(decoding: content, as: UTF8.self) == "hello")
        }
    }
}

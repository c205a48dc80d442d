import Foundation
import KubeAPI
@testable import Kubelet
import LinuxSystem
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("--pod-max-pids: the pod's cgroup gets pids.max before its sandbox, and a container forking past it is refused (can't fork)",
          .timeLimit(.minutes(3)), arguments: [CRIHarness.Kind.swiftlet, .containerd])
    func podPidsLimit(_ runtime: CRIHarness.Kind) async throws {
        try await Cluster.with(runtime, agentArguments: ["--pod-max-pids", "12"]) { cluster in
            let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
            _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
                apiVersion: v1
                kind: Pod
                metadata: {name: forker}
                spec:
                  nodeName: \(cluster.nodeName)
                  restartPolicy: Never
                  containers:
                  - name: fork
                    image: \(shell)
                    command: [sh, -c, "sleep 3; i=0; while [ $i -lt 30 ]; do sleep 600 & i=$((i+1)); done; echo all started"]
                """)
            let running = try await cluster.waitForPod("forker") { $0.status?.phase == "Running" }
            let uid = try #require(running.metadata.uid)
            let cgroup = QOSClass(running).cgroupParent(podUID: uid)
            let limitFile = Cgroupfs.isUnified ? Cgroupfs.mountPoint + cgroup + "/pids.max" : Cgroupfs.mountPoint + "/pids" + cgroup + "/pids.max"
            #expect(try String(contentsOfFile: limitFile, encoding: .utf8) == "12\n")
            let failed = try await cluster.waitForPod("forker", timeout: .seconds(60)) { $0.status?.phase == "Failed" }
            let logs = try await cluster.kubectl(["logs", "forker"])
            #expect(logs.contains("can't fork") && !logs.contains("all started"), "\(logs)")
            #expect(Self.container(failed, "fork")?.state?.terminated?.exitCode != 0)
        }
    }
}

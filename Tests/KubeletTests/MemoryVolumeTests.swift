import Foundation
import KubeAPI
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("memory-backed volumes (emptyDir medium Memory, secret, projected) as upstream mounts them: roots 1777, files executable, sized by the pod's memory limit or the volume's sizeLimit",
          .timeLimit(.minutes(3)))
    func memoryBackedVolumes() async throws {
        try await Cluster.with { cluster in
            let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
            _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
                apiVersion: v1
                kind: Secret
                metadata: {name: script}
                stringData: {run.sh: "#!/bin/sh\\necho from-secret\\n"}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings}
                data: {greeting: hello}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: memory}
                spec:
                  nodeName: \(cluster.nodeName)
                  terminationGracePeriodSeconds: 1
                  volumes:
                  - {name: mem, emptyDir: {medium: Memory}}
                  - {name: small, emptyDir: {medium: Memory, sizeLimit: 1Mi}}
                  - {name: script, secret: {secretName: script, defaultMode: 0755}}
                  - {name: proj, projected: {sources: [{configMap: {name: settings}}]}}
                  containers:
                  - name: c
                    image: \(shell)
                    command: [sh, -c, "sleep 3600"]
                    resources: {limits: {memory: 96Mi}}
                    volumeMounts: [{name: mem, mountPath: /mem}, {name: small, mountPath: /small}, {name: script, mountPath: /script},
                                   {name: proj, mountPath: /proj}]
                """)
            _ = try await cluster.waitForPod("memory") { $0.status?.phase == "Running" }
            func run(_ script: String) async throws -> String {
                try await cluster.kubectl(["exec", "memory", "--", "sh", "-c", script])
            }
            // tmpfs's own root mode, as upstream's kubelet leaves it.
            #expect(try await run("stat -c '%a' /mem /small /script /proj") == "1777\n1777\n1777\n1777\n")
            // No noexec: a binary copied into the emptyDir and a script from a secret run.
            #expect(try await run("cp /bin/busybox /mem/busybox && /mem/busybox echo ran; /script/run.sh") == "ran\nfrom-secret\n")
            // The size: the pod's memory limit (96Mi), or the smaller sizeLimit (1Mi).
            let sizes = try await run("df -k /mem /small /script").split(separator: "\n").dropFirst()
                .map { $0.split(separator: " ").dropFirst().first.map(String.init) ?? "" }
            #expect(sizes == ["98304", "1024", "98304"], "\(sizes)")
        }
    }
}

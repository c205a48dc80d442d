import Foundation
import KubeAPI
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("sidecars (restartable init containers): started before the next init container, restarted when they exit, probed, counted for readiness, stopped after the app containers and when a Never pod completes",
          .timeLimit(.minutes(4)))
    func sidecarContainers() async throws {
        let cluster = try await Cluster()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("sidecar-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: out) }
        do {
            try await sidecars(cluster, out: out)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    static func initContainer(_ pod: Pod, _ name: String) -> ContainerStatus? {
        pod.status?.initContainerStatuses?.first { $0.name == name }
    }

    static func condition(_ pod: Pod, _ type: String) -> String? {
        pod.status?.conditions?.first { $0.type == type }?.status
    }

    private func sidecars(_ cluster: Cluster, out: String) async throws {
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        // `web` serves on 8080 and counts as started once its startup probe reaches it; `check`, a regular init
        // container after it, needs it. Each records when SIGTERM reached it (uptime) in the host directory.
        _ = try await cluster.kubectl(["create", "-f", "-"], stdin: """
            apiVersion: v1
            kind: Pod
            metadata: {name: sidecar}
            spec:
              nodeName: \(cluster.nodeName)
              terminationGracePeriodSeconds: 20
              volumes: [{name: out, hostPath: {path: \(out)}}]
              initContainers:
              - name: web
                image: \(shell)
                restartPolicy: Always
                command: [sh, -c, "mkdir -p /www; echo hi > /www/index.html; trap 'cat /proc/uptime > /out/web; exit 0' TERM; httpd -f -p 8080 -h /www & wait"]
                volumeMounts: [{name: out, mountPath: /out}]
                startupProbe: {exec: {command: [wget, -qO-, "http://127.0.0.1:8080/"]}, periodSeconds: 1}
                readinessProbe: {exec: {command: [test, -f, /out/ready]}, periodSeconds: 1}
                livenessProbe: {exec: {command: [sh, -c, "! test -f /out/unhealthy"]}, periodSeconds: 1, failureThreshold: 1}
              - name: check
                image: \(shell)
                command: [sh, -c, "wget -qO- http://127.0.0.1:8080/ > /out/fetched"]
                volumeMounts: [{name: out, mountPath: /out}]
              containers:
              - name: app
                image: \(shell)
                command: [sh, -c, "trap 'sleep 2; cat /proc/uptime > /out/app; exit 0' TERM; while true; do sleep 1; done"]
                volumeMounts: [{name: out, mountPath: /out}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: job}
            spec:
              nodeName: \(cluster.nodeName)
              restartPolicy: Never
              terminationGracePeriodSeconds: 2
              initContainers:
              - {name: side, image: \(shell), restartPolicy: Always, command: [sleep, "3600"]}
              containers:
              - {name: main, image: \(shell), command: [sh, -c, "sleep 2"]}
            """)

        // The regular init container reached the sidecar, so the sidecar ran (and had started) before it; the app runs.
        let running = try await cluster.waitForPod("sidecar") { pod in
            pod.status?.phase == "Running" && Self.container(pod, "app")?.state?.running != nil
        }
        #expect((try? String(contentsOfFile: out + "/fetched", encoding: .utf8)) == "hi\n")
        let web = try #require(Self.initContainer(running, "web"))
        #expect(web.state?.running != nil && web.started == true && web.restartCount == 0, "\(web)")
        #expect(Self.initContainer(running, "check")?.state?.terminated?.exitCode == 0)
        #expect(Self.initContainer(running, "check")?.ready == true)
        #expect(Self.condition(running, "Initialized") == "True")
        // The sidecar's readiness probe fails (no /out/ready yet): neither it nor the pod is ready.
        #expect(web.ready == false)
        #expect(Self.condition(running, "Ready") == "False")
        #expect(Self.condition(running, "ContainersReady") == "False")
        try "".write(toFile: out + "/ready", atomically: true, encoding: .utf8)
        try await cluster.waitForPod("sidecar") { pod in
            Self.initContainer(pod, "web")?.ready == true && Self.condition(pod, "Ready") == "True" && Self.condition(pod, "ContainersReady") == "True"
        }

        // The sidecar exits: it is restarted, the app runs on untouched.
        let appID = Self.container(running, "app")?.containerID
        _ = try await cluster.kubectl(["exec", "sidecar", "-c", "web", "--", "kill", "1"])
        let restarted = try await cluster.waitForPod("sidecar") { pod in
            (Self.initContainer(pod, "web")?.restartCount ?? 0) >= 1 && Self.initContainer(pod, "web")?.state?.running != nil
                && Self.initContainer(pod, "web")?.started == true
        }
        #expect(Self.initContainer(restarted, "web")?.lastState?.terminated?.exitCode == 0)
        #expect(Self.container(restarted, "app")?.containerID == appID)
        #expect(Self.container(restarted, "app")?.restartCount == 0 && Self.container(restarted, "app")?.state?.running != nil)
        #expect(restarted.status?.phase == "Running")
        #expect(Self.condition(restarted, "Initialized") == "True")
        #expect(try await cluster.kubectl(["exec", "sidecar", "-c", "app", "--", "wget", "-qO-", "http://127.0.0.1:8080/"]) == "hi\n")

        // Its liveness probe fails: the kubelet kills it (Killing event) and restarts it after the back-off; meanwhile the
        // pod is not ready, the app runs on.
        try "".write(toFile: out + "/unhealthy", atomically: true, encoding: .utf8)
        let down = try await cluster.waitForPod("sidecar") { pod in Self.initContainer(pod, "web")?.state?.running == nil }
        try FileManager.default.removeItem(atPath: out + "/unhealthy")
        #expect(Self.condition(down, "Ready") == "False" && Self.condition(down, "ContainersReady") == "False")
        #expect(Self.container(down, "app")?.state?.running != nil && down.status?.phase == "Running")
        var killed = ""
        for _ in 0..<50 where !killed.contains("failed liveness probe") {
            killed = try await cluster.kubectl(["get", "events", "--field-selector", "involvedObject.name=sidecar,reason=Killing", "-o",
                                                "jsonpath={range .items[*]}{.involvedObject.fieldPath} {.message}{\"\\n\"}{end}"])
            if !killed.contains("failed liveness probe") { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(killed.contains("spec.initContainers{web} Init container web failed liveness probe"), "\(killed)")
        try await cluster.waitForPod("sidecar", timeout: .seconds(60)) { pod in
            (Self.initContainer(pod, "web")?.restartCount ?? 0) >= 2 && Self.initContainer(pod, "web")?.ready == true && Self.condition(pod, "Ready") == "True"
        }

        // A restartPolicy Never pod whose app container succeeded: Succeeded, its sidecar stopped by the kubelet.
        let job = try await cluster.waitForPod("job") { pod in
            pod.status?.phase == "Succeeded" && Self.initContainer(pod, "side")?.state?.terminated != nil
        }
        #expect(Self.container(job, "main")?.state?.terminated?.exitCode == 0)
        #expect(Self.condition(job, "Initialized") == "True")

        // Deletion: the app container is stopped first (its TERM trap takes 2 s), the sidecar only after it exited.
        try? FileManager.default.removeItem(atPath: out + "/web")
        _ = try await cluster.kubectl(["delete", "pod", "sidecar", "--wait=true", "--timeout=60s"])
        func uptime(_ file: String) throws -> Double {
            let text = try String(contentsOfFile: out + "/" + file, encoding: .utf8)
            return try #require(Double(text.split(separator: " ").first ?? ""), "\(file): \(text)")
        }
        let appStopped = try uptime("app"), webStopped = try uptime("web")
        #expect(appStopped <= webStopped, "the sidecar got SIGTERM at \(webStopped), before the app container exited at \(appStopped)")
    }
}

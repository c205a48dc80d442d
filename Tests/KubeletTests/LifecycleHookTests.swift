import Foundation
import KubeAPI
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("postStart and preStop hooks run (a failing postStart kills the container with FailedPostStartHook); Service variables reach the environment",
          .timeLimit(.minutes(3)))
    func lifecycleHooksAndServiceLinks() async throws {
        let cluster = try await Cluster()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("hooks-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: out) }
        do {
            try await hooks(cluster, out: out)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func hooks(_ cluster: Cluster, out: String) async throws {
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: v1
            kind: Service
            metadata: {name: web-front}
            spec:
              ports:
              - {name: http, port: 80}
              - {name: dns, port: 53, protocol: UDP}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: hooks}
            spec:
              nodeName: \(cluster.nodeName)
              terminationGracePeriodSeconds: 5
              volumes: [{name: out, hostPath: {path: \(out)}}]
              containers:
              - name: main
                image: \(shell)
                command: [sh, -c, "trap 'exit 0' TERM; while true; do sleep 1; done"]
                env: [{name: FRONT, value: "front at $(WEB_FRONT_SERVICE_HOST)"}]
                volumeMounts: [{name: out, mountPath: /out}]
                lifecycle:
                  postStart: {exec: {command: [sh, -c, "echo started > /tmp/poststart"]}}
                  preStop: {exec: {command: [sh, -c, "echo stopping > /out/prestop"]}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: nolinks}
            spec:
              nodeName: \(cluster.nodeName)
              terminationGracePeriodSeconds: 1
              enableServiceLinks: false
              containers:
              - {name: main, image: \(shell), command: [sleep, "3600"]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: badhook}
            spec:
              nodeName: \(cluster.nodeName)
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: \(shell)
                command: [sleep, "3600"]
                lifecycle: {postStart: {exec: {command: [sh, -c, "echo no >&2; exit 7"]}}}
            """)
        let clusterIP = try await cluster.kubectl(["get", "service", "web-front", "-o", "jsonpath={.spec.clusterIP}"])
        try await cluster.waitForPod("hooks") { $0.status?.phase == "Running" }
        try await cluster.waitForPod("nolinks") { $0.status?.phase == "Running" }

        // postStart ran before the container counted as started.
        #expect(try await cluster.kubectl(["exec", "hooks", "--", "cat", "/tmp/poststart"]) == "started\n")

        // Service links: the namespace's Services and the API server's, env values may refer to them.
        let environment = Set(try await cluster.kubectl(["exec", "hooks", "--", "env"]).split(separator: "\n").map(String.init))
        for expected in ["WEB_FRONT_SERVICE_HOST=\(clusterIP)", "WEB_FRONT_SERVICE_PORT=80", "WEB_FRONT_SERVICE_PORT_HTTP=80",
                         "WEB_FRONT_SERVICE_PORT_DNS=53", "WEB_FRONT_PORT=tcp://\(clusterIP):80",
                         "WEB_FRONT_PORT_53_UDP=udp://\(clusterIP):53", "WEB_FRONT_PORT_53_UDP_PROTO=udp",
                         "WEB_FRONT_PORT_80_TCP_ADDR=\(clusterIP)", "WEB_FRONT_PORT_80_TCP_PORT=80",
                         "FRONT=front at \(clusterIP)", "KUBERNETES_SERVICE_PORT_HTTPS=443"] {
            #expect(environment.contains(expected), "\(expected) missing from \(environment.sorted())")
        }
        #expect(environment.contains { $0.hasPrefix("KUBERNETES_SERVICE_HOST=") })
        let unlinked = try await cluster.kubectl(["exec", "nolinks", "--", "env"])
        #expect(!unlinked.contains("WEB_FRONT_"), "\(unlinked)")
        #expect(unlinked.contains("KUBERNETES_SERVICE_HOST="), "\(unlinked)")

        // A failing postStart: the event names the hook and its exit code, the container is killed.
        let failed = try await cluster.waitForPod("badhook", timeout: .seconds(60)) { pod in
            pod.status?.containerStatuses?.first?.state?.terminated != nil
        }
        #expect(failed.status?.phase == "Failed", "\(String(describing: failed.status))")
        var events = ""
        for _ in 0..<50 where !events.contains("FailedPostStartHook") {
            events = try await cluster.kubectl(["get", "events", "--field-selector", "involvedObject.name=badhook", "-o",
                                                "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}"])
            if !events.contains("FailedPostStartHook") { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(events.contains("FailedPostStartHook: Exec lifecycle hook ([sh -c echo no >&2; exit 7]) for Container \"main\" in Pod \"badhook_default("), "\(events)")
        #expect(events.contains("exited with 7: no"), "\(events)")

        // preStop runs when the pod is deleted, before the container is stopped.
        _ = try await cluster.kubectl(["delete", "pod", "hooks", "--wait=true", "--timeout=60s"])
        #expect((try? String(contentsOfFile: out + "/prestop", encoding: .utf8)) == "stopping\n")
    }
}

import Foundation
import KubeAPI
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("postStart and preStop hooks run (a failing postStart kills the container with FailedPostStartHook); Service variables reach the environment; downwardAPI and projected volumes",
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
        _ = try await cluster.kubectl(["create", "-f", "-"], stdin: """
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
            kind: ConfigMap
            metadata: {name: settings}
            data: {greeting: hello}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: creds}
            stringData: {password: s3cret}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: downward, labels: {app: demo, tier: back.end}, annotations: {note: "say \\"hi\\""}}
            spec:
              nodeName: \(cluster.nodeName)
              terminationGracePeriodSeconds: 1
              volumes:
              - name: info
                downwardAPI:
                  items:
                  - {path: labels, fieldRef: {fieldPath: metadata.labels}}
                  - {path: annotations, fieldRef: {fieldPath: metadata.annotations}}
                  - {path: name, fieldRef: {fieldPath: metadata.name}}
                  - {path: mem, resourceFieldRef: {containerName: main, resource: limits.memory, divisor: 1Mi}}
                  - {path: cpu, resourceFieldRef: {containerName: main, resource: requests.cpu, divisor: 1m}}
              - name: all
                projected:
                  sources:
                  - configMap: {name: settings}
                  - secret: {name: creds, items: [{key: password, path: secret/password}]}
                  - downwardAPI: {items: [{path: namespace, fieldRef: {fieldPath: metadata.namespace}}]}
              containers:
              - name: main
                image: \(shell)
                command: [sleep, "3600"]
                resources: {limits: {memory: 64Mi}, requests: {cpu: 250m, memory: 32Mi}}
                volumeMounts: [{name: info, mountPath: /info}, {name: all, mountPath: /all}]
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
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: badsidecar}
            spec:
              nodeName: \(cluster.nodeName)
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              initContainers:
              - name: side
                image: \(shell)
                restartPolicy: Always
                command: [sleep, "3600"]
                lifecycle: {postStart: {exec: {command: [sh, -c, "echo nope >&2; exit 3"]}}}
              containers:
              - {name: main, image: \(shell), command: [sleep, "3600"]}
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

        // downwardAPI and projected volumes, refreshed when the labels change.
        try await cluster.waitForPod("downward") { $0.status?.phase == "Running" }
        let info = try await cluster.kubectl(["exec", "downward", "--", "sh", "-c",
                                              "cat /info/labels; echo; cat /info/annotations; echo; cat /info/name /info/mem /info/cpu"])
        #expect(info == "app=\"demo\"\ntier=\"back.end\"\nnote=\"say \\\"hi\\\"\"\ndownward64250", "\(info)")
        let projected = try await cluster.kubectl(["exec", "downward", "--", "sh", "-c",
                                                   "cat /all/greeting /all/secret/password /all/namespace"])
        #expect(projected == "hellos3cretdefault", "\(projected)")
        _ = try await cluster.kubectl(["label", "pod", "downward", "tier=front", "--overwrite"])
        var labels = ""
        for _ in 0..<100 where !labels.contains("tier=\"front\"") {
            try await Task.sleep(for: .milliseconds(200))
            labels = try await cluster.kubectl(["exec", "downward", "--", "cat", "/info/labels"])
        }
        #expect(labels == "app=\"demo\"\ntier=\"front\"", "\(labels)")

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
        // A sidecar's (restartable init container's) hook event names it where the spec has it, as upstream's
        // GenerateContainerRef does.
        var sidecarEvents = ""
        for _ in 0..<100 where !sidecarEvents.contains("FailedPostStartHook") {
            sidecarEvents = try await cluster.kubectl(["get", "events", "--field-selector", "involvedObject.name=badsidecar,reason=FailedPostStartHook",
                                                       "-o", "jsonpath={range .items[*]}{.involvedObject.fieldPath} {.reason}: {.message}{\"\\n\"}{end}"])
            if !sidecarEvents.contains("FailedPostStartHook") { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(sidecarEvents.hasPrefix("spec.initContainers{side} FailedPostStartHook: Exec lifecycle hook ([sh -c echo nope >&2; exit 3]) for Container \"side\" in Pod \"badsidecar_default("),
                "\(sidecarEvents)")

        // A sandbox that cannot start (a safe sysctl with a value the kernel refuses) is retried with back-off:
        // one FailedCreatePodSandBox event, the next only after 10 s.
        _ = try await cluster.kubectl(["create", "-f", "-"], stdin: """
            apiVersion: v1
            kind: Pod
            metadata: {name: badsysctl}
            spec:
              nodeName: \(cluster.nodeName)
              securityContext: {sysctls: [{name: net.ipv4.ip_local_port_range, value: "not a range"}]}
              containers: [{name: main, image: \(shell), command: [sleep, "3600"]}]
            """)
        func sandboxFailures() async throws -> Int {
            try await cluster.kubectl(["get", "events", "--field-selector", "involvedObject.name=badsysctl,reason=FailedCreatePodSandBox",
                                       "-o", "name"]).split(separator: "\n").count
        }
        var first = 0
        for _ in 0..<100 where first == 0 {
            try await Task.sleep(for: .milliseconds(200))
            first = try await sandboxFailures()
        }
        #expect(first == 1)
        try await Task.sleep(for: .seconds(6))
        #expect(try await sandboxFailures() == 1, "the agent retried the sandbox without backing off")

        // The kubelet's metrics under upstream's names.
        let agentLog = try String(contentsOfFile: cluster.agent.logFile, encoding: .utf8)
        let address = try #require(agentLog.firstMatch(of: #/address=(127\.0\.0\.1:\d+) \[SwiftletCommands\] serving health and metrics/#)?.output.1)
        let metrics = try await runCommand("/usr/bin/curl", ["-s", "http://\(address)/metrics"]).stdout
        for expected in ["kubelet_running_pods ", "kubelet_running_containers{container_state=\"running\"} ", "kubelet_pod_start_duration_seconds_count ",
                         "kubelet_runtime_operations_total{operation_type=\"list_podsandbox\"} ", "kubelet_started_pods_total ",
                         "kubelet_started_containers_total{container_type=\"container\"} ", "kubelet_node_name{node=\"\(cluster.nodeName)\"} 1",
                         "kubelet_pod_worker_duration_seconds_count{operation_type=\"create\"} "] {
            #expect(metrics.contains(expected), "\(expected) missing from /metrics")
        }

        // preStop runs when the pod is deleted, before the container is stopped.
        _ = try await cluster.kubectl(["delete", "pod", "hooks", "--wait=true", "--timeout=60s"])
        #expect((try? String(contentsOfFile: out + "/prestop", encoding: .utf8)) == "stopping\n")
    }
}

import Foundation
import KubeAPI
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("kubectl top nodes / pods (--containers, -l) against the server's built-in metrics server scraping a real kubelet; metrics.k8s.io JSON, NotFound, RBAC through view",
          .timeLimit(.minutes(3)))
    func kubectlTop() async throws {
        let cluster = try await Cluster(serverArguments: ["--metric-resolution", "10s"])
        do {
            try await kubectlTop(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)\nserver log:\n\(cluster.server.log.suffix(4000))")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func kubectlTop(_ cluster: Cluster) async throws {
        let kubectl = try #require(which("kubectl"))
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: v1
            kind: Pod
            metadata: {name: burner, labels: {app: burner}}
            spec:
              nodeName: \(cluster.nodeName)
              terminationGracePeriodSeconds: 1
              containers:
              - name: burn
                image: \(shell)
                command: [sh, -c, 'while true; do i=0; while [ $i -lt 5000 ]; do i=$((i+1)); done; sleep 0.1; done']
                resources: {limits: {cpu: 300m, memory: 64Mi}}
              - name: idle
                image: \(shell)
                command: [sh, -c, 'sleep 3600']
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: quiet, labels: {app: quiet}}
            spec:
              nodeName: \(cluster.nodeName)
              terminationGracePeriodSeconds: 1
              containers:
              - name: idle
                image: \(shell)
                command: [sh, -c, 'sleep 3600']
            """)
        try await cluster.waitForPod("burner") { $0.status?.phase == "Running" }
        try await cluster.waitForPod("quiet") { $0.status?.phase == "Running" }

        // Metrics appear once the scraper has two points of the node and of every container (resolution 10 s, the
        // shortest metrics-server takes).
        func attempt(_ arguments: [String], kubeconfig: String? = nil) async throws -> CommandResult {
            try await runCommand(kubectl, ["--kubeconfig", kubeconfig ?? cluster.server.kubeconfig] + arguments)
        }
        func eventually(_ arguments: [String], until done: (String) -> Bool = { _ in true }) async throws -> String {
            let deadline = ContinuousClock.now + .seconds(60)
            var last = try await attempt(arguments)
            while ContinuousClock.now < deadline {
                if last.status == 0, done(last.stdout) { return last.stdout }
                try await Task.sleep(for: .milliseconds(500))
                last = try await attempt(arguments)
            }
            throw TestSupportError("kubectl \(arguments) never succeeded: \(last)")
        }
        func columns(_ output: String, row name: String) -> [String]? {
            output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.first { $0.first == name }
        }
        func millicores(_ cell: String?) -> Int? { cell.flatMap { $0.hasSuffix("m") ? Int($0.dropLast()) : nil } }

        let nodes = try await eventually(["top", "nodes"])
        #expect(nodes.hasPrefix("NAME"), "\(nodes)")
        let node = try #require(columns(nodes, row: cluster.nodeName), "\(nodes)")
        // NAME CPU(cores) CPU(%) MEMORY(bytes) MEMORY(%)
        #expect(node.count == 5, "\(nodes)")
        #expect((millicores(node[1]) ?? 0) > 0, "\(nodes)")
        #expect(node[3].hasSuffix("Mi") && (Int(node[3].dropLast(2)) ?? 0) > 0, "\(nodes)")

        // The burning container shows non-zero CPU (kubectl sums the containers).
        var pods = try await eventually(["top", "pod"]) { output in
            (millicores(columns(output, row: "burner")?[1]) ?? 0) > 0 && columns(output, row: "quiet") != nil
        }
        let burner = try #require(columns(pods, row: "burner"), "\(pods)")
        #expect(burner.count == 3 && burner[2].hasSuffix("Mi"), "\(pods)")

        pods = try await eventually(["top", "pod", "burner", "--containers"])
        let burn = try #require(pods.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.first { $0.count > 1 && $0[1] == "burn" }, "\(pods)")
        #expect(burn[0] == "burner" && (millicores(burn[2]) ?? 0) > 0, "\(pods)")
        #expect(pods.split(separator: "\n").contains { $0.split(separator: " ").dropFirst().first == "idle" }, "\(pods)")

        pods = try await eventually(["top", "pod", "-l", "app=burner"])
        #expect(columns(pods, row: "burner") != nil && columns(pods, row: "quiet") == nil, "\(pods)")
        pods = try await eventually(["top", "pod", "-A", "--field-selector", "metadata.name=quiet"])
        #expect(columns(pods, row: "default")?.dropFirst().first == "quiet" && !pods.contains("burner"), "\(pods)")

        // The objects themselves, as metrics-server serves them.
        let raw = try await cluster.kubectl(["get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/burner"])
        let metrics = try JSONValue(parsing: Data(raw.utf8))
        #expect(metrics["kind"]?.stringValue == "PodMetrics" && metrics["apiVersion"]?.stringValue == "metrics.k8s.io/v1beta1", "\(raw)")
        #expect(metrics[path: ["metadata", "name"]]?.stringValue == "burner" && metrics[path: ["metadata", "namespace"]]?.stringValue == "default")
        #expect(metrics[path: ["metadata", "labels", "app"]]?.stringValue == "burner", "\(raw)")
        #expect(metrics["timestamp"]?.stringValue.flatMap(RFC3339.parse) != nil, "\(raw)")
        #expect(metrics["window"]?.stringValue?.hasSuffix("s") == true, "\(raw)")
        let containers = try #require(metrics["containers"]?.arrayValue, "\(raw)")
        #expect(containers.compactMap { $0["name"]?.stringValue } == ["burn", "idle"], "\(raw)")
        // CPU in nanocores (`12345678n`, canonical: `5m` when whole millicores), memory in bytes as binary SI.
        func isQuantity(_ text: String?, suffixes: [String]) -> Bool {
            guard let text, let suffix = suffixes.first(where: { text.hasSuffix($0) }) else { return false }
            return !text.dropLast(suffix.count).isEmpty && text.dropLast(suffix.count).allSatisfy(\.isNumber)
        }
        for container in containers {
            let cpu = container[path: ["usage", "cpu"]]?.stringValue, memory = container[path: ["usage", "memory"]]?.stringValue
            #expect(isQuantity(cpu, suffixes: ["n", "u", "m", ""]) && isQuantity(memory, suffixes: ["Ki", "Mi", ""]), "\(raw)")
            #expect(try Quantity(parsing: memory ?? "0") > .zero, "\(raw)")
            if container["name"]?.stringValue == "burn" { #expect(try Quantity(parsing: cpu ?? "0") > .zero, "\(raw)") }
        }
        let nodeRaw = try await cluster.kubectl(["get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes/\(cluster.nodeName)"])
        let nodeMetrics = try JSONValue(parsing: Data(nodeRaw.utf8))
        #expect(nodeMetrics["kind"]?.stringValue == "NodeMetrics" && nodeMetrics[path: ["metadata", "name"]]?.stringValue == cluster.nodeName, "\(nodeRaw)")
        #expect(isQuantity(nodeMetrics[path: ["usage", "cpu"]]?.stringValue, suffixes: ["n", "u", "m"]), "\(nodeRaw)")
        #expect(isQuantity(nodeMetrics[path: ["usage", "memory"]]?.stringValue, suffixes: ["Ki", "Mi", "Gi"]), "\(nodeRaw)")
        let list = try JSONValue(parsing: Data(try await cluster.kubectl(["get", "--raw", "/apis/metrics.k8s.io/v1beta1/pods?labelSelector=app%3Dquiet"]).utf8))
        #expect(list["kind"]?.stringValue == "PodMetricsList" && list["items"]?.arrayValue?.compactMap { $0[path: ["metadata", "name"]]?.stringValue } == ["quiet"])

        // An unknown pod or node is a Kubernetes Status 404 in metrics-server's words.
        let missing = try await attempt(["get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope"])
        #expect(missing.status != 0 && missing.stderr.contains("podmetrics.metrics.k8s.io \"nope\" not found"), "\(missing)")
        let missingNode = try await attempt(["top", "node", "nope"])
        #expect(missingNode.status != 0 && missingNode.stderr.contains("nodemetrics.metrics.k8s.io \"nope\" not found"), "\(missingNode)")

        // RBAC: `view` in default (aggregated from system:aggregated-metrics-reader) reads pod metrics there, not node metrics.
        _ = try await cluster.kubectl(["create", "rolebinding", "viewer", "--clusterrole=view", "--user=viewer", "-n", "default"])
        let viewer = try cluster.server.kubeconfig(user: "viewer")
        let viewed = try await attempt(["top", "pod", "burner"], kubeconfig: viewer)
        #expect(viewed.status == 0 && viewed.stdout.contains("burner"), "\(viewed)")
        let refused = try await attempt(["get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes"], kubeconfig: viewer)
        #expect(refused.status != 0 && refused.stderr.contains("cannot list resource \"nodes\" in API group \"metrics.k8s.io\""), "\(refused)")

        // The scraper's own metrics on the server's /metrics.
        let serverMetrics = try await cluster.kubectl(["get", "--raw", "/metrics"])
        #expect(serverMetrics.contains("metrics_server_kubelet_request_total{success=\"true\"}"), "\(serverMetrics.prefix(3000))")
        #expect(serverMetrics.contains("metrics_server_kubelet_request_duration_seconds"))
    }
}

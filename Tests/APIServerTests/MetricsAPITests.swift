import Foundation
import KubeAPI
import Testing
import TestSupport

/// The metrics.k8s.io group of the built-in metrics server as discovery and kubectl see it, without a kubelet
/// (`KubeletEndToEndTests.kubectlTop` scrapes a real one), and `--no-metrics-server`.
@Suite(.serialized) struct MetricsAPITests {
    @Test func discoveryListsTheMetricsGroupWithGetAndListOnly() async throws {
        let k = try await KubectlHarness(controllers: false)
        // kubectl 1.32 reads aggregated discovery.
        let resources = try await k.ok("api-resources", "--api-group=metrics.k8s.io", "-o", "wide", "--no-headers")
        let rows = resources.split(separator: "\n").map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }
        #expect(rows == [["nodes", "metrics.k8s.io/v1beta1", "false", "NodeMetrics", "get,list"],
                         ["pods", "metrics.k8s.io/v1beta1", "true", "PodMetrics", "get,list"]], "\(resources)")
        // Legacy discovery, as clients without aggregated discovery read it.
        let groups = try JSONValue(parsing: Data(try await k.ok("get", "--raw", "/apis").utf8))
        #expect(groups["groups"]?.arrayValue?.contains { $0["name"]?.stringValue == "metrics.k8s.io"
            && $0[path: ["preferredVersion", "groupVersion"]]?.stringValue == "metrics.k8s.io/v1beta1" } == true)
        let list = try JSONValue(parsing: Data(try await k.ok("get", "--raw", "/apis/metrics.k8s.io/v1beta1").utf8))
        #expect(list["resources"]?.arrayValue?.map { "\($0["name"]?.stringValue ?? "") \($0["verbs"]?.arrayValue?.compactMap(\.stringValue) ?? [])" }
            == ["nodes [\"get\", \"list\"]", "pods [\"get\", \"list\"]"])

        // The API is there (kubectl's check passes); nothing has metrics yet.
        #expect(try await k.ok("top", "pod").isEmpty)
        let empty = try await k.kubectl("top", "pod", "-A")
        #expect(empty.status == 0 && empty.stderr.contains("No resources found"), "\(empty)")
        _ = try await k.ok("create", "-f", "-", stdin: "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\"}}")
        let node = try await k.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes/n1")
        #expect(node.status != 0 && node.stderr.contains("nodemetrics.metrics.k8s.io \"n1\" not found"), "\(node)")
        let nodes = try JSONValue(parsing: Data(try await k.ok("get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes").utf8))
        #expect(nodes["kind"]?.stringValue == "NodeMetricsList" && nodes["items"]?.arrayValue?.isEmpty == true)
        // Read-only.
        let created = try await k.kubectl("create", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods", "-f", "-", stdin: "{}")
        #expect(created.status != 0 && created.stderr.contains("(MethodNotAllowed): create is not supported"), "\(created)")
    }

    /// A Ready node that advertises a kubelet port is scraped (here a closed loopback port: a failed scrape, counted by
    /// node); one that advertises port 0, as `swiftlet sim`'s simulated nodes do, is not tried at all. The nodes come
    /// after the scrape at start, so the failure is counted in the second scrape (10 s later, the shortest resolution)
    /// once its timeout (90 % of that) has run out: the client tries the closed port until then.
    @Test func nodesWithoutAKubeletPortAreNotScraped() async throws {
        let k = try await KubectlHarness(controllers: false, serverArguments: ["--metric-resolution", "10s"])
        let closed = try freeLoopbackPorts(1)[0]
        for (name, port) in [("with-port", closed), ("simulated", 0)] {
            _ = try await k.ok("create", "-f", "-", stdin: "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"\(name)\"}}")
            let status = "{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"127.0.0.1\"}],"
                + "\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":\(port)}},\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}"
            _ = try await k.ok("patch", "node", name, "--subresource=status", "--type=merge", "-p", status)
        }
        var metrics = ""
        let deadline = ContinuousClock.now + .seconds(45)
        while !metrics.contains(#"node="with-port""#), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            metrics = try await k.ok("get", "--raw", "/metrics")
        }
        #expect(metrics.contains(#"metrics_server_kubelet_request_duration_seconds_count{node="with-port"}"#), "the node with a port was not scraped")
        #expect(!metrics.contains(#"node="simulated""#), "a node without a kubelet port was scraped")
    }

    /// metrics-server's rule and words: a resolution under 10 s is refused, the value as Go prints it.
    @Test func metricResolutionBelowTenSecondsIsRefused() async throws {
        let swiftlet = try BuiltProducts.path(of: "swiftlet")
        for (value, printed) in [("5s", "5s"), ("9.5s", "9.5s"), ("500ms", "500ms"), ("9999ms", "9.999s"), ("0", "0s")] {
            let result = try await runCommand(swiftlet, ["server", "--metric-resolution", value])
            #expect(result.status != 0
                    && result.stderr.contains("metric-resolution should be a time duration at least 10s, but value \(printed) provided"), "\(value): \(result)")
        }
        // Values it takes get as far as the next flag's check.
        for good in ["10s", "10000ms", "15s", "1m"] {
            let result = try await runCommand(swiftlet, ["server", "--metric-resolution", good, "--listen", "nowhere"])
            #expect(result.status != 0 && result.stderr.contains("--listen must be host:port") && !result.stderr.contains("metric-resolution"),
                    "\(good): \(result)")
        }
    }

    @Test func noMetricsServerServesNoMetricsAPI() async throws {
        let k = try await KubectlHarness(controllers: false, serverArguments: ["--no-metrics-server"])
        let top = try await k.kubectl("top", "pod")
        #expect(top.status != 0 && top.stderr.contains("Metrics API not available"), "\(top)")
        let raw = try await k.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1")
        #expect(raw.status != 0, "\(raw)")
    }
}

import Foundation
import KubeAPI
import KubeClient
import RemoteCommand
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("kubectl get --raw /api/v1/nodes/N/proxy/…: healthz, pods, runningpods, configz, metrics, metrics/cadvisor, metrics/probes, stats/summary and logs/ from the agent through the API server; exec upgrades (WebSocket, SPDY) relayed; RBAC on nodes/proxy",
          .timeLimit(.minutes(3)))
    func nodeProxy() async throws {
        let cluster = try await Cluster()
        do {
            try await nodeProxy(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    @Test("nodes/N/proxy/stats/summary and pods against containerd's CRI: the Summary API from containerd's container stats",
          .timeLimit(.minutes(3)))
    func nodeProxyContainerd() async throws {
        let cluster = try await Cluster(.containerd)
        do {
            try await nodeProxy(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func nodeProxy(_ cluster: Cluster) async throws {
        let kubectl = try #require(which("kubectl"))
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: v1
            kind: Pod
            metadata: {name: busy}
            spec:
              nodeName: \(cluster.nodeName)
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers:
              - name: busy
                image: \(shell)
                command: [sh, -c, 'while true; do i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; sleep 0.2; done']
                readinessProbe: {exec: {command: ["true"]}, periodSeconds: 1}
            """)
        let running = try await cluster.waitForPod("busy") { $0.status?.phase == "Running" }
        let uid = try #require(running.metadata.uid)
        let node = "/api/v1/nodes/\(cluster.nodeName)/proxy"
        func raw(_ path: String) async throws -> String { try await cluster.kubectl(["get", "--raw", path]) }
        // Traffic into the pod's network namespace over this test's bridge (ARP, a SYN in, a RST out), for its network
        // counters below.
        let podIP = try #require(running.status?.podIP)
        _ = try await runCommand("/usr/bin/curl", ["-s", "--noproxy", "*", "--max-time", "5", "http://\(podIP):1/"])

        #expect(try await raw(node + "/healthz") == "ok")
        // Counted as upstream counts connecters.
        #expect(try await raw("/metrics").contains("apiserver_request_total{verb=\"CONNECT\",resource=\"nodes\",code=\"200\"}"))

        let pods = try KubeJSON.decode(ObjectList<Pod>.self, from: Data(try await raw(node + "/pods").utf8))
        #expect(pods.kind == "PodList" && pods.items.map(\.metadata.name) == ["busy"], "\(pods.items.map(\.metadata.name))")

        let metrics = try await raw(node + "/metrics")
        #expect(metrics.contains("kubelet_node_name{node=\"\(cluster.nodeName)\"} 1"), "\(metrics.prefix(2000))")
        #expect(metrics.contains("kubelet_started_pods_total"))

        // The Summary API: the node from the kernel, the pod's container from CRI stats; a rate once there are two samples.
        func summary() async throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(try await raw(node + "/stats/summary").utf8)) as? [String: Any])
        }
        _ = try await summary()
        try await Task.sleep(for: .seconds(1))
        let stats = try await summary()
        let nodeStats = try #require(stats["node"] as? [String: Any])
        #expect(nodeStats["nodeName"] as? String == cluster.nodeName)
        #expect(((nodeStats["memory"] as? [String: Any])?["workingSetBytes"] as? Int ?? 0) > 0)
        #expect(((nodeStats["fs"] as? [String: Any])?["capacityBytes"] as? Int ?? 0) > 0)
        #expect((nodeStats["cpu"] as? [String: Any])?["usageNanoCores"] != nil)
        let podStats = try #require((stats["pods"] as? [[String: Any]])?.first, "\(stats)")
        #expect((podStats["podRef"] as? [String: Any])?["name"] as? String == "busy")
        let container = try #require((podStats["containers"] as? [[String: Any]])?.first)
        #expect(container["name"] as? String == "busy")
        #expect(((container["cpu"] as? [String: Any])?["usageCoreNanoSeconds"] as? Int ?? 0) > 0, "\(container)")
        #expect((container["cpu"] as? [String: Any])?["usageNanoCores"] != nil, "\(container)")
        #expect(((container["memory"] as? [String: Any])?["workingSetBytes"] as? Int ?? 0) > 0, "\(container)")
        // The pod's network namespace: its eth0 inline (upstream's default interface) and in the list, without lo.
        let podNetwork = try #require(podStats["network"] as? [String: Any], "\(podStats)")
        #expect(podNetwork["name"] as? String == "eth0" && (podNetwork["rxBytes"] as? Int ?? 0) > 0 && (podNetwork["txBytes"] as? Int ?? 0) > 0,
                "\(podNetwork)")
        #expect((podNetwork["interfaces"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["eth0"], "\(podNetwork)")
        let nodeInterfaces = try #require((nodeStats["network"] as? [String: Any])?["interfaces"] as? [[String: Any]], "\(nodeStats)")
        #expect(!nodeInterfaces.isEmpty && !nodeInterfaces.contains { ($0["name"] as? String)?.hasPrefix("lo") == true }, "\(nodeInterfaces)")

        // What metrics-server scrapes.
        let resource = try await raw(node + "/metrics/resource")
        #expect(resource.contains("# TYPE container_cpu_usage_seconds_total counter\ncontainer_cpu_usage_seconds_total{container=\"busy\",namespace=\"default\",pod=\"busy\"} "),
                "\(resource)")
        for name in ["container_memory_working_set_bytes{container=\"busy\"", "container_start_time_seconds{container=\"busy\"",
                     "pod_cpu_usage_seconds_total{namespace=\"default\",pod=\"busy\"}", "pod_memory_working_set_bytes{", "node_cpu_usage_seconds_total ",
                     "node_memory_working_set_bytes ", "resource_scrape_error 0"] {
            #expect(resource.contains("\n" + name), "\(name) in \(resource)")
        }

        // cAdvisor's metrics as the kubelet exports them: the container (labels container, id = its cgroup, image, name =
        // its ID, namespace, pod), its pod's cgroup (container="") and the machine (id="/"), with real figures.
        let containerID = try #require(Self.container(try await cluster.client.get(Pod.self, name: "busy", namespace: "default"), "busy")?
            .containerID?.split(separator: "/").last.map(String.init))
        let cadvisor = try await raw(node + "/metrics/cadvisor")
        let labels = try #require(cadvisor.firstMatch(of: #/\ncontainer_memory_working_set_bytes\{(container="busy",id="[^"]*",image="[^"]*",name="[^"]*",namespace="default",pod="busy")\} (\d+) \d+\n/#),
                                  "\(cadvisor.prefix(3000))")
        #expect(labels.output.1.hasSuffix("/pod\(uid)/\(containerID)\",image=\"\(shell)\",name=\"\(containerID)\",namespace=\"default\",pod=\"busy\"") &&
                labels.output.1.contains("id=\"/kubepods/"), "\(labels.output.1)")
        #expect((Int(labels.output.2) ?? 0) > 0, "working set of a running busybox")
        let busyLabels = String(labels.output.1)
        func value(_ name: String, _ labels: String) -> Double? {
            cadvisor.split(separator: "\n").first { $0.hasPrefix(name + "{" + labels + "} ") }
                .flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Double($0) }
        }
        #expect((value("container_memory_usage_bytes", busyLabels) ?? 0) > 0, "\(cadvisor.prefix(3000))")
        #expect((value("container_cpu_usage_seconds_total", busyLabels.replacingOccurrences(of: "container=\"busy\",", with: "container=\"busy\",cpu=\"total\",")) ?? 0) > 0)
        #expect(value("container_spec_memory_limit_bytes", busyLabels) == 0, "no limit: 0, as cAdvisor reports it")
        let started = try #require(value("container_start_time_seconds", busyLabels))
        #expect(abs(started - Date().timeIntervalSince1970) < 600)
        #expect(cadvisor.contains("# TYPE container_cpu_usage_seconds_total counter\n"))
        let podCgroup = "container=\"\",id=\"/kubepods/besteffort/pod\(uid)\",image=\"\",name=\"\",namespace=\"default\",pod=\"busy\""
        #expect((value("container_memory_working_set_bytes", podCgroup) ?? 0) > 0, "the pod's cgroup")
        #expect((value("container_cpu_usage_seconds_total", podCgroup.replacingOccurrences(of: "container=\"\",", with: "container=\"\",cpu=\"total\",")) ?? 0) > 0)
        #expect(cadvisor.contains(#/\ncontainer_memory_working_set_bytes\{container="",id="/",image="",name="",namespace="",pod=""\} [1-9]/#), "the machine")
        // cAdvisor's network counters on the pod's series, per interface of its network namespace (eth0; lo left out).
        let podInterface = podCgroup.replacingOccurrences(of: "image=\"\",", with: "image=\"\",interface=\"eth0\",")
        for name in ["receive_bytes", "receive_packets", "transmit_bytes", "transmit_packets"] {
            #expect((value("container_network_\(name)_total", podInterface) ?? 0) > 0, "\(name): \(cadvisor.prefix(6000))")
        }
        for name in ["receive_errors", "receive_packets_dropped", "transmit_errors", "transmit_packets_dropped"] {
            #expect(value("container_network_\(name)_total", podInterface) != nil, "\(name)")
        }
        #expect(cadvisor.contains("# HELP container_network_receive_bytes_total Cumulative count of bytes received\n"
                                  + "# TYPE container_network_receive_bytes_total counter\n"))
        #expect(!cadvisor.contains("interface=\"lo\""))
        #expect(cadvisor.contains("\ncontainer_scrape_error 0\n"))

        // Probe results: the readiness probe counted per run.
        var probes = ""
        for _ in 0..<50 {
            probes = try await raw(node + "/metrics/probes")
            if probes.contains("result=\"successful\"") { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(probes.contains("# TYPE prober_probe_total counter\n"))
        #expect(probes.contains("\nprober_probe_total{container=\"busy\",namespace=\"default\",pod=\"busy\",pod_uid=\"\(uid)\",probe_type=\"Readiness\",result=\"successful\"} "),
                "\(probes)")
        // And how long it took: upstream's histogram (labels without result or pod_uid, client_golang's default
        // buckets), its count matching the successful runs counted before it in the same scrape.
        #expect(probes.contains("# HELP prober_probe_duration_seconds [ALPHA] Duration in seconds for a probe response.\n"
                                + "# TYPE prober_probe_duration_seconds histogram\n"), "\(probes)")
        let series = "container=\"busy\",namespace=\"default\",pod=\"busy\",probe_type=\"Readiness\""
        let bounds = probes.split(separator: "\n").filter { $0.hasPrefix("prober_probe_duration_seconds_bucket{\(series),le=\"") }
            .compactMap { $0.firstMatch(of: #/le="([^"]+)"\} /#).map { String($0.output.1) } }
        #expect(bounds == ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"], "\(probes)")
        func probeSample(_ line: String) -> Double? {
            probes.split(separator: "\n").first { $0.hasPrefix(line + " ") }.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
        }
        let observed = try #require(probeSample("prober_probe_duration_seconds_count{\(series)}"), "\(probes)")
        let successes = try #require(probeSample(
            "prober_probe_total{container=\"busy\",namespace=\"default\",pod=\"busy\",pod_uid=\"\(uid)\",probe_type=\"Readiness\",result=\"successful\"}"))
        #expect(observed >= 1 && observed == successes, "\(probes)")
        #expect(probeSample("prober_probe_duration_seconds_bucket{\(series),le=\"+Inf\"}") == observed)
        #expect((probeSample("prober_probe_duration_seconds_sum{\(series)}") ?? 0) > 0, "an exec probe takes time")

        // What runs per the runtime.
        let runningPods = try KubeJSON.decode(ObjectList<Pod>.self, from: Data(try await raw(node + "/runningpods/").utf8))
        #expect(runningPods.kind == "PodList")
        let runningPod = try #require(runningPods.items.first, "\(runningPods)")
        #expect(runningPods.items.count == 1 && runningPod.metadata.name == "busy" && runningPod.metadata.uid == uid)
        #expect(runningPod.spec?.containers.map(\.name) == ["busy"], "\(runningPod)")
        // The image as the runtime lists the container: the image ID the kubelet created it from, whichever runtime.
        #expect(runningPod.spec?.containers.first?.image?.hasPrefix("sha256:") == true, "\(runningPod)")

        // The effective configuration, from the agent's flags.
        let configz = try #require(try JSONSerialization.jsonObject(with: Data(try await raw(node + "/configz").utf8)) as? [String: Any])
        let kubeletConfig = try #require(configz["kubeletconfig"] as? [String: Any], "\(configz)")
        #expect(kubeletConfig["clusterDNS"] as? [String] == ["10.96.0.10"])
        #expect(kubeletConfig["clusterDomain"] as? String == "cluster.local")
        #expect(kubeletConfig["staticPodPath"] as? String == cluster.manifests)
        #expect(kubeletConfig["fileCheckFrequency"] as? String == "1s")
        #expect(kubeletConfig["address"] as? String == "127.0.0.1")
        #expect(kubeletConfig["maxPods"] as? Int == 110)
        #expect(kubeletConfig["containerRuntimeEndpoint"] as? String == "unix://" + cluster.runtime.socket)
        #expect((kubeletConfig["authorization"] as? [String: Any])?["mode"] as? String == "Webhook")
        #expect(((kubeletConfig["authentication"] as? [String: Any])?["webhook"] as? [String: Any])?["cacheTTL"] as? String == "2m0s")
        #expect(((kubeletConfig["authentication"] as? [String: Any])?["anonymous"] as? [String: Any])?["enabled"] as? Bool == false)
        // Upstream's defaults for eviction and image garbage collection, in its KubeletConfiguration's forms.
        #expect(kubeletConfig["evictionHard"] as? [String: String] == ["imagefs.available": "15%", "imagefs.inodesFree": "5%", "memory.available": "100Mi",
                                                                      "nodefs.available": "10%", "nodefs.inodesFree": "5%"])
        #expect(kubeletConfig["evictionSoft"] == nil && kubeletConfig["kubeReserved"] == nil)
        #expect(kubeletConfig["evictionPressureTransitionPeriod"] as? String == "5m0s")
        #expect(kubeletConfig["imageGCHighThresholdPercent"] as? Int == 85 && kubeletConfig["imageGCLowThresholdPercent"] as? Int == 80)
        #expect(kubeletConfig["imageMinimumGCAge"] as? String == "2m0s")
        #expect(kubeletConfig["podPidsLimit"] as? Int64 == -1 || kubeletConfig["podPidsLimit"] as? Int == -1)
        #expect(kubeletConfig["serializeImagePulls"] as? Bool == true && kubeletConfig["maxParallelImagePulls"] == nil)
        #expect(kubeletConfig["registryPullQPS"] as? Int == 5 && kubeletConfig["registryBurst"] as? Int == 10)
        #expect(kubeletConfig["containerLogMaxSize"] as? String == "10Mi" && kubeletConfig["containerLogMaxFiles"] as? Int == 5)
        #expect(kubeletConfig["containerLogMaxWorkers"] as? Int == 1 && kubeletConfig["containerLogMonitorInterval"] as? String == "10s")

        // The node's /var/log as Go's file server lists it.
        let logs = try await raw(node + "/logs/")
        let first = try #require(try FileManager.default.contentsOfDirectory(atPath: "/var/log").sorted().first)
        #expect(logs.contains("<pre>") && logs.contains(">\(first)"), "\(logs.prefix(500))")

        // The kubelet's port in the name; the kubelet's own answers pass through with their status.
        let port = try #require(try await cluster.client.get(Node.self, name: cluster.nodeName).status?.daemonEndpoints?.kubeletEndpoint?.port)
        #expect(try await raw("/api/v1/nodes/\(cluster.nodeName):\(port)/proxy/healthz") == "ok")
        #expect(kubeletConfig["port"] as? Int == Int(port))
        let missing = try await runCommand(kubectl, ["--kubeconfig", cluster.server.kubeconfig, "get", "--raw", node + "/containerLogs/default/nope/c"])
        #expect(missing.status != 0 && missing.stderr.contains("NotFound"), "\(missing)")
        let noNode = try await runCommand(kubectl, ["--kubeconfig", cluster.server.kubeconfig, "get", "--raw", "/api/v1/nodes/nope/proxy/healthz"])
        #expect(noNode.status != 0 && noNode.stderr.contains("nodes \"nope\" not found"), "\(noNode)")

        // Streams on the kubelet's port through nodes/proxy, relayed by the API server's upgrade-aware proxy: a WebSocket
        // exec (v5) end to end, and a SPDY upgrade answered 101 by the kubelet and runtime behind it.
        let exec = try await WebSocketDialer.connect(
            url: "\(cluster.server.webSocketURL)\(node)/exec/default/busy/busy?command=echo&command=through-node-proxy&output=1&error=1",
            subprotocols: [StreamProtocol.v5.rawValue], tls: try cluster.server.adminTLSConfiguration())
        #expect(exec.subprotocol == StreamProtocol.v5.rawValue)
        let frames = try await exec.run { messages, _ in try await messages.reduce(into: [[UInt8]]()) { $0.append($1) } }
        #expect(frames.contains(StreamChannel.stdout.frame(Array("through-node-proxy\n".utf8))), "\(frames)")
        let spdy = try await runCommand("/usr/bin/curl", ["-s", "-i", "--max-time", "3", "-X", "POST", "-H", "Connection: Upgrade", "-H", "Upgrade: SPDY/3.1",
                                                          "-H", "X-Stream-Protocol-Version: v4.channel.k8s.io"] + cluster.server.curlTLSArguments
                                                         + [cluster.server.url + node + "/exec/default/busy/busy?command=true&output=1"])
        #expect(spdy.stdout.hasPrefix("HTTP/1.1 101 Switching Protocols") && spdy.stdout.contains("v4.channel.k8s.io"), "\(spdy)")

        // RBAC: verb get on nodes/proxy.
        let jane = try cluster.server.kubeconfig(user: "jane")
        let refused = try await runCommand(kubectl, ["--kubeconfig", jane, "get", "--raw", node + "/healthz"])
        #expect(refused.status != 0 && refused.stderr.contains(
            "nodes \"\(cluster.nodeName)\" is forbidden: User \"jane\" cannot get resource \"nodes/proxy\" in API group \"\" at the cluster scope"),
            "\(refused)")
        // An upgrade through nodes/proxy is authorized the same way (verb get for a WebSocket's GET).
        let janeClient = try cluster.server.clientConfiguration(user: "jane")
        let janeCertificate = cluster.runtime.root + "/jane.crt", janeKey = cluster.runtime.root + "/jane.key"
        try #require(janeClient.clientCertificate).write(to: URL(fileURLWithPath: janeCertificate))
        try #require(janeClient.clientKey).write(to: URL(fileURLWithPath: janeKey))
        let refusedUpgrade = try await runCommand("/usr/bin/curl", [
            "-s", "-i", "--max-time", "20", "--cacert", cluster.server.caFile, "--cert", janeCertificate, "--key", janeKey,
            "-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-H", "Sec-WebSocket-Version: 13", "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "-H", "Sec-WebSocket-Protocol: v5.channel.k8s.io", cluster.server.url + node + "/exec/default/busy/busy?command=true&output=1"])
        #expect(refusedUpgrade.stdout.hasPrefix("HTTP/1.1 403") && refusedUpgrade.stdout.contains(
            #"User \"jane\" cannot get resource \"nodes/proxy\" in API group \"\" at the cluster scope"#), "\(refusedUpgrade)")
        _ = try await cluster.kubectl(["create", "clusterrole", "node-proxy", "--verb=get", "--resource=nodes/proxy"])
        _ = try await cluster.kubectl(["create", "clusterrolebinding", "jane-node-proxy", "--clusterrole=node-proxy", "--user=jane"])
        var allowed = try await runCommand(kubectl, ["--kubeconfig", jane, "get", "--raw", node + "/healthz"])
        for _ in 0..<50 where allowed.status != 0 {
            try await Task.sleep(for: .milliseconds(100))
            allowed = try await runCommand(kubectl, ["--kubeconfig", jane, "get", "--raw", node + "/healthz"])
        }
        #expect(allowed.status == 0 && allowed.stdout == "ok", "\(allowed)")
    }
}

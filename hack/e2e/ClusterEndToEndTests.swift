import Foundation
import KubeAPI
import LinuxSystem
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The end-to-end suite: one 3-node `swiftlet lab` (inside a throwaway outer network namespace that plays the
/// host) driven with real kubectl and curl through what a user does — a spread web Deployment behind a NodePort
/// Service, DNS and traffic from a pod on every node, load balancing, scaling, a rolling update under load with no
/// failed request, logs/exec/port-forward to pods on remote nodes, a node whose agent stops and whose pods move, and
/// `lab down` leaving nothing behind (also after an agent was killed). One lab for all of it keeps the suite at a few minutes.
@Suite(.serialized) struct ClusterEndToEndTests {
    @Test(.timeLimit(.minutes(15))) func threeNodeLab() async throws {
        // Node monitoring on short timings (upstream: 50 s grace, 5 s period), so a stopped agent shows quickly.
        let serverArguments = ["--node-monitor-grace-period=20s", "--node-monitor-period=1s"]
        let started = ContinuousClock.now
        // Two zones (lab-1 and lab-3 in zone-a, lab-2 in zone-b) for topology-aware routing.
        let (_, teardown) = try await LabCluster.run(nodes: 3, zones: 2, serverArguments: serverArguments) { lab in
            print("e2e: lab up (3 nodes) took \(lab.upDuration)")
            try await Scenario(lab: lab, started: started).run()
        }
        print("e2e: lab down took \(teardown.duration); whole suite \(ContinuousClock.now - started)")
        #expect(teardown.leftovers.isEmpty, "lab down left: \(teardown.leftovers.joined(separator: "\n"))\n\(teardown.logTails)")
        #expect(teardown.output.contains("its agent is not running; starting one to remove the node's pods"), "\(teardown.output)")
        #expect(teardown.sandboxCount > 0)
    }
}

/// The steps, in order, on one lab.
private struct Scenario {
    let lab: LabCluster
    let started: ContinuousClock.Instant
    var harness: ClusterHarness { lab.harness }

    static let manifest = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("web.yaml").path

    func step(_ text: String) {
        print("e2e: [\(Int((ContinuousClock.now - started).components.seconds)) s] \(text)")
    }

    func run() async throws {
        step("nodes")
        let ready = try await harness.kubectl(["get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status} {end}"])
        #expect(ready == lab.nodes.map { "\($0)=True " }.joined())

        step("deploying web (3 replicas), its NodePort Service and a client pod per node")
        try await harness.kubectl(["apply", "-f", Self.manifest])
        try await harness.kubectl(["rollout", "status", "deployment/web", "--timeout=120s"], timeout: .seconds(130))
        try await harness.kubectl(["rollout", "status", "daemonset/client", "--timeout=120s"], timeout: .seconds(130))
        let web = try await webPods()
        #expect(web.count == 3)
        #expect(Set(web.compactMap(\.spec?.nodeName)) == Set(lab.nodes), "web replicas not spread: \(web.map { $0.spec?.nodeName ?? "-" })")
        let clients = try await pods("app=client")
        #expect(Set(clients.compactMap(\.spec?.nodeName)) == Set(lab.nodes))
        let clusterIP = try await harness.kubectl(["get", "service", "web", "-o", "jsonpath={.spec.clusterIP}"])
        let nodePort = try await harness.kubectl(["get", "service", "web", "-o", "jsonpath={.spec.ports[0].nodePort}"])
        try await expectReadyEndpoints(3)

        try await podToPod(clients: clients, web: web)
        try await serviceByDNSName(clients: clients, clusterIP: clusterIP, web: web)
        try await nodePortFromHost(nodePort: nodePort, web: web)
        try await loadSpread(clients: clients, clusterIP: clusterIP, nodePort: nodePort, web: web)
        try await topologyAwareRouting(clients: clients, clusterIP: clusterIP, web: web)
        try await loadBalancerFromHost(web: web)
        try await handWrittenEndpoints(clients: clients, web: web)
        try await logsExecPortForward(web: web)
        try await scale(nodePort: nodePort)
        try await rollingUpdateUnderLoad(nodePort: nodePort)
        try await stoppedAgent(nodePort: nodePort)
        // An agent that crashes leaves its pods running under the runtime; lab down must still remove them.
        step("killing the agent of \(lab.nodes[0]) (SIGKILL) and taking the lab down")
        let agent = try lab.daemonPID("\(lab.nodes[0]) agent")
        kill(agent, SIGKILL)
        // A crash is over once the process has exited: SIGKILL only starts that (a thread in an uninterruptible system
        // call finishes it first), and `lab down` started before then would take the dying agent for a live one.
        let deadline = ContinuousClock.now + .seconds(30)
        while Self.hasExited(agent) == false, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(Self.hasExited(agent), "the agent (pid \(agent)) still runs 30 s after SIGKILL")
    }

    /// Whether `pid` has exited: gone, or a zombie (whose command line reads empty).
    static func hasExited(_ pid: pid_t) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/cmdline") else { return true }
        defer { try? handle.close() }
        return ((try? handle.read(upToCount: 1)) ?? nil)?.isEmpty ?? true
    }

    // MARK: Steps

    /// Every client pod reaches every web pod directly, across nodes (host-gw routes), by pod IP.
    func podToPod(clients: [Pod], web: [Pod]) async throws {
        step("pod to pod across nodes")
        for client in clients {
            for target in web {
                let ip = target.status?.podIP ?? ""
                let answer = try await exec(client, ["timeout", "5", "wget", "-qO-", "http://\(ip):8080/"])
                #expect(answer.hasPrefix(target.metadata.name ?? "?"), "\(client.spec?.nodeName ?? "") → \(ip): \(answer)")
            }
        }
    }

    /// From a pod on every node: the Service's name resolves through cluster DNS (the server's, via the kube-dns
    /// Service) to its ClusterIP, and a request to that address is answered by a web pod. (busybox-static's wget
    /// cannot resolve names itself — glibc's static NSS crashes — so the pod resolves with nslookup first.)
    func serviceByDNSName(clients: [Pod], clusterIP: String, web: [Pod]) async throws {
        step("the Service by DNS name from a pod on every node")
        let names = Set(web.compactMap(\.metadata.name))
        for client in clients {
            let lookup = try await exec(client, ["nslookup", "web.default.svc.cluster.local"])
            #expect(lookup.contains("Address: \(clusterIP)"), "\(client.spec?.nodeName ?? ""): \(lookup)")
            let answer = try await exec(client, ["sh", "-c", """
                ip=$(nslookup web.default.svc.cluster.local | sed -n 's/^Address: *//p' | tail -n 1)
                timeout 5 wget -qO- "http://$ip/"
                """])
            #expect(names.contains(Self.podName(answer)), "\(client.spec?.nodeName ?? ""): \(answer)")
        }
        let kubernetes = try await exec(clients[0], ["nslookup", "kubernetes.default.svc.cluster.local"])
        #expect(kubernetes.contains("Address: 10.96.0.1"), "\(kubernetes)")
    }

    /// The NodePort answers on every node's address from the host.
    func nodePortFromHost(nodePort: String, web: [Pod]) async throws {
        step("the NodePort from the host on every node")
        let names = Set(web.compactMap(\.metadata.name))
        for address in lab.addresses {
            let answer = try await curl("http://\(address):\(nodePort)/")
            #expect(names.contains(Self.podName(answer)), "\(address):\(nodePort): \(answer)")
        }
    }

    /// 60 requests from the host through the NodePorts and 30 from a pod through the ClusterIP reach every replica.
    func loadSpread(clients: [Pod], clusterIP: String, nodePort: String, web: [Pod]) async throws {
        step("load spread over all replicas")
        let names = Set(web.compactMap(\.metadata.name))
        let urls = lab.addresses.map { "http://\($0):\(nodePort)/" }
        let fromHost = try await harness.run("/bin/sh", ["-c", "for i in $(seq 20); do for u in \"$@\"; do curl -sf --max-time 2 \"$u\" || echo FAILED; done; done",
                                                        "sh"] + urls, timeout: .seconds(120))
        let hostAnswers = fromHost.standardOutput.split(separator: "\n").map(String.init)
        #expect(hostAnswers.count == 60 && !hostAnswers.contains("FAILED"), "\(fromHost.standardOutput)")
        let hostCounts = Dictionary(grouping: hostAnswers.map(Self.podName), by: { $0 }).mapValues(\.count)
        #expect(Set(hostCounts.keys) == names, "from the host: \(hostCounts)")
        let fromPod = try await exec(clients[0], ["sh", "-c", "i=0; while [ $i -lt 30 ]; do timeout 5 wget -qO- http://\(clusterIP)/ || echo FAILED; i=$((i+1)); done"])
        let podAnswers = fromPod.split(separator: "\n").map(String.init)
        let podCounts = Dictionary(grouping: podAnswers.map(Self.podName), by: { $0 }).mapValues(\.count)
        #expect(podAnswers.count == 30 && Set(podCounts.keys) == names, "from a pod: \(podCounts)")
        print("e2e:   answers per replica: host \(hostCounts.values.sorted()), pod \(podCounts.values.sorted())")
    }

    /// Topology-aware routing: the lab's agents registered their Nodes in two zones (`lab up --zones 2`: the first and
    /// third node in zone-a, the second in zone-b); `trafficDistribution: PreferClose` hints each endpoint for its
    /// node's zone, and the proxies then keep a pod's requests to the ClusterIP in its zone. Without the field
    /// traffic spreads over every replica again.
    func topologyAwareRouting(clients: [Pod], clusterIP: String, web: [Pod]) async throws {
        step("topology-aware routing (trafficDistribution: PreferClose)")
        let json = try await harness.kubectl(["get", "nodes", "-o", "json"])
        let zones = Dictionary(uniqueKeysWithValues: try JSONDecoder().decode(ObjectList<Node>.self, from: Data(json.utf8)).items.compactMap { node in
            node.metadata.name.map { ($0, node.metadata.labels?["topology.kubernetes.io/zone"] ?? "") }
        })
        #expect(lab.nodes.map { zones[$0] } == ["zone-a", "zone-b", "zone-a"], "zones from --zones 2: \(zones)")
        try await harness.kubectl(["patch", "service", "web", "-p", #"{"spec":{"trafficDistribution":"PreferClose"}}"#])
        let hinted = try await harness.eventually(timeout: .seconds(30)) {
            let json = try await harness.kubectl(["get", "endpointslices", "-l", "kubernetes.io/service-name=web", "-o", "json"])
            let endpoints = try JSONDecoder().decode(ObjectList<EndpointSlice>.self, from: Data(json.utf8)).items.flatMap(\.endpoints)
            return endpoints.count == 3 && endpoints.allSatisfy { endpoint in
                endpoint.nodeName.flatMap { zones[$0] }.map { endpoint.zone == $0 && endpoint.hints?.forZones == [ForZone(name: $0)] } == true
            }
        }
        #expect(hinted, "the web endpoints never carried their nodes' zones as hints")
        func answers(from client: Pod, count: Int) async throws -> Set<String> {
            let output = try await exec(client, ["sh", "-c", "i=0; while [ $i -lt \(count) ]; do timeout 5 wget -qO- http://\(clusterIP)/ || echo FAILED; i=$((i+1)); done"])
            return Set(output.split(separator: "\n").map { Self.podName(String($0)) })
        }
        for client in clients {
            guard let node = client.spec?.nodeName, let zone = zones[node] else { continue }
            let inZone = Set(web.filter { $0.spec?.nodeName.flatMap { zones[$0] } == zone }.compactMap(\.metadata.name))
            // The proxies apply the hints at their next sync (at most a second apart).
            _ = try await harness.eventually(timeout: .seconds(15)) { try await answers(from: client, count: 6).isSubset(of: inZone) }
            let seen = try await answers(from: client, count: 20)
            #expect(seen == inZone, "from \(client.metadata.name ?? "") on \(node) (\(zone)): \(seen.sorted()), in the zone: \(inZone.sorted())")
            print("e2e:   client on \(node) (\(zone)) answered by \(seen.count) of \(web.count) replicas")
        }
        try await harness.kubectl(["patch", "service", "web", "-p", #"{"spec":{"trafficDistribution":null}}"#])
        let names = Set(web.compactMap(\.metadata.name))
        let spread = try await harness.eventually(timeout: .seconds(30)) { try await answers(from: clients[0], count: 20) == names }
        #expect(spread, "without trafficDistribution the client on \(lab.nodes[0]) does not reach every replica again")
    }

    /// A LoadBalancer Service (the built-in service-lb-controller): its EXTERNAL-IPs are the nodes' addresses, and
    /// its port answers on each of them from the host, by any replica; deleted, it gives them back.
    func loadBalancerFromHost(web: [Pod]) async throws {
        step("a LoadBalancer Service from the host")
        try await harness.kubectl(["expose", "deployment", "web", "--name", "web-lb", "--type", "LoadBalancer", "--port", "8081", "--target-port", "http"])
        var ingress: [String] = []
        let assigned = try await harness.eventually(timeout: .seconds(30)) {
            ingress = try await harness.kubectl(["get", "service", "web-lb", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}"])
                .split(separator: " ").map(String.init).sorted()
            return ingress == lab.addresses.sorted()
        }
        #expect(assigned, "web-lb ingress \(ingress), nodes \(lab.addresses)")
        let row = try await harness.kubectl(["get", "service", "web-lb", "--no-headers"])
        #expect(row.contains(ingress.joined(separator: ",")), "\(row)")
        let names = Set(web.compactMap(\.metadata.name))
        for address in ingress {
            // Each node's proxy programs the address at its next sync.
            var answer = ""
            _ = try await harness.eventually(timeout: .seconds(15)) {
                answer = try await curl("http://\(address):8081/")
                return true
            }
            #expect(names.contains(Self.podName(answer)), "\(address):8081: \(answer)")
        }
        try await harness.kubectl(["delete", "service", "web-lb"])
    }

    /// A Service without a selector whose Endpoints are written by hand (how a cluster reaches something the
    /// EndpointSlice controller does not manage): the mirroring controller turns them into a slice, so every node's
    /// proxy routes the ClusterIP to the one address listed, from a pod on each node.
    func handWrittenEndpoints(clients: [Pod], web: [Pod]) async throws {
        step("a Service without a selector and hand-written Endpoints")
        let target = try #require(web.first)
        let ip = try #require(target.status?.podIP)
        try await harness.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: v1
            kind: Service
            metadata: {name: by-hand}
            spec:
              ports: [{port: 8082, targetPort: 8080}]
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: by-hand}
            subsets:
            - addresses: [{ip: "\(ip)"}]
              ports: [{port: 8080}]
            """)
        let mirrored = try await harness.eventually(timeout: .seconds(30)) {
            try await harness.kubectl(["get", "endpointslices", "-l", "kubernetes.io/service-name=by-hand",
                                       "-o", "jsonpath={.items[*].endpoints[*].addresses[0]}"]) == ip
        }
        #expect(mirrored, "no EndpointSlice mirrors by-hand's Endpoints")
        let clusterIP = try await harness.kubectl(["get", "service", "by-hand", "-o", "jsonpath={.spec.clusterIP}"])
        for client in clients {
            var answer = ""
            let reached = try await harness.eventually(timeout: .seconds(15)) {
                answer = try await exec(client, ["sh", "-c", "timeout 5 wget -qO- http://\(clusterIP):8082/"])
                return Self.podName(answer) == target.metadata.name
            }
            #expect(reached, "\(client.spec?.nodeName ?? ""): \(answer)")
        }
        // The endpoints controller removes a deleted Service's Endpoints itself, as upstream's: it may be gone first.
        try await harness.kubectl(["delete", "service,endpoints", "by-hand", "--ignore-not-found"])
    }

    /// `kubectl logs`, `exec`, `port-forward` and the API server's pod proxy to a pod on each node (every node is
    /// remote to the server); the service proxy to the Service.
    func logsExecPortForward(web: [Pod]) async throws {
        step("kubectl logs, exec and port-forward to pods on every node")
        for (index, pod) in web.enumerated() {
            let name = pod.metadata.name ?? ""
            let logs = try await harness.kubectl(["logs", name])
            #expect(logs.contains("web \(name) serving"), "logs of \(name) on \(pod.spec?.nodeName ?? ""): \(logs)")
            let page = try await harness.kubectl(["exec", name, "--", "cat", "/www/index.html"])
            #expect(page == "\(name) v1\n")
            let status = try await harness.run("/usr/bin/kubectl", ["--kubeconfig", harness.kubeconfig, "exec", name, "--", "sh", "-c", "exit 7"])
            #expect(status.status == 7)

            let port = 18080 + index
            let output = harness.directory + "-port-forward.out"
            let forward = try harness.start("/usr/bin/kubectl", ["--kubeconfig", harness.kubeconfig, "port-forward", "pod/\(name)", "\(port):8080"], output: output)
            do {
                let listening = try await harness.eventually(timeout: .seconds(30)) {
                    ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains("Forwarding from 127.0.0.1:\(port)")
                }
                #expect(listening, "kubectl port-forward: \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
                for _ in 0..<3 {
                    let answer = try await curl("http://127.0.0.1:\(port)/")
                    #expect(answer == "\(name) v1\n", "port-forward to \(name) on \(pod.spec?.nodeName ?? ""): \(answer)")
                }
            } catch {
                kill(forward, SIGTERM)
                _ = await Subprocess.exitStatus(of: forward)
                throw error
            }
            kill(forward, SIGTERM)
            _ = await Subprocess.exitStatus(of: forward)
            try? FileManager.default.removeItem(atPath: output)

            // The API server's pod proxy: the port the pod declares first, or the one named.
            let proxied = try await harness.kubectl(["get", "--raw", "/api/v1/namespaces/default/pods/\(name)/proxy/"])
            #expect(proxied == "\(name) v1\n", "pods/\(name)/proxy on \(pod.spec?.nodeName ?? ""): \(proxied)")
            let page8080 = try await harness.kubectl(["get", "--raw", "/api/v1/namespaces/default/pods/\(name):8080/proxy/index.html"])
            #expect(page8080 == "\(name) v1\n")
            let closed = try await harness.run("/usr/bin/kubectl", ["--kubeconfig", harness.kubeconfig, "get", "--raw",
                                                                   "/api/v1/namespaces/default/pods/\(name):81/proxy/"])
            let refused = "error trying to reach service: dial tcp \(pod.status?.podIP ?? ""):81: connect: connection refused"
            #expect(closed.status != 0 && closed.standardError.contains(refused), "\(closed.standardError)")
        }
        // The service proxy: a ready endpoint of the port named or numbered; an unknown port is upstream's 503.
        let names = Set(web.compactMap(\.metadata.name))
        for port in ["http", "80"] {
            let answer = try await harness.kubectl(["get", "--raw", "/api/v1/namespaces/default/services/web:\(port)/proxy/"])
            #expect(names.contains(Self.podName(answer)), "services/web:\(port)/proxy: \(answer)")
        }
        let unknown = try await harness.run("/usr/bin/kubectl", ["--kubeconfig", harness.kubeconfig, "get", "--raw",
                                                                "/api/v1/namespaces/default/services/web:81/proxy/"])
        #expect(unknown.status != 0 && unknown.standardError.contains("no service port 81 found for service \"web\""), "\(unknown.standardError)")
    }

    /// Scale to 6 (spread over the nodes, all behind the Service), to 1 (the rest gone, one endpoint), back to 3.
    func scale(nodePort: String) async throws {
        step("scale to 6")
        try await harness.kubectl(["scale", "deployment/web", "--replicas=6"])
        try await harness.kubectl(["rollout", "status", "deployment/web", "--timeout=120s"], timeout: .seconds(130))
        let six = try await webPods()
        #expect(six.count == 6)
        #expect(Set(six.compactMap(\.spec?.nodeName)) == Set(lab.nodes))
        try await expectReadyEndpoints(6)

        step("scale to 1")
        try await harness.kubectl(["scale", "deployment/web", "--replicas=1"])
        #expect(try await harness.eventually(timeout: .seconds(90)) { try await pods("app=web").count == 1 })
        try await expectReadyEndpoints(1)
        let survivor = try await webPods().first?.metadata.name ?? "?"
        for address in lab.addresses {
            #expect(Self.podName(try await curl("http://\(address):\(nodePort)/")) == survivor)
        }

        step("scale to 3")
        try await harness.kubectl(["scale", "deployment/web", "--replicas=3"])
        try await harness.kubectl(["rollout", "status", "deployment/web", "--timeout=120s"], timeout: .seconds(130))
        try await expectReadyEndpoints(3)
    }

    /// `kubectl set env` rolls every pod while the host sends requests round-robin to the three NodePorts without
    /// pause; not one may fail, and the answers move from v1 to v2.
    func rollingUpdateUnderLoad(nodePort: String) async throws {
        step("rolling update under a continuous request loop")
        let loop = try RequestLoop(harness: harness, urls: lab.addresses.map { "http://\($0):\(nodePort)/" })
        do {
            try await Task.sleep(for: .seconds(2))
            try await harness.kubectl(["set", "env", "deployment/web", "VERSION=2"])
            try await harness.kubectl(["rollout", "status", "deployment/web", "--timeout=180s"], timeout: .seconds(190))
            #expect(try await harness.eventually(timeout: .seconds(60)) { try await pods("app=web").count == 3 })
            try await Task.sleep(for: .seconds(2))
        } catch {
            _ = await loop.stop()
            throw error
        }
        let results = await loop.stop()
        let failures = results.filter { !$0.ok }
        let versions = results.filter(\.ok).map { $0.body.split(separator: " ").last.map(String.init) ?? "" }
        print("e2e:   \(results.count) requests during the rollout, \(failures.count) failed; v1 \(versions.filter { $0 == "v1" }.count), v2 \(versions.filter { $0 == "v2" }.count)")
        #expect(results.count > 50)
        #expect(failures.isEmpty, "failed requests during the rollout:\n\(failures.prefix(20).map(\.line).joined(separator: "\n"))")
        #expect(versions.contains("v1") && versions.contains("v2"))
        #expect(versions.suffix(6).allSatisfy { $0 == "v2" }, "last answers: \(versions.suffix(6))")
        let web = try await webPods()
        for pod in web { #expect(try await harness.kubectl(["exec", pod.metadata.name ?? "", "--", "cat", "/www/index.html"]).hasSuffix(" v2\n")) }
    }

    /// The agent of a node with a web pod stops (SIGSTOP: it neither renews its Lease nor posts status) → the node
    /// goes NotReady, its web pod is evicted and replaced on the other nodes, the Service keeps answering; when the
    /// agent continues the node is Ready again and the evicted pod is gone.
    func stoppedAgent(nodePort: String) async throws {
        let victim = lab.nodes[2]
        step("stopping the agent of \(victim)")
        let before = try await webPods()
        #expect(before.contains { $0.spec?.nodeName == victim }, "no web pod on \(victim): \(before.map { $0.spec?.nodeName ?? "-" })")
        let agent = try lab.daemonPID("\(victim) agent")
        kill(agent, SIGSTOP)
        defer { kill(agent, SIGCONT) }
        #expect(try await harness.eventually(timeout: .seconds(90), every: .seconds(1)) {
            try await harness.kubectl(["get", "node", victim, "--no-headers"]).contains("NotReady")
        }, "\(victim) did not become NotReady")
        step("\(victim) is NotReady; waiting for its web pod to be replaced elsewhere")
        let moved = try await harness.eventually(timeout: .seconds(120), every: .seconds(1)) {
            let live = try await webPods()
            return live.count == 3 && live.allSatisfy { Self.isReady($0) && $0.spec?.nodeName != victim }
        }
        if !moved {
            let state = try await webPods().map { "\($0.metadata.name ?? "") \($0.spec?.nodeName ?? "") ready=\(Self.isReady($0))" }
            Issue.record("the web pod on \(victim) was not replaced elsewhere: \(state)")
        }
        try await expectReadyEndpoints(3)
        for address in lab.addresses.prefix(2) {
            let names = Set(try await webPods().compactMap(\.metadata.name))
            #expect(names.contains(Self.podName(try await curl("http://\(address):\(nodePort)/"))))
        }

        step("continuing the agent of \(victim)")
        kill(agent, SIGCONT)
        #expect(try await harness.eventually(timeout: .seconds(90), every: .seconds(1)) {
            try await harness.kubectl(["get", "node", victim, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"]) == "True"
        }, "\(victim) did not become Ready again")
        let cleaned = try await harness.eventually(timeout: .seconds(90), every: .seconds(1)) { try await pods("app=web").count == 3 }
        if !cleaned {
            let state = try await pods("app=web").map { "\($0.metadata.name ?? "") \($0.spec?.nodeName ?? "") deleting=\($0.metadata.deletionTimestamp != nil)" }
            Issue.record("the evicted pod was not removed after \(victim) came back: \(state)")
        }
    }

    // MARK: Helpers

    func pods(_ selector: String) async throws -> [Pod] {
        let json = try await harness.kubectl(["get", "pods", "-l", selector, "-o", "json"])
        return try JSONDecoder().decode(ObjectList<Pod>.self, from: Data(json.utf8)).items
    }

    /// The web pods that are not being deleted.
    func webPods() async throws -> [Pod] {
        try await pods("app=web").filter { $0.metadata.deletionTimestamp == nil }
    }

    static func isReady(_ pod: Pod) -> Bool {
        pod.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } == true
    }

    /// Waits until the web Service's EndpointSlices list exactly `count` ready endpoints; records an issue if not.
    func expectReadyEndpoints(_ count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        var seen = -1
        let reached = try await harness.eventually(timeout: .seconds(60)) {
            let json = try await harness.kubectl(["get", "endpointslices", "-l", "kubernetes.io/service-name=web", "-o", "json"])
            let slices = try JSONDecoder().decode(ObjectList<EndpointSlice>.self, from: Data(json.utf8)).items
            seen = slices.flatMap(\.endpoints).filter { $0.conditions?.ready == true }.count
            return seen == count
        }
        if !reached { Issue.record("web has \(seen) ready endpoints, not \(count)", sourceLocation: sourceLocation) }
    }

    /// `kubectl exec POD -- COMMAND`, its standard output.
    func exec(_ pod: Pod, _ command: [String]) async throws -> String {
        try await harness.kubectl(["exec", pod.metadata.name ?? "", "--"] + command, timeout: .seconds(60))
    }

    /// curl from the host (the outer namespace); the body, or throws.
    func curl(_ url: String) async throws -> String {
        let output = try await harness.run("/usr/bin/curl", ["-sS", "--fail", "--max-time", "5", url], timeout: .seconds(30))
        guard output.status == 0 else { throw TestSupportError("curl \(url): \(output.standardError)") }
        return output.standardOutput
    }

    /// "web-abc-xyz v1\n" → "web-abc-xyz".
    static func podName(_ answer: String) -> String {
        String(answer.split(separator: " ").first ?? "")
    }
}

/// curl in a loop from the host (one request after the other, round-robin over `urls`, 2 s timeout each) until
/// stopped; one line per request.
private struct RequestLoop {
    struct Result {
        var line: String
        var ok: Bool
        var body: String
    }

    let harness: ClusterHarness
    let pid: pid_t
    let output: String
    let stopFile: String

    init(harness: ClusterHarness, urls: [String]) throws {
        self.harness = harness
        output = harness.directory + "-requests.out"
        stopFile = harness.directory + "-requests.stop"
        let script = """
            stop="$1"; shift
            while [ ! -e "$stop" ]; do
              for url in "$@"; do
                body=$(curl -s --max-time 2 -w ' |%{http_code}' "$url"); rc=$?
                printf '%s %s rc=%s %s\\n' "$(date +%T.%N | cut -c1-12)" "$url" "$rc" "$(printf '%s' "$body" | tr '\\n' ' ')"
              done
            done
            """
        pid = try harness.start("/bin/sh", ["-c", script, "sh", stopFile] + urls, output: output)
    }

    /// Ends the loop after its current round and returns every request's outcome.
    func stop() async -> [Result] {
        FileManager.default.createFile(atPath: stopFile, contents: nil)
        _ = await Subprocess.exitStatus(of: pid)
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: stopFile)
        try? FileManager.default.removeItem(atPath: output)
        return text.split(separator: "\n").map { line in
            // "12:00:01.123 http://… rc=0 web-abc v2  |200"
            let fields = line.split(separator: " ", maxSplits: 3).map(String.init)
            let rest = fields.count > 3 ? fields[3] : ""
            let ok = fields.count > 3 && fields[2] == "rc=0" && rest.hasSuffix("|200")
            let body = rest.replacingOccurrences(of: " |200", with: "").trimmingCharacters(in: .whitespaces)
            return Result(line: String(line), ok: ok, body: body)
        }
    }
}

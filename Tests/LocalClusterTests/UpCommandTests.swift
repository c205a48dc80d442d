import Foundation
import LinuxSystem
import Netlink
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `swiftlet up` end to end, in a throwaway outer network namespace that plays the host: the node becomes Ready,
/// a pod runs, a NodePort answers from the "host", and SIGTERM leaves the namespace, mounts and processes as before.
@Suite(.serialized) struct UpCommandTests {
    @Test func upRunsANodeAndLeavesNothingBehind() async throws {
        let archives = try await ClusterHarness.imageArchives()
        try await withThrowawayNetworkNamespace(prefix: "swup") { outer in
            // The "host's" own address: where cluster DNS listens and the node's InternalIP.
            let netlink = try RouteNetlink(in: outer)
            try netlink.setUp(.name("lo"))
            try netlink.createBridge(named: "uplink0")
            try netlink.addAddress(try IPNetwork(parsing: "192.168.230.1/24"), to: .name("uplink0"))
            try netlink.setUp(.name("uplink0"))
            let directory = ClusterHarness.freshDirectory("swup")
            let harness = ClusterHarness(outer: outer, directory: directory)
            defer {
                try? FileManager.default.removeItem(atPath: directory)
                try? FileManager.default.removeItem(atPath: directory + ".out")
            }
            let cgroupRoot = "/" + (directory as NSString).lastPathComponent
            let before = try harness.snapshot()

            let started = ContinuousClock.now
            let up = try harness.start(["up", "--data-dir", directory, "--node-name", "up-node", "--cri-socket", directory + "/run/cri.sock",
                                        "--cni-bin-dir", ClusterHarness.binaries, "--cgroup-root", cgroupRoot]
                                       + archives.flatMap { ["--image-archive", $0] })
            do {
                try await exercise(harness, output: up.output, started: started)
            } catch {
                kill(up.pid, SIGTERM)
                _ = await Subprocess.exitStatus(of: up.pid)
                throw error
            }

            let sandboxes = sandboxNamespaces(below: directory)
            // SIGTERM: agent (removing the pod), runtime, server, then the CNI leftovers.
            kill(up.pid, SIGTERM)
            let status = await Subprocess.exitStatus(of: up.pid)
            let log = (try? String(contentsOfFile: up.output, encoding: .utf8)) ?? ""
            #expect(status == 0, "swiftlet up exited with \(status): \(log.suffix(3000))")
            #expect(log.contains("up: stopped"))
            if !harness.processesUsingDirectory().isEmpty {
                let agentLog = (try? String(contentsOfFile: directory + "/logs/up-node-agent.log", encoding: .utf8)) ?? ""
                let runtimeLog = (try? String(contentsOfFile: directory + "/logs/up-node-runtime.log", encoding: .utf8)) ?? ""
                Issue.record("left running after SIGTERM; agent log:\n\(agentLog.suffix(4000))\nruntime log:\n\(runtimeLog.suffix(3000))")
            }
            #expect(try harness.snapshot() == before)
            #expect(harness.processesUsingDirectory().isEmpty)
            #expect(harness.mountsBelowDirectory().isEmpty)
            #expect(!sandboxes.isEmpty)
            #expect(sandboxes.filter { FileManager.default.fileExists(atPath: $0) }.isEmpty)
            #expect(!cgroupExists(cgroupRoot))
        }
    }

    /// A daemon that dies while starting (here the server, which cannot bind an address this namespace does not have)
    /// stops `up` with an error naming it and the end of its log, and nothing keeps running.
    @Test func aDaemonThatDiesIsNamedWithItsLog() async throws {
        try await withThrowawayNetworkNamespace(prefix: "swup") { outer in
            try RouteNetlink(in: outer).setUp(.name("lo"))
            let directory = ClusterHarness.freshDirectory("swup")
            let harness = ClusterHarness(outer: outer, directory: directory)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let before = try harness.snapshot()
            let output = try await harness.swiftlet(["up", "--data-dir", directory, "--listen", "192.0.2.1:6443", "--node-ip", "192.0.2.1",
                                                     "--cri-socket", directory + "/run/cri.sock", "--cni-bin-dir", ClusterHarness.binaries],
                                                    timeout: .seconds(120))
            #expect(output.status != 0)
            #expect(output.standardError.contains("server exited with status"), "\(output.standardOutput) \(output.standardError)")
            #expect(output.standardError.contains(directory + "/logs/server.log"))
            #expect(output.standardError.contains("192.0.2.1"))
            #expect(harness.processesUsingDirectory().isEmpty)
            #expect(try harness.snapshot() == before)
        }
    }

    /// A fresh network namespace has lo down, and nothing in it reaches its own addresses: `lab up` says so at once
    /// instead of waiting for nodes that cannot register, and makes nothing.
    @Test func labUpWhereLoopbackIsDownSaysSoAndMakesNothing() async throws {
        try await withThrowawayNetworkNamespace(prefix: "swlo") { outer in
            let directory = ClusterHarness.freshDirectory("swlo")
            let harness = ClusterHarness(outer: outer, directory: directory)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let before = try harness.snapshot()
            let output = try await harness.swiftlet(["lab", "up", "--nodes", "1", "--dir", directory, "--prefix", "swlo", "--bridge", "brswlo",
                                                     "--network", "172.31.200.0/24", "--cni-bin-dir", ClusterHarness.binaries],
                                                    timeout: .seconds(60))
            #expect(output.status != 0)
            #expect(output.standardError.contains("the loopback interface is down in this network namespace, so the server on 172.31.200.1 could not be reached from here (ip link set lo up)"),
                    "\(output.standardOutput) \(output.standardError)")
            #expect(!FileManager.default.fileExists(atPath: directory + "/lab.json"))
            #expect(try harness.snapshot() == before)
            #expect(harness.processesUsingDirectory().isEmpty)
        }
    }

    /// Ready, the printed kubeconfig, a NodePort from the "host".
    private func exercise(_ harness: ClusterHarness, output path: String, started: ContinuousClock.Instant) async throws {
        let directory = harness.directory
        let ready = try await harness.eventually(timeout: .seconds(180)) {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            if text.contains("Error:") { throw TestSupportError(text) }
            return text.contains("get nodes")
        }
        let output = try String(contentsOfFile: path, encoding: .utf8)
        try #require(ready, "swiftlet up did not get Ready: \(output)")
        print("swiftlet up → node Ready in \(ContinuousClock.now - started)")
        #expect(output.contains("kubeconfig: \(directory)/admin.kubeconfig"))
        #expect(output.contains("kubectl --kubeconfig \(directory)/admin.kubeconfig get nodes"))
        let nodes = try await harness.kubectl(["get", "nodes", "-o", "jsonpath={.items[*].metadata.name} {.items[*].status.conditions[?(@.type==\"Ready\")].status}"])
        #expect(nodes == "up-node True")
        // The admin kubeconfig (it holds a private key) is the owner's only; the agent runs as the node, not the admin.
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/admin.kubeconfig")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try String(contentsOfFile: directory + "/kubelet.kubeconfig", encoding: .utf8).contains("user: system:node:up-node"))

        // A web pod behind a NodePort, reached from the "host".
        try await harness.kubectl(["run", "web", "--image", "swiftlet.local/web:1", "--image-pull-policy=IfNotPresent", "--labels", "app=web"])
        try await harness.kubectl(["expose", "pod", "web", "--type", "NodePort", "--port", "80", "--target-port", "8080"])
        #expect(try await harness.eventually { try await harness.podState("web").phase == "Running" })
        let podIP = try await harness.podState("web").ip
        #expect(podIP.hasPrefix("10.88."))
        let nodePort = try await harness.kubectl(["get", "service", "web", "-o", "jsonpath={.spec.ports[0].nodePort}"])
        #expect(try await harness.eventually(timeout: .seconds(30)) {
            try await harness.run("/usr/bin/curl", ["-sf", "--max-time", "2", "http://192.168.230.1:\(nodePort)/"]).status == 0
        })

        // Pods reach the API server: the kubernetes Service's endpoint is the node's address, where the server listens.
        let endpoints = try await harness.kubectl(["get", "endpoints", "kubernetes", "-o", "jsonpath={.subsets[0].addresses[*].ip}:{.subsets[0].ports[0].port}"])
        #expect(endpoints == "192.168.230.1:6443")
        #expect(try await harness.eventually(timeout: .seconds(30)) {
            (try? await harness.kubectl(["exec", "web", "--", "sh", "-c", "nc -w 2 10.96.0.1 443 </dev/null && echo connected"]))?.contains("connected") == true
        })

        // kubectl top: the server's metrics server scrapes the node's kubelet every 15 s; the node shows after two
        // scrapes, the pod after two or (started 10–15 s before a scrape) one.
        #expect(try await harness.eventually(timeout: .seconds(60)) {
            let top = (try? await harness.kubectl(["top", "pod", "web", "--no-headers"])) ?? ""
            return top.hasPrefix("web ") && top.contains("Mi")
        })
        #expect(try await harness.eventually(timeout: .seconds(60)) {
            ((try? await harness.kubectl(["top", "node", "--no-headers"])) ?? "").hasPrefix("up-node ")
        })
    }
}

import Foundation
import LinuxSystem
import Netlink
import TestSupport
import Testing

/// `swiftlet lab up --nodes 2` / `lab down` in a throwaway outer network namespace that plays the host: both nodes
/// Ready, a pod on each, pod-to-pod across nodes over the host-gw routes, a NodePort from the "host" to a pod on the
/// other node, and `lab down` leaving the namespace, mounts, cgroups and processes as before.
@Suite(.serialized) struct LabCommandTests {
    @Test func twoNodeLabUpAndDown() async throws {
        let archives = try await ClusterHarness.imageArchives()
        try await withThrowawayNetworkNamespace(prefix: "swlab") { outer in
            try RouteNetlink(in: outer).setUp(.name("lo"))
            let directory = ClusterHarness.freshDirectory("swlab")
            let harness = ClusterHarness(outer: outer, directory: directory)
            let prefix = "t" + String(UInt16.random(in: .min ... .max), radix: 16)
            let before = try harness.snapshot()
            do {
                try await exercise(harness, prefix: prefix, archives: archives)
            } catch {
                _ = try? await harness.swiftlet(["lab", "down", "--dir", directory])
                throw error
            }
            let sandboxes = sandboxNamespaces(below: directory)
            let downStarted = ContinuousClock.now
            let result = try await harness.swiftlet(["lab", "down", "--dir", directory])
            print("swiftlet lab down took \(ContinuousClock.now - downStarted)")
            #expect(result.status == 0, "lab down failed: \(result.standardOutput) \(result.standardError)")
            #expect(try harness.snapshot() == before)
            #expect(namespaces(prefix: prefix + "-").isEmpty)
            #expect(!sandboxes.isEmpty)
            #expect(sandboxes.filter { FileManager.default.fileExists(atPath: $0) }.isEmpty)
            #expect(harness.processesUsingDirectory().isEmpty)
            #expect(harness.mountsBelowDirectory().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: directory))
            #expect(!cgroupExists("swiftlet-\(prefix)-1") && !cgroupExists("swiftlet-\(prefix)-2"))
        }
    }

    /// Up, Ready, pods, pod-to-pod, NodePort.
    private func exercise(_ harness: ClusterHarness, prefix: String, archives: [String]) async throws {
        let directory = harness.directory
        let started = ContinuousClock.now
        let up = try await harness.swiftlet(["lab", "up", "--nodes", "2", "--dir", directory, "--prefix", prefix, "--bridge", "br" + prefix,
                                             "--network", "172.31.7.0/24", "--cni-bin-dir", ClusterHarness.binaries]
                                            + archives.flatMap { ["--image-archive", $0] })
        try #require(up.status == 0, "lab up failed: \(up.standardOutput) \(up.standardError)")
        print("swiftlet lab up (2 nodes) took \(ContinuousClock.now - started)\n\(up.standardOutput)")
        #expect(up.standardOutput.contains("\(prefix)-1: Ready"))
        #expect(namespaces(prefix: prefix + "-") == ["\(prefix)-1", "\(prefix)-2"])
        let ready = try await harness.kubectl(["get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status} {end}"])
        #expect(ready == "\(prefix)-1=True \(prefix)-2=True ")

        // One pod per node.
        for (index, image) in [(1, "swiftlet.local/busybox:1.35"), (2, "swiftlet.local/web:1")] {
            let overrides = #"{"spec":{"nodeName":"\#(prefix)-\#(index)"}}"#
            try await harness.kubectl(["run", "pod-\(index)", "--image", image, "--image-pull-policy=IfNotPresent", "--labels", "app=pod-\(index)",
                                       "--overrides", overrides] + (index == 1 ? ["--", "sleep", "3600"] : []))
        }
        #expect(try await harness.eventually(timeout: .seconds(90)) {
            let first = try await harness.podState("pod-1").phase, second = try await harness.podState("pod-2").phase
            return first == "Running" && second == "Running"
        })
        let ip1 = try await harness.podState("pod-1").ip, ip2 = try await harness.podState("pod-2").ip
        #expect(ip1.hasPrefix("10.244.1."))
        #expect(ip2.hasPrefix("10.244.2."))

        // Pod to pod across nodes (host-gw routes in each node's namespace), through kubectl exec on a remote node.
        #expect(try await harness.eventually(timeout: .seconds(30)) {
            let ping = try await harness.kubectl(["exec", "pod-1", "--", "ping", "-c", "1", "-W", "2", ip2])
            return ping.contains("1 packets received")
        })
        #expect(try await harness.eventually(timeout: .seconds(30)) {
            try await harness.kubectl(["exec", "pod-1", "--", "wget", "-O", "-", "http://\(ip2):8080/"]).contains("hello from swiftlet-test/web")
        })

        // Cluster DNS (the server on the host's bridge address) from a pod on a node.
        #expect(try await harness.kubectl(["exec", "pod-1", "--", "nslookup", "kubernetes.default.svc.cluster.local"]).contains("10.96.0.1"))

        // A NodePort on node 1 reaches the pod on node 2 from the "host".
        try await harness.kubectl(["expose", "pod", "pod-2", "--type", "NodePort", "--port", "80", "--target-port", "8080", "--name", "web"])
        let nodePort = try await harness.kubectl(["get", "service", "web", "-o", "jsonpath={.spec.ports[0].nodePort}"])
        #expect(try await harness.eventually(timeout: .seconds(30)) {
            try await harness.run("/usr/bin/curl", ["-sf", "--max-time", "2", "http://172.31.7.11:\(nodePort)/"]).status == 0
        })
    }
}

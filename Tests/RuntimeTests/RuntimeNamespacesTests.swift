import CRI
import Foundation
import GRPCCore
import LinuxSystem
import TestSupport
import Testing

/// The namespaces a pod's containers share, read from inside them — run against `swiftlet runtime` (a pod that
/// does not share its PID namespace has no infra container there: its ipc/uts namespaces are pinned by bind
/// mounts) and, unchanged, against containerd (a pause container holds them): the containers must see the same.
@Suite("CRI pod namespaces: pinned ipc/uts without an infra container, a shared PID namespace with one", .serialized)
struct RuntimeNamespacesTests {
    @Test("two containers share the pod's ipc/uts namespaces, hostname, /dev/shm and IPC sysctls; a PID-sharing pod sees its processes; nothing stays mounted",
          .timeLimit(.minutes(3)), arguments: [CRIHarness.Kind.swiftlet, .containerd])
    func podNamespaces(_ kind: CRIHarness.Kind) async throws {
        try await CRIHarness.with(kind, onFailure: { Issue.record("runtime log:\n\($0)") }) { try await scenario($0) }
    }

    private func scenario(_ harness: CRIHarness) async throws {
        let shell = "\(harness.registry)/swiftlet-test/shell:v1"
        let swiftlet = harness.kind == .swiftlet
        let sandbox = {
            var sandbox = CRIRequests.sandboxConfig(name: "pinned", logDirectory: harness.root + "/pods/pinned")
            sandbox.hostname = "pinned-host"
            // IPC sysctls (one of runc's list, one fs.mqueue.*), off their defaults (16384 and 10).
            sandbox.linux.sysctls = ["kernel.msgmnb": "32768", "fs.mqueue.msg_max": "20"]
            return sandbox
        }()
        let shared = CRIRequests.sandboxConfig(name: "shared-pid", logDirectory: harness.root + "/pods/shared-pid", sharePID: true)

        let (sandboxID, first, firstIDs) = try await harness.withClients { runtime, images in
            _ = try await images.pullImage(CRIRequests.pull(shell))
            let sandboxID = try await runtime.runPodSandbox(CRIRequests.run(sandbox)).podSandboxID
            let first = try await start(runtime, sandboxID, sandbox, name: "one", image: shell)
            let second = try await start(runtime, sandboxID, sandbox, name: "two", image: shell)
            let one = try await namespaces(runtime, first), two = try await namespaces(runtime, second)
            #expect(one.ipc == two.ipc && one.uts == two.uts, "containers of one pod in different namespaces: \(one) / \(two)")
            #expect(one.pid != two.pid, "a PID namespace per container was asked for: \(one) / \(two)")
            let host = (ipc: try readlink("/proc/self/ns/ipc"), uts: try readlink("/proc/self/ns/uts"))
            #expect(one.ipc != host.ipc && one.uts != host.uts, "the pod is in the node's ipc/uts namespace: \(one)")
            #expect(try await run(runtime, second, "hostname; cat /etc/hostname") == "pinned-host\npinned-host")
            #expect(try await run(runtime, second, "cat /proc/sys/kernel/msgmnb /proc/sys/fs/mqueue/msg_max") == "32768\n20")
            #expect(try await run(runtime, first, "echo shared > /dev/shm/probe && cat /proc/sys/kernel/msgmnb") == "32768")
            #expect(try await run(runtime, second, "cat /dev/shm/probe") == "shared")

            if swiftlet {
                // No infra container: the verbose status names the pinned files, which are the containers' namespaces.
                let (info, object) = try await verboseInfo(runtime, sandboxID)
                #expect(object["pid"] as? Int == 0, "\(info)")
                #expect(object["infraContainer"] as? Bool == false, "\(info)")
                let pinned = try #require(object["namespaces"] as? [String: String], "\(info)")
                let ipc = try PinnedNamespace.inode(try #require(pinned["ipc"])), uts = try PinnedNamespace.inode(try #require(pinned["uts"]))
                #expect("ipc:[\(ipc)]" == one.ipc && "uts:[\(uts)]" == one.uts, "pinned \(ipc)/\(uts), container \(one)")
                #expect(try await runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest()).items.map(\.state) == [.sandboxReady])
            }
            return (sandboxID, one, [first, second])
        }

        if swiftlet {
            // A restarted daemon finds the pinned namespaces from its records: a new container joins the same ones.
            // A sandbox a killed daemon left half made (pinned, never recorded) is unpinned and removed at start-up.
            harness.killRuntime()
            let unfinished = harness.runtimeState + "/sandboxes/" + String(repeating: "0", count: 64)
            try FileManager.default.createDirectory(atPath: unfinished, withIntermediateDirectories: true)
            try PinnedNamespace.create([.ipc: unfinished + "/ns/ipc", .uts: unfinished + "/ns/uts"])
            #expect(CRIHarness.mounts(below: unfinished).count == 2)
            try await harness.startRuntime()
            #expect(CRIHarness.mounts(below: unfinished).isEmpty, "\(CRIHarness.mounts(below: unfinished))")
            #expect(!FileManager.default.fileExists(atPath: unfinished))
        }
        let ids = try await harness.withClients { runtime, _ in
            let third = try await start(runtime, sandboxID, sandbox, name: "three", image: shell)
            let three = try await namespaces(runtime, third)
            #expect(three.ipc == first.ipc && three.uts == first.uts, "\(three) / \(first)")

            // A pod sharing its PID namespace: each container sees the other's processes (and the infra process).
            let sharedID = try await runtime.runPodSandbox(CRIRequests.run(shared)).podSandboxID
            let left = try await start(runtime, sharedID, shared, name: "left", image: shell, command: "sleep 3601", sharePID: true)
            let right = try await start(runtime, sharedID, shared, name: "right", image: shell, command: "sleep 3602", sharePID: true)
            let a = try await namespaces(runtime, left), b = try await namespaces(runtime, right)
            #expect(a.pid == b.pid && a.ipc == b.ipc && a.uts == b.uts, "\(a) / \(b)")
            #expect(a.ipc != first.ipc, "two pods share an IPC namespace")
            if swiftlet { #expect(!Self.cgroups(of: right).isEmpty, "no cgroup found for a running container: the leak check below would see nothing") }
            let processes = try await run(runtime, right, "ps")
            #expect(processes.contains("sleep 3601") && processes.contains("sleep 3602"), "\(processes)")
            #expect(try await run(runtime, left, "hostname") == "shared-pid")
            if swiftlet {
                let (info, object) = try await verboseInfo(runtime, sharedID)
                #expect((object["pid"] as? Int ?? 0) > 0, "an infra container holds a shared PID namespace: \(info)")
            }

            for id in [sandboxID, sharedID] {
                _ = try await runtime.stopPodSandbox(CRIRequests.stopSandbox(id))
            }
            if swiftlet {
                // Stopped: the namespaces are unpinned and /dev/shm unmounted already (an infra root stays until removal).
                let left = CRIHarness.mounts(below: harness.runtimeState + "/sandboxes").filter { !$0.hasSuffix("/bundle/rootfs") }
                #expect(left.isEmpty, "mounts left after StopPodSandbox: \(left)")
            }
            for id in [sandboxID, sharedID] {
                _ = try await runtime.removePodSandbox(CRIRequests.removeSandbox(id))
            }
            #expect(try await runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest()).items.isEmpty)
            return firstIDs + [third, left, right, sharedID]
        }
        if swiftlet {
            // Every container's cgroup (and the infra container's) went with it: no runc process was asked to.
            let left = ids.flatMap { id in Self.cgroups(of: id) }
            #expect(left.isEmpty, "cgroups left: \(left)")
        }
        #expect(harness.leftoverMounts.isEmpty, "\(harness.leftoverMounts)")
        if swiftlet {
            let directories = (try? FileManager.default.contentsOfDirectory(atPath: harness.runtimeState + "/sandboxes")) ?? []
            #expect(directories.isEmpty, "sandbox state left: \(directories)")
        }
    }

    /// Creates and starts a container running `command` in the sandbox.
    private func start(_ runtime: Runtime_V1_RuntimeService.Client<some ClientTransport>, _ sandboxID: String, _ sandbox: Runtime_V1_PodSandboxConfig,
                       name: String, image: String, command: String = "sleep 3600", sharePID: Bool = false) async throws -> String {
        let config = CRIRequests.containerConfig(name: name, image: image, command: ["sh", "-c", "exec " + command], sharePID: sharePID)
        let id = try await runtime.createContainer(CRIRequests.create(sandboxID, config, sandbox)).containerID
        _ = try await runtime.startContainer(CRIRequests.start(id))
        return id
    }

    /// The container's ipc, uts and pid namespaces as `readlink /proc/self/ns/…` names them (`ipc:[4026532…]`).
    private func namespaces(_ runtime: Runtime_V1_RuntimeService.Client<some ClientTransport>, _ id: String) async throws -> (ipc: String, uts: String, pid: String) {
        let lines = try await run(runtime, id, "for kind in ipc uts pid; do readlink /proc/self/ns/$kind; done").split(separator: "\n").map(String.init)
        try #require(lines.count == 3, "\(lines)")
        return (lines[0], lines[1], lines[2])
    }

    /// Runs `command` with `sh -c` in the container; its stdout without the trailing newline, failing on a non-zero exit.
    private func run(_ runtime: Runtime_V1_RuntimeService.Client<some ClientTransport>, _ id: String, _ command: String) async throws -> String {
        let response = try await runtime.execSync(CRIRequests.exec(id, ["sh", "-c", command]))
        try #require(response.exitCode == 0, "\(command): \(String(decoding: response.stderr, as: UTF8.self))")
        return String(decoding: response.stdout, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    /// The verbose PodSandboxStatus `info` JSON, as text and decoded.
    private func verboseInfo(_ runtime: Runtime_V1_RuntimeService.Client<some ClientTransport>, _ id: String) async throws -> (String, [String: Any]) {
        var request = Runtime_V1_PodSandboxStatusRequest()
        request.podSandboxID = id
        request.verbose = true
        let info = try #require(try await runtime.podSandboxStatus(request).info["info"])
        return (info, try #require(try JSONSerialization.jsonObject(with: Data(info.utf8)) as? [String: Any]))
    }

    /// The cgroup directories of a swiftlet container (below the default parent `/swiftlet`), v1 or v2.
    private static func cgroups(of id: String) -> [String] {
        ["/sys/fs/cgroup/swiftlet/", "/sys/fs/cgroup/pids/swiftlet/", "/sys/fs/cgroup/memory/swiftlet/", "/sys/fs/cgroup/cpu/swiftlet/"]
            .map { $0 + id }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    private func readlink(_ path: String) throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: path)
    }
}

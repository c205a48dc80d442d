import KubeAPI
@testable import Kubelet
import Testing

/// The kubelet's admission of new pods and the eviction manager's order and messages, with upstream's reasons and
/// wording (see KubeletEndToEndTests.reservationsAndPressure for both on a real node).
@Suite struct PodAdmissionTests {
    static let node = Node(metadata: ObjectMeta(name: "n", labels: ["kubernetes.io/os": "linux", "disk": "ssd"]),
                           spec: NodeSpec(taints: [Taint(key: "dedicated", value: "db", effect: "NoExecute")]),
                           status: NodeStatus(allocatable: ["cpu": "2", "memory": "4Gi", "ephemeral-storage": "10Gi", "pods": "3"]))

    static func pod(_ name: String, requests: [String: Quantity] = [:], ports: [Int32] = [], priority: Int32? = nil,
                    tolerations: [Toleration] = [Toleration(key: "dedicated", operator: "Exists")], static isStatic: Bool = false) -> Pod {
        var container = Container(name: "main", image: "shell")
        if !requests.isEmpty { container.resources = ResourceRequirements(requests: requests) }
        if !ports.isEmpty { container.ports = ports.map { ContainerPort(hostPort: $0, containerPort: 80) } }
        var pod = Pod(metadata: ObjectMeta(name: name, namespace: "default", uid: name), spec: PodSpec(containers: [container]))
        pod.spec?.priority = priority
        pod.spec?.tolerations = tolerations
        if isStatic { pod.metadata.annotations = ["kubernetes.io/config.source": "file"] }
        return pod
    }

    @Test func resourcesAreCheckedAgainstWhatTheOtherPodsLeft() {
        let admission = PodAdmission(node: Self.node, pressures: [])
        let running = [Self.pod("a", requests: ["cpu": "1500m", "memory": "1Gi"])]
        #expect(admission.check(Self.pod("b", requests: ["cpu": "500m"]), others: running) == nil)
        #expect(admission.check(Self.pod("b", requests: ["cpu": "501m", "memory": "8Gi"]), others: running)
                == .init(reason: "OutOfcpu", message: "Node didn't have enough resource: cpu, requested: 501, used: 1500, capacity: 2000"))
        #expect(admission.check(Self.pod("b", requests: ["memory": "3073Mi", "ephemeral-storage": "1Gi"]), others: running)
                == .init(reason: "OutOfmemory", message: "Node didn't have enough resource: memory, requested: 3222274048, used: 1073741824, capacity: 4294967296"))
        #expect(admission.check(Self.pod("b", requests: ["hugepages-2Mi": "2Mi"]), others: [])
                == .init(reason: "OutOfhugepages-2Mi", message: "Node didn't have enough resource: hugepages-2Mi, requested: 2097152, used: 0, capacity: 0"))
        // Extended resources the node does not have are not the kubelet's to refuse (they may be cluster-level).
        #expect(admission.check(Self.pod("b", requests: ["example.com/gpu": "1"]), others: []) == nil)
        let full = [Self.pod("a"), Self.pod("b"), Self.pod("c")]
        #expect(admission.check(Self.pod("d"), others: full)
                == .init(reason: "OutOfpods", message: "Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3"))
    }

    @Test func predicatesAsTheSchedulerChecksThem() {
        let admission = PodAdmission(node: Self.node, pressures: [])
        var elsewhere = Self.pod("x")
        elsewhere.spec?.nodeSelector = ["disk": "hdd"]
        #expect(admission.check(elsewhere, others: [])
                == .init(reason: "NodeAffinity", message: "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector"))
        #expect(admission.check(Self.pod("y", ports: [8080]), others: [Self.pod("z", ports: [8080])])
                == .init(reason: "NodePorts", message: "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports"))
        #expect(admission.check(Self.pod("y", ports: [8081]), others: [Self.pod("z", ports: [8080])]) == nil)
        let untolerating = Self.pod("t", tolerations: [])
        #expect(admission.check(untolerating, others: [])
                == .init(reason: "TaintToleration", message: "Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate"))
        #expect(admission.check(Self.pod("s", tolerations: [], static: true), others: []) == nil, "static pods ignore NoExecute taints")
        var windows = Self.pod("w")
        windows.metadata.labels = ["kubernetes.io/os": "windows"]
        #expect(admission.check(windows, others: [])?.reason == "PodOSSelectorNodeLabelDoesNotMatch")
        // The first failure is the one reported: resources before node affinity, as upstream's AdmissionCheck.
        var both = Self.pod("b", requests: ["cpu": "3"])
        both.spec?.nodeSelector = ["disk": "hdd"]
        #expect(admission.check(both, others: [])?.reason == "OutOfcpu")
    }

    @Test func pressureRefusesAsTheEvictionManager() {
        let memory = PodAdmission(node: Self.node, pressures: ["MemoryPressure"])
        let refusal = PodAdmission.Rejection(reason: "Evicted", message: "The node had condition: [MemoryPressure]. ")
        #expect(memory.check(Self.pod("best-effort"), others: []) == refusal)
        #expect(memory.check(Self.pod("burstable", requests: ["cpu": "10m"]), others: []) == nil)
        var tolerating = Self.pod("tolerating")
        tolerating.spec?.tolerations?.append(Toleration(key: Taint.memoryPressureKey, operator: "Exists", effect: "NoSchedule"))
        #expect(memory.check(tolerating, others: []) == nil)
        #expect(memory.check(Self.pod("critical", priority: PriorityClass.systemCriticalPriority), others: []) == nil)
        let disk = PodAdmission(node: Self.node, pressures: ["MemoryPressure", "DiskPressure"])
        #expect(disk.check(Self.pod("burstable", requests: ["cpu": "10m"]), others: [])
                == .init(reason: "Evicted", message: "The node had condition: [MemoryPressure DiskPressure]. "))
        #expect(disk.check(Self.pod("static", static: true), others: []) == nil)
    }

    @Test func sysctlsAsTheAllowlistLetsThem() throws {
        func pod(_ sysctls: [String], hostNetwork: Bool = false, hostIPC: Bool = false) -> Pod {
            var pod = Self.pod("s")
            pod.spec?.securityContext = PodSecurityContext(sysctls: sysctls.map { Sysctl(name: $0, value: "1") })
            pod.spec?.hostNetwork = hostNetwork
            pod.spec?.hostIPC = hostIPC
            return pod
        }
        let safe = PodAdmission(node: Self.node, pressures: [])
        #expect(safe.check(pod(["net.ipv4.tcp_syncookies", "kernel.shm_rmid_forced"]), others: []) == nil)
        #expect(safe.check(pod(["net/ipv4/ip_local_port_range"]), others: []) == nil, "slash-separated names are normalized")
        #expect(safe.check(pod(["kernel.msgmax"]), others: [])
                == .init(reason: "SysctlForbidden", message: #"forbidden sysctl: "kernel.msgmax" not allowlisted"#))
        #expect(safe.check(pod(["net.ipv4.tcp_syncookies"], hostNetwork: true), others: [])
                == .init(reason: "SysctlForbidden", message: #"forbidden sysctl: "net.ipv4.tcp_syncookies" not allowed with host Net enabled"#))
        let unsafe = PodAdmission(node: Self.node, pressures: [], sysctls: try SysctlAllowlist(unsafe: ["kernel.msg*", "net.core.somaxconn"]))
        #expect(unsafe.check(pod(["kernel.msgmax", "net.core.somaxconn"]), others: []) == nil)
        #expect(unsafe.check(pod(["kernel.msgmax"], hostIPC: true), others: [])?.message
                == #"forbidden sysctl: "kernel.msgmax" not allowed with host IPC enabled"#)
        #expect(throws: KubeletFlagError.self) { try SysctlAllowlist(unsafe: ["kernel.panic"]) }
        do {
            _ = try SysctlAllowlist(unsafe: ["vm.*"])
            Issue.record("vm.* is not namespaced and must be refused")
        } catch {
            #expect(error.description == #"the sysctls "vm." are not known to be namespaced"#)
        }
    }

    @Test func evictionOrderAndMessage() throws {
        let hog = Self.pod("hog", requests: ["memory": "100Mi"]), light = Self.pod("light", requests: ["memory": "100Mi"])
        let important = Self.pod("important", priority: 1000), plain = Self.pod("plain"), unknown = Self.pod("unknown")
        let usage = [
            "hog": PodUsage(memory: ["main": 300 << 20], processes: 5), "light": PodUsage(memory: ["main": 50 << 20], processes: 50),
            "important": PodUsage(memory: ["main": 200 << 20], processes: 10), "plain": PodUsage(memory: ["main": 10 << 20], processes: 1),
        ]
        // No figures first; then over their request (lower priority first, then most above it); then within it.
        let memory = EvictionRanking(resource: "memory", usage: usage).rank([light, important, plain, hog, unknown])
        #expect(memory.map { $0.metadata.name ?? "" } == ["unknown", "hog", "plain", "important", "light"])
        let pids = EvictionRanking(resource: "pids", usage: usage).rank([hog, important, light, plain])
        #expect(pids.map { $0.metadata.name ?? "" } == ["light", "hog", "plain", "important"])

        let threshold = try #require(NodeResourcePolicy.evictionThresholds("memory.available<1Gi").first)
        let notice = EvictionNotice(resource: "memory", threshold: threshold, observed: .init(available: 900 << 20, capacity: 4 << 30),
                                    pod: hog, usage: usage["hog"])
        #expect(notice.message == "The node was low on resource: memory. Threshold quantity: 1Gi, available: 900Mi. "
                + "Container main was using 300Mi, request is 100Mi, has larger consumption of memory. ")
        #expect(notice.annotations == ["offending_containers": "main", "offending_containers_usage": "300Mi", "starved_resource": "memory"])
        let percentage = try #require(NodeResourcePolicy.evictionThresholds("nodefs.available<10%").first)
        let disk = EvictionNotice(resource: "ephemeral-storage", threshold: percentage, observed: .init(available: 1 << 30, capacity: 20 << 30),
                                  pod: plain, usage: nil)
        #expect(disk.message == "The node was low on resource: ephemeral-storage. Threshold quantity: 2Gi, available: 1Gi. ")
    }

    @Test func thresholdsMetMemoryFirst() throws {
        let policy = NodeResourcePolicy(evictionHard: try NodeResourcePolicy.evictionThresholds("imagefs.available<50%,memory.available<1Gi,pid.available<100"))
        let signals = NodeSignals(memory: .init(available: 1 << 20, capacity: 4 << 30),
                                  imageFS: .init(bytes: .init(available: 1, capacity: 10), inodes: .init(available: 10, capacity: 10)),
                                  pids: .init(available: 5000, capacity: 32768))
        #expect(NodeResourcePolicy.crossed(policy.thresholds, in: signals).map(\.threshold.signal) == ["memory.available", "imagefs.available"])
        #expect(EvictionRanking.resource(of: "imagefs.available") == "ephemeral-storage")
        #expect(EvictionRanking.resource(of: "nodefs.inodesFree") == "inodes")
    }
}

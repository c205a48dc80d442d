import CRI
import KubeAPI
import KubeClient
import LinuxSystem
import Logging

/// The kubelet's eviction manager (upstream's `pkg/kubelet/eviction`) for the thresholds of `--eviction-hard` and
/// `--eviction-soft`. Every 10 s it observes the node's signals and holds the pressure conditions (kept for
/// `--eviction-pressure-transition-period`) that the node status reports and pod admission refuses pods by. While
/// a hard threshold is crossed, or a soft one has been for its grace period (``EvictionThresholdTracker``), it
/// evicts one pod per round: the pods are ranked for the starved resource (``EvictionRanking``) — for disk, after
/// the unused images are removed, and only if that did not suffice — critical pods are passed over, and the first
/// other one is killed (within 1 s for a hard threshold, the pod's own grace period up to
/// `--eviction-max-pod-grace-period` for a soft one) and left in the API as Failed with reason `Evicted`, a
/// DisruptionTarget condition and a Warning `Evicted` Event saying which resource ran low and which containers used
/// more than they requested.
actor EvictionManager {
    /// Upstream's eviction `Reason`, the pod status reason of an evicted or refused pod.
    static let reason = "Evicted"
    static let monitoringInterval: Duration = .seconds(10)
    /// Upstream's `immediateEvictionGracePeriodSeconds`: the grace a pod gets once a hard threshold is crossed.
    static let hardEvictionGracePeriod: Int64 = 1

    private let configuration: KubeletConfiguration
    /// The running containers and their CRI stats, as the stats endpoints read them.
    private let summary: StatsSummaryProvider
    private let memoryCapacity: Int64
    private let events: EventRecorder
    private let imageGC: ImageGCManager
    private let logger: Logger
    private var transitions: PressureTransitions
    private var tracker: EvictionThresholdTracker
    /// The pressure conditions held now, in the order the node reports them.
    private(set) var conditions: [String] = []

    init(configuration: KubeletConfiguration, summary: StatsSummaryProvider, memoryCapacity: Int64,
         events: EventRecorder, imageGC: ImageGCManager, logger: Logger) {
        self.summary = summary
        self.imageGC = imageGC
        self.configuration = configuration
        self.memoryCapacity = memoryCapacity
        self.events = events
        self.logger = logger
        transitions = PressureTransitions(period: configuration.evictionPressureTransitionPeriod)
        tracker = EvictionThresholdTracker(thresholds: configuration.resourcePolicy.thresholds)
    }

    func run(workers: PodWorkers) async {
        while !Task.isCancelled {
            await synchronize(workers: workers)
            try? await Task.sleep(for: Self.monitoringInterval)
        }
    }

    /// One round: observe, update the conditions (and admission's view of them), and evict one pod while a threshold
    /// is due.
    func synchronize(workers: PodWorkers) async {
        let round = tracker.observe(await observeSignals(), now: .now)
        let held = transitions.update(observed: NodeResourcePolicy.conditions(of: round.crossed), now: .now)
        conditions = ["MemoryPressure", "DiskPressure", "PIDPressure"].filter(held.contains)
        await workers.setPressureConditions(conditions)
        guard let starved = round.due.first, let resource = EvictionRanking.resource(of: starved.threshold.signal) else { return }
        events.record(Node.kubeletReference(configuration.nodeName), "Warning", reason: "EvictionThresholdMet", message: "Attempting to reclaim \(resource)")
        // Disk is reclaimed from unused images first (upstream's node-level reclaim); enough of it spares the pods.
        if resource == "ephemeral-storage" || resource == "inodes" {
            do {
                let freed = try await imageGC.deleteUnusedImages()
                if freed > 0, NodeResourcePolicy.crossed(round.due.map(\.threshold), in: await observeSignals()).isEmpty {
                    logger.notice("able to reduce resource pressure without evicting pods", metadata: ["resource": "\(resource)", "freed": "\(freed)"])
                    return
                }
            } catch {
                logger.warning("unused images could not all be removed", metadata: ["error": "\(error)"])
            }
        }
        let pods = await workers.evictionCandidates()
        guard !pods.isEmpty else {
            logger.warning("eviction threshold met, no pod to evict", metadata: ["resource": "\(resource)"])
            return
        }
        let usage = await usage(of: pods, volumes: workers.volumes)
        for pod in EvictionRanking(resource: resource, usage: usage).rank(pods) {
            guard !pod.isCritical else {
                logger.error("cannot evict a critical pod", metadata: ["pod": "\(PodWorkers.name(pod))"])
                continue
            }
            let notice = EvictionNotice(resource: resource, threshold: starved.threshold, observed: starved.observed, pod: pod,
                                        usage: usage[pod.metadata.uid ?? ""])
            let grace = starved.threshold.isHard ? Self.hardEvictionGracePeriod : softEvictionGracePeriod(pod)
            if await workers.evict(pod, message: notice.message, annotations: notice.annotations, grace: grace) {
                logger.notice("evicted pod", metadata: ["pod": "\(PodWorkers.name(pod))", "resource": "\(resource)", "grace": "\(grace)s"])
                return
            }
        }
    }

    /// The grace period a pod gets for a soft threshold: its own (30 s unless it sets one), at most
    /// `--eviction-max-pod-grace-period`; a negative maximum defers to the pod's.
    func softEvictionGracePeriod(_ pod: Pod) -> Int64 {
        let own = pod.spec?.terminationGracePeriodSeconds ?? 30
        return configuration.evictionMaxPodGracePeriod < 0 ? own : min(configuration.evictionMaxPodGracePeriod, own)
    }

    /// What each pod uses now, by UID: its running containers' working sets (CRI stats), their writable layers and
    /// logs, the pod's local volumes, and its cgroup's processes. A pod the runtime reports nothing for is missing.
    private func usage(of pods: [Pod], volumes: VolumeManager) async -> [String: PodUsage] {
        guard let (containers, stats, known) = try? await summary.runningContainers(pods: pods) else { return [:] }
        let logs = SandboxConfigBuilder(configuration: configuration)
        var result: [String: PodUsage] = [:]
        for container in containers {
            guard let uid = container.labels[PodLabels.podUID], let pod = known[uid], let stat = stats[container.id] else { continue }
            let name = container.metadata.name
            let logged = FileSystem.usage(below: logs.logDirectory(pod) + "/" + name)
            var entry = result[uid] ?? PodUsage()
            entry.memory[name] = Int64(clamping: stat.memory.workingSetBytes.value)
            entry.disk[name] = Int64(clamping: stat.writableLayer.usedBytes.value + logged.bytes)
            entry.inodes += Int64(clamping: stat.writableLayer.inodesUsed.value + logged.inodes)
            result[uid] = entry
        }
        for (uid, pod) in known {
            guard var entry = result[uid] else { continue }
            let local = FileSystem.usage(below: volumes.podDirectory(uid) + "/volumes")
            entry.volumeBytes = Int64(clamping: local.bytes)
            entry.inodes += Int64(clamping: local.inodes)
            let cgroup = QOSClass(pod).cgroupParent(podUID: uid, cgroupRoot: configuration.cgroupRoot)
            entry.processes = CgroupUsage(cgroupsPath: cgroup).processes.map { Int64(clamping: $0) }
            result[uid] = entry
        }
        return result
    }

    /// The node's signals now.
    private func observeSignals() async -> NodeSignals {
        NodeSignals.observe(memoryCapacity: memoryCapacity, nodeFSPath: configuration.rootDirectory,
                            imageFSPath: await imageGC.imageFilesystem())
    }
}

/// What one pod uses of what the eviction manager reclaims.
struct PodUsage: Sendable, Hashable {
    /// Working set bytes by container.
    var memory: [String: Int64] = [:]
    /// Writable layer and log bytes by container.
    var disk: [String: Int64] = [:]
    /// Bytes in the pod's volumes on the node (emptyDir, configMap, secret …).
    var volumeBytes: Int64 = 0
    /// Inodes of the writable layers, logs and volumes.
    var inodes: Int64 = 0
    var processes: Int64?

    var totalMemory: Int64 { memory.values.reduce(0, +) }
    var totalDisk: Int64 { disk.values.reduce(0, +) + volumeBytes }
}

/// Upstream's eviction order for a starved resource. Pods without usage figures go first; then, for memory, pods
/// using more than they request, lower priority, and the most usage above the request; for ephemeral storage and
/// inodes the same over the pod's disk usage (against its ephemeral-storage request, as upstream compares it for
/// both); for process IDs, lower priority and the most processes.
struct EvictionRanking {
    let resource: String
    let usage: [String: PodUsage]

    /// The resource a signal's pressure is reclaimed as (upstream's `signalToResource`).
    static func resource(of signal: String) -> String? {
        switch signal {
        case "memory.available": "memory"
        case "nodefs.available", "imagefs.available": "ephemeral-storage"
        case "nodefs.inodesFree", "imagefs.inodesFree": "inodes"
        case "pid.available": "pids"
        default: nil
        }
    }

    func rank(_ pods: [Pod]) -> [Pod] {
        pods.sorted { isBefore($0, $1) }
    }

    private func isBefore(_ first: Pod, _ second: Pod) -> Bool {
        let a = usage[first.metadata.uid ?? ""], b = usage[second.metadata.uid ?? ""]
        if (a == nil) != (b == nil) { return a == nil }
        guard let a, let b else { return false }
        func priority(_ pod: Pod) -> Int32 { pod.spec?.priority ?? 0 }
        if resource == "pids" {
            if priority(first) != priority(second) { return priority(first) < priority(second) }
            return (a.processes ?? 0) > (b.processes ?? 0)
        }
        let overFirst = used(a) - request(first), overSecond = used(b) - request(second)
        if (overFirst > 0) != (overSecond > 0) { return overFirst > 0 }
        if priority(first) != priority(second) { return priority(first) < priority(second) }
        return overFirst > overSecond
    }

    private func used(_ usage: PodUsage) -> Int64 {
        switch resource {
        case "memory": usage.totalMemory
        case "inodes": usage.inodes
        default: usage.totalDisk
        }
    }

    /// The pod's request the usage is compared with: memory for memory, ephemeral storage for both disk resources.
    private func request(_ pod: Pod) -> Int64 {
        QuotaUsage.podRequests(pod.spec)[resource == "memory" ? "memory" : "ephemeral-storage"]?.value ?? 0
    }
}

/// The message and Event annotations of an eviction (upstream's `evictionMessage`): which resource ran low, the
/// threshold and what was available, and each container that used more than it requested.
struct EvictionNotice {
    let message: String
    let annotations: [String: String]

    init(resource: String, threshold: NodeResourcePolicy.Threshold, observed: NodeSignals.Amount, pod: Pod, usage: PodUsage?) {
        var message = "The node was low on resource: \(resource). "
        let bytes = resource == "memory" || resource == "ephemeral-storage"
        let quantity = switch threshold.value {
        case .quantity(let quantity): quantity
        case .percentage: Quantity(threshold.amount(of: observed.capacity), format: bytes ? .binarySI : .decimalSI)
        }
        message += "Threshold quantity: \(quantity), available: \(Quantity(observed.available, format: bytes ? .binarySI : .decimalSI)). "
        guard let usage else {
            annotations = [:]
            self.message = message
            return
        }
        var offending: [(name: String, usage: String)] = []
        let byContainer = resource == "memory" ? usage.memory : resource == "ephemeral-storage" ? usage.disk : [:]
        let containers = (pod.spec?.initContainers ?? []) + (pod.spec?.containers ?? [])
        for container in containers {
            guard let used = byContainer[container.name] else { continue }
            let request = container.resources?.requests?[resource] ?? .zero
            let amount = Quantity(used, format: .binarySI)
            guard used > request.value else { continue }
            message += "Container \(container.name) was using \(amount), request is \(request), has larger consumption of \(resource). "
            offending.append((container.name, amount.description))
        }
        self.message = message
        annotations = ["offending_containers": offending.map(\.name).joined(separator: ","),
                       "offending_containers_usage": offending.map(\.usage).joined(separator: ","),
                       "starved_resource": resource]
    }
}

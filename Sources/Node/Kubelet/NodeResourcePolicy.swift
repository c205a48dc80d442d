#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KubeAPI
import LinuxSystem

/// What the kubelet holds back from pods and when it reports the node under pressure, from `--kube-reserved`,
/// `--system-reserved` and `--eviction-hard` read as upstream's kubelet reads them: a Node's allocatable is its
/// capacity less both reservations and the hard eviction thresholds of `memory.available` (from memory) and
/// `nodefs.available` (from ephemeral storage), never below zero; MemoryPressure, DiskPressure and PIDPressure are
/// True while an observed signal is below its threshold.
public struct NodeResourcePolicy: Sendable, Hashable {
    /// A flag value the kubelet refuses to start with.
    public typealias Invalid = KubeletFlagError

    /// A hard eviction threshold: `signal<value`, the value an amount or a share of the signal's capacity.
    public struct Threshold: Sendable, Hashable {
        public enum Value: Sendable, Hashable {
            case quantity(Quantity)
            /// A fraction of the capacity (0…1).
            case percentage(Double)
        }
        public var signal: String
        public var value: Value

        public init(signal: String, value: Value) {
            self.signal = signal
            self.value = value
        }

        /// The threshold as an amount of `capacity` (upstream's `GetThresholdQuantity`).
        public func amount(of capacity: Int64) -> Int64 {
            switch value {
            case .quantity(let quantity): return quantity.value
            case .percentage(let fraction): return Int64(Double(capacity) * fraction)
            }
        }
    }

    /// The signals upstream's eviction manager knows on Linux, and the node condition each one's pressure sets.
    static let signalConditions: [String: String] = [
        "memory.available": "MemoryPressure", "nodefs.available": "DiskPressure", "nodefs.inodesFree": "DiskPressure",
        "imagefs.available": "DiskPressure", "imagefs.inodesFree": "DiskPressure", "pid.available": "PIDPressure",
    ]
    /// The signals whose hard thresholds are held back from a resource's allocatable (upstream's
    /// `hardEvictionReservation`), and that resource.
    static let reservedResources = ["memory.available": "memory", "nodefs.available": "ephemeral-storage"]
    /// Upstream's Linux default `--eviction-hard`.
    public static let defaultEvictionHard = "imagefs.available<15%,imagefs.inodesFree<5%,memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%"

    public var kubeReserved: [String: Quantity] = [:]
    public var systemReserved: [String: Quantity] = [:]
    public var evictionHard: [Threshold]

    public init(kubeReserved: [String: Quantity] = [:], systemReserved: [String: Quantity] = [:], evictionHard: [Threshold]? = nil) {
        self.kubeReserved = kubeReserved
        self.systemReserved = systemReserved
        // The default parses: the force-unwrap documents that, not a runtime risk.
        self.evictionHard = evictionHard ?? (try! Self.evictionThresholds(Self.defaultEvictionHard))
    }

    /// `--eviction-hard signal<value,…` (upstream's LangleSeparatedMapStringString, then ParseThresholdConfig).
    public static func evictionThresholds(_ text: String) throws(Invalid) -> [Threshold] {
        var thresholds: [String: Threshold] = [:]
        for (signal, text) in try KubeletFlagSyntax.pairs(text, separator: "<") {
            guard signalConditions[signal] != nil else { throw Invalid(description: "unsupported eviction signal \(signal)") }
            if text.hasSuffix("%") {
                guard let percent = Double(text.dropLast()) else { throw Invalid(description: "invalid percentage: \(text)") }
                guard percent >= 0, percent <= 100 else {
                    throw Invalid(description: "eviction percentage threshold \(signal) must be >= 0% and <= 100%: \(text)")
                }
                thresholds[signal] = Threshold(signal: signal, value: .percentage(percent / 100))
            } else {
                let quantity = try KubeletFlagSyntax.quantity(text)
                guard quantity.sign >= 0 else { throw Invalid(description: "eviction threshold \(signal) must be positive: \(quantity)") }
                thresholds[signal] = Threshold(signal: signal, value: .quantity(quantity))
            }
        }
        return thresholds.keys.sorted().map { thresholds[$0]! }
    }

    /// `--kube-reserved` / `--system-reserved` `name=quantity,…`: cpu, memory, ephemeral-storage and pid only, none
    /// negative (upstream's `parseResourceList`).
    public static func reservation(_ text: String) throws(Invalid) -> [String: Quantity] {
        var reserved: [String: Quantity] = [:]
        for (name, text) in try KubeletFlagSyntax.pairs(text, separator: "=") {
            guard ["cpu", "memory", "ephemeral-storage", "pid"].contains(name) else { throw Invalid(description: "cannot reserve \"\(name)\" resource") }
            let quantity = try KubeletFlagSyntax.quantity(text)
            guard quantity.sign >= 0 else { throw Invalid(description: "resource quantity for \"\(name)\" cannot be negative: \(quantity)") }
            reserved[name] = quantity
        }
        return reserved
    }

    /// Upstream's NodeAllocatable setter: each capacity less what is reserved for it, zero at least.
    public func allocatable(capacity: [String: Quantity]) -> [String: Quantity] {
        var reserved: [String: Int128] = [:]
        for (name, quantity) in Array(kubeReserved) + Array(systemReserved) {
            reserved[name, default: 0] += quantity.nanoValue
        }
        for threshold in evictionHard {
            guard let resource = Self.reservedResources[threshold.signal], let total = capacity[resource] else { continue }
            reserved[resource, default: 0] += Int128(threshold.amount(of: total.value)) * 1_000_000_000
        }
        var allocatable = capacity
        for (name, quantity) in capacity {
            guard let amount = reserved[name] else { continue }
            allocatable[name] = Quantity(nanoValue: max(0, quantity.nanoValue - amount), format: quantity.format)
        }
        return allocatable
    }

    /// The thresholds crossed in what was observed, each with its signal's observation, memory first (upstream's
    /// `byEvictionPriority`), then the node file system's, the image file system's and process IDs.
    public func thresholdsMet(_ observed: NodeSignals) -> [(threshold: Threshold, observed: NodeSignals.Amount)] {
        evictionHard.compactMap { threshold in
            guard let amount = observed.value(of: threshold.signal), amount.available < threshold.amount(of: amount.capacity) else { return nil }
            return (threshold, amount)
        }.sorted { Self.evictionOrder.firstIndex(of: $0.threshold.signal) ?? 0 < Self.evictionOrder.firstIndex(of: $1.threshold.signal) ?? 0 }
    }

    /// The signals in the order the eviction manager reclaims them.
    static let evictionOrder = ["memory.available", "nodefs.available", "nodefs.inodesFree", "imagefs.available", "imagefs.inodesFree",
                                "pid.available"]

    /// The pressure conditions' states for what was observed: which of MemoryPressure, DiskPressure and PIDPressure
    /// hold (a signal of theirs below its threshold).
    public func pressures(_ observed: NodeSignals) -> Set<String> {
        Self.conditions(of: thresholdsMet(observed).map(\.threshold))
    }

    /// The pressure conditions the crossed `thresholds` set.
    static func conditions(of thresholds: [Threshold]) -> Set<String> {
        Set(thresholds.compactMap { signalConditions[$0.signal] })
    }
}

/// Upstream's `--eviction-pressure-transition-period`: a pressure condition, once observed, stays True until its
/// signals have been back above their thresholds for the whole period, so a node does not flap in and out of
/// pressure (and its taints) as usage hovers around a threshold.
public struct PressureTransitions: Sendable {
    public var period: Duration
    private var lastObserved: [String: ContinuousClock.Instant] = [:]

    public init(period: Duration = .seconds(300)) { self.period = period }

    /// The conditions to report given those observed `now`.
    public mutating func update(observed: Set<String>, now: ContinuousClock.Instant) -> Set<String> {
        for condition in observed { lastObserved[condition] = now }
        lastObserved = lastObserved.filter { now - $0.value < period }
        return Set(lastObserved.keys)
    }
}

/// The eviction signals of a node as the kubelet observes them: memory available (capacity less the root cgroup's
/// working set, as cAdvisor reports it), the node and image file systems' free bytes and inodes (statvfs), and
/// process IDs left (`pid_max` less the kernel's threads).
public struct NodeSignals: Sendable, Hashable {
    /// How much of something is left, of how much.
    public struct Amount: Sendable, Hashable {
        public var available: Int64, capacity: Int64
        public init(available: Int64, capacity: Int64) {
            self.available = available
            self.capacity = capacity
        }
    }
    /// A file system's free bytes and inodes.
    public struct Storage: Sendable, Hashable {
        public var bytes: Amount, inodes: Amount
        public init(bytes: Amount, inodes: Amount) {
            self.bytes = bytes
            self.inodes = inodes
        }
    }

    public var memory: Amount?
    public var nodeFS: Storage?
    public var imageFS: Storage?
    public var pids: Amount?

    public init(memory: Amount? = nil, nodeFS: Storage? = nil, imageFS: Storage? = nil, pids: Amount? = nil) {
        self.memory = memory
        self.nodeFS = nodeFS
        self.imageFS = imageFS
        self.pids = pids
    }

    /// A signal's value and the capacity its percentages are of; nil when it was not observed.
    func value(of signal: String) -> Amount? {
        switch signal {
        case "memory.available": return memory
        case "nodefs.available": return nodeFS?.bytes
        case "nodefs.inodesFree": return nodeFS?.inodes
        case "imagefs.available": return imageFS?.bytes
        case "imagefs.inodesFree": return imageFS?.inodes
        case "pid.available": return pids
        default: return nil
        }
    }

    /// Reads the signals now; `imageFSPath` is where the runtime keeps its images (its ImageFsInfo mountpoint).
    public static func observe(memoryCapacity: Int64, nodeFSPath: String, imageFSPath: String?) -> NodeSignals {
        func read(_ path: String) -> String? { (try? FileSystem.contents(of: path)).map { String(decoding: $0, as: UTF8.self) } }
        var signals = NodeSignals()
        // The root cgroup's working set, as cAdvisor defines it (``CgroupUsage``); where the root has no usage file
        // (cgroup v2), the kernel's own estimate of available memory.
        if let workingSet = CgroupUsage(cgroupsPath: "").memoryWorkingSet {
            signals.memory = Amount(available: memoryCapacity - Int64(clamping: workingSet), capacity: memoryCapacity)
        } else if let available = MachineInfo.meminfoKiB("MemAvailable") {
            signals.memory = Amount(available: available * 1024, capacity: memoryCapacity)
        }
        signals.nodeFS = storage(nodeFSPath)
        signals.imageFS = imageFSPath.flatMap(storage) ?? signals.nodeFS
        if let maxPID = read("/proc/sys/kernel/pid_max").flatMap({ Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }),
           let threads = read("/proc/loadavg")?.split(separator: " ").dropFirst(3).first?.split(separator: "/").last.flatMap({ Int64($0) }) {
            signals.pids = Amount(available: maxPID - threads, capacity: maxPID)
        }
        return signals
    }

    static func storage(_ path: String) -> Storage? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let block = Int64(info.f_frsize)
        return Storage(bytes: Amount(available: Int64(info.f_bavail) * block, capacity: Int64(info.f_blocks) * block),
                          inodes: Amount(available: Int64(info.f_favail), capacity: Int64(info.f_files)))
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KubeAPI
import LinuxSystem

/// What the kubelet holds back from pods and when it reports the node under pressure and evicts, from
/// `--kube-reserved`, `--system-reserved`, `--eviction-hard`, `--eviction-soft` (with `--eviction-soft-grace-period`)
/// and `--eviction-minimum-reclaim` read as upstream's kubelet reads them: a Node's allocatable is its capacity less
/// both reservations and the hard eviction thresholds of `memory.available` (from memory) and `nodefs.available`
/// (from ephemeral storage), never below zero; MemoryPressure, DiskPressure and PIDPressure are True while an
/// observed signal is below a threshold of theirs, hard or soft.
public struct NodeResourcePolicy: Sendable, Hashable {
    /// A flag value the kubelet refuses to start with.
    public typealias Invalid = KubeletFlagError

    /// An eviction threshold: `signal<value`, the value an amount or a share of the signal's capacity; hard (evicts at
    /// once) or soft (evicts once crossed for its grace period).
    public struct Threshold: Sendable, Hashable {
        public enum Value: Sendable, Hashable, CustomStringConvertible {
            case quantity(Quantity)
            /// A fraction of the capacity (0…1).
            case percentage(Double)

            /// The value as an amount of `capacity` (upstream's `GetThresholdQuantity`).
            public func amount(of capacity: Int64) -> Int64 {
                switch self {
                case .quantity(let quantity): quantity.value
                case .percentage(let fraction): Int64(Double(capacity) * fraction)
                }
            }

            /// As the flag writes it: `100Mi`, `10%`, `12.5%`.
            public var description: String {
                switch self {
                case .quantity(let quantity): return quantity.description
                case .percentage(let fraction):
                    let percent = (fraction * 100 * 1_000_000).rounded() / 1_000_000
                    return (percent == percent.rounded() ? String(Int64(percent)) : String(percent)) + "%"
                }
            }
        }
        public var signal: String
        public var value: Value
        /// How long the threshold must stay crossed before a pod is evicted for it: zero for a hard threshold, the
        /// soft one's `--eviction-soft-grace-period`.
        public var gracePeriod: Duration
        /// `--eviction-minimum-reclaim`: once the threshold evicted, it holds until this much more than its value is
        /// available again.
        public var minimumReclaim: Value?

        public init(signal: String, value: Value, gracePeriod: Duration = .zero, minimumReclaim: Value? = nil) {
            self.signal = signal
            self.value = value
            self.gracePeriod = gracePeriod
            self.minimumReclaim = minimumReclaim
        }

        /// Upstream's `isHardEvictionThreshold`: no grace period.
        public var isHard: Bool { gracePeriod == .zero }

        /// The threshold as an amount of `capacity`.
        public func amount(of capacity: Int64) -> Int64 { value.amount(of: capacity) }

        /// Whether `observed` is below the threshold — with `enforcingMinimumReclaim`, below the threshold plus its
        /// minimum reclaim (upstream's `thresholdsMet`).
        func isCrossed(by observed: NodeSignals.Amount, enforcingMinimumReclaim: Bool = false) -> Bool {
            var quantity = amount(of: observed.capacity)
            if enforcingMinimumReclaim, let minimumReclaim { quantity += minimumReclaim.amount(of: observed.capacity) }
            return observed.available < quantity
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
    public var evictionSoft: [Threshold]

    public init(kubeReserved: [String: Quantity] = [:], systemReserved: [String: Quantity] = [:], evictionHard: [Threshold]? = nil,
                evictionSoft: [Threshold] = []) {
        self.kubeReserved = kubeReserved
        self.systemReserved = systemReserved
        // The default parses: the force-unwrap documents that, not a runtime risk.
        self.evictionHard = evictionHard ?? (try! Self.evictionThresholds(Self.defaultEvictionHard))
        self.evictionSoft = evictionSoft
    }

    /// Every eviction threshold, hard then soft.
    public var thresholds: [Threshold] { evictionHard + evictionSoft }

    /// `--eviction-hard signal<value,…` (upstream's LangleSeparatedMapStringString, then ParseThresholdConfig).
    public static func evictionThresholds(_ text: String) throws(Invalid) -> [Threshold] {
        var thresholds: [String: Threshold] = [:]
        for (signal, text) in try KubeletFlagSyntax.pairs(text, separator: "<") {
            try requireSignal(signal)
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

    /// `--eviction-soft` with `--eviction-soft-grace-period signal=duration,…`: every soft threshold needs its grace
    /// period (upstream's ParseThresholdConfig and its messages).
    public static func softEvictionThresholds(_ text: String, gracePeriods: String) throws(Invalid) -> [Threshold] {
        var periods: [String: Duration] = [:]
        for (signal, text) in try KubeletFlagSyntax.pairs(gracePeriods, separator: "=") {
            try requireSignal(signal)
            let period: Duration
            do { period = try GoDuration.parse(text) } catch { throw Invalid(description: error.description) }
            guard period >= .zero else { throw Invalid(description: "invalid eviction grace period specified: \(text), must be a positive value") }
            periods[signal] = period
        }
        return try evictionThresholds(text).map { threshold throws(Invalid) in
            guard let period = periods[threshold.signal] else {
                throw Invalid(description: "grace period must be specified for the soft eviction threshold \(threshold.signal)")
            }
            var soft = threshold
            soft.gracePeriod = period
            return soft
        }
    }

    /// `--eviction-minimum-reclaim signal=value,…` applied to the hard and soft thresholds of each signal (upstream's
    /// parseMinimumReclaims and its messages).
    public mutating func setMinimumReclaims(_ text: String) throws(Invalid) {
        var reclaims: [String: Threshold.Value] = [:]
        for (signal, text) in try KubeletFlagSyntax.pairs(text, separator: "=") {
            try Self.requireSignal(signal)
            if text.hasSuffix("%") {
                guard let percent = Double(text.dropLast()) else { throw Invalid(description: "invalid percentage: \(text)") }
                guard percent > 0 else { throw Invalid(description: "eviction percentage minimum reclaim \(signal) must be positive: \(text)") }
                reclaims[signal] = .percentage(percent / 100)
            } else {
                let quantity = try KubeletFlagSyntax.quantity(text)
                guard quantity.sign >= 0 else { throw Invalid(description: "negative eviction minimum reclaim specified for \(signal)") }
                reclaims[signal] = .quantity(quantity)
            }
        }
        for index in evictionHard.indices { evictionHard[index].minimumReclaim = reclaims[evictionHard[index].signal] }
        for index in evictionSoft.indices { evictionSoft[index].minimumReclaim = reclaims[evictionSoft[index].signal] }
    }

    private static func requireSignal(_ signal: String) throws(Invalid) {
        guard signalConditions[signal] != nil else { throw Invalid(description: "unsupported eviction signal \(signal)") }
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

    /// The `thresholds` crossed in what was observed, each with its signal's observation, memory first (upstream's
    /// `byEvictionPriority`), then the node file system's, the image file system's and process IDs.
    static func crossed(_ thresholds: [Threshold], in observed: NodeSignals, enforcingMinimumReclaim: Bool = false)
        -> [(threshold: Threshold, observed: NodeSignals.Amount)] {
        thresholds.compactMap { threshold in
            guard let amount = observed.value(of: threshold.signal),
                  threshold.isCrossed(by: amount, enforcingMinimumReclaim: enforcingMinimumReclaim) else { return nil }
            return (threshold, amount)
        }.sorted { evictionOrder.firstIndex(of: $0.threshold.signal) ?? 0 < evictionOrder.firstIndex(of: $1.threshold.signal) ?? 0 }
    }

    /// The signals in the order the eviction manager reclaims them.
    static let evictionOrder = ["memory.available", "nodefs.available", "nodefs.inodesFree", "imagefs.available", "imagefs.inodesFree",
                                "pid.available"]

    /// The pressure conditions' states for what was observed: which of MemoryPressure, DiskPressure and PIDPressure
    /// hold (a signal of theirs below a hard or soft threshold).
    public func pressures(_ observed: NodeSignals) -> Set<String> {
        Self.conditions(of: Self.crossed(thresholds, in: observed).map(\.threshold))
    }

    /// The pressure conditions the crossed `thresholds` set.
    public static func conditions(of thresholds: [Threshold]) -> Set<String> {
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

/// The eviction manager's account of its thresholds from one round to the next (upstream's `synchronize` with
/// `thresholdsFirstObservedAt` and `thresholdsMetGracePeriod`): a threshold is crossed while its signal is below it,
/// and, once it evicted, until the signal is back above it by its minimum reclaim; a crossed threshold sets its
/// pressure condition at once, but pods are evicted for it only after it has been crossed for its grace period
/// (none for a hard one).
public struct EvictionThresholdTracker: Sendable {
    /// What one round observed.
    public struct Round: Sendable {
        /// The thresholds crossed now: the pressure conditions follow these.
        public var crossed: [NodeResourcePolicy.Threshold]
        /// Those crossed for their grace period, with their signal's observation, in eviction order: the first is
        /// the one to reclaim for.
        public var due: [(threshold: NodeResourcePolicy.Threshold, observed: NodeSignals.Amount)]
    }

    public let thresholds: [NodeResourcePolicy.Threshold]
    private var firstObserved: [NodeResourcePolicy.Threshold: ContinuousClock.Instant] = [:]
    /// Those due in the last round: they stay crossed until their minimum reclaim is available.
    private var lastDue: [NodeResourcePolicy.Threshold] = []

    public init(thresholds: [NodeResourcePolicy.Threshold]) { self.thresholds = thresholds }

    public mutating func observe(_ signals: NodeSignals, now: ContinuousClock.Instant) -> Round {
        var crossed = NodeResourcePolicy.crossed(thresholds, in: signals).map(\.threshold)
        for threshold in NodeResourcePolicy.crossed(lastDue, in: signals, enforcingMinimumReclaim: true).map(\.threshold)
        where !crossed.contains(threshold) {
            crossed.append(threshold)
        }
        firstObserved = Dictionary(uniqueKeysWithValues: crossed.map { ($0, firstObserved[$0] ?? now) })
        let due = crossed.filter { threshold in firstObserved[threshold].map { now - $0 >= threshold.gracePeriod } ?? false }
        lastDue = due
        // The signal observed for each, in eviction order; one below its threshold plus minimum reclaim only counts too.
        let observed = NodeResourcePolicy.crossed(due, in: signals, enforcingMinimumReclaim: true)
        return Round(crossed: crossed, due: observed)
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

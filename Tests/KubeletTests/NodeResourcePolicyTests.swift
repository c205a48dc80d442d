import KubeAPI
import Kubelet
import Testing

/// `--kube-reserved`, `--system-reserved`, `--eviction-hard`, `--eviction-soft` (with its grace periods) and
/// `--eviction-minimum-reclaim` read as upstream's kubelet reads them, with its messages, and the arithmetic of
/// allocatable, of the pressure conditions and of when a threshold evicts.
@Suite struct NodeResourcePolicyTests {
    @Test func flagsParseAndRefuseAsUpstream() throws {
        let thresholds = try NodeResourcePolicy.evictionThresholds("memory.available<1Gi, nodefs.available<12.5%")
        #expect(thresholds == [NodeResourcePolicy.Threshold(signal: "memory.available", value: .quantity("1Gi")),
                               NodeResourcePolicy.Threshold(signal: "nodefs.available", value: .percentage(0.125))])
        #expect(NodeResourcePolicy().evictionHard.map(\.signal) == ["imagefs.available", "imagefs.inodesFree", "memory.available", "nodefs.available", "nodefs.inodesFree"])
        func refusal(_ body: () throws -> Void) -> String {
            do { try body(); return "accepted" } catch { return String(describing: error) }
        }
        #expect(refusal { _ = try NodeResourcePolicy.evictionThresholds("swap.available<1Gi") } == "unsupported eviction signal swap.available")
        #expect(refusal { _ = try NodeResourcePolicy.evictionThresholds("memory.available>1Gi") } == "malformed pair, expect string<string")
        #expect(refusal { _ = try NodeResourcePolicy.evictionThresholds("nodefs.available<120%") }
                == "eviction percentage threshold nodefs.available must be >= 0% and <= 100%: 120%")
        #expect(refusal { _ = try NodeResourcePolicy.evictionThresholds("memory.available<-1Gi") } == "eviction threshold memory.available must be positive: -1Gi")
        #expect(try NodeResourcePolicy.reservation("cpu=250m,memory=1Gi,pid=100") == ["cpu": "250m", "memory": "1Gi", "pid": "100"])
        #expect(refusal { _ = try NodeResourcePolicy.reservation("gpu=1") } == #"cannot reserve "gpu" resource"#)
        #expect(refusal { _ = try NodeResourcePolicy.reservation("memory=-1Gi") } == #"resource quantity for "memory" cannot be negative: -1Gi"#)
    }

    @Test func allocatableAndPressureFollowTheThresholds() throws {
        let policy = NodeResourcePolicy(kubeReserved: ["cpu": "100m", "memory": "256Mi"], systemReserved: ["cpu": "900m", "memory": "256Mi"],
                                        evictionHard: try NodeResourcePolicy.evictionThresholds("memory.available<512Mi,nodefs.available<10%,pid.available<1000"))
        let allocatable = policy.allocatable(capacity: ["cpu": "2", "memory": "4Gi", "ephemeral-storage": "100Gi", "pods": "110"])
        #expect(allocatable == ["cpu": "1", "memory": "3Gi", "ephemeral-storage": "90Gi", "pods": "110"])
        #expect(policy.allocatable(capacity: ["memory": "512Mi"]) == ["memory": "0"])
        let calm = NodeSignals(memory: .init(available: 1 << 30, capacity: 4 << 30),
                               nodeFS: .init(bytes: .init(available: 50 << 30, capacity: 100 << 30), inodes: .init(available: 900, capacity: 1000)),
                               pids: .init(available: 30000, capacity: 32768))
        #expect(policy.pressures(calm).isEmpty)
        var pressed = calm
        pressed.memory?.available = 100 << 20
        pressed.nodeFS?.bytes.available = 5 << 30
        pressed.pids?.available = 10
        #expect(policy.pressures(pressed) == ["MemoryPressure", "DiskPressure", "PIDPressure"])
    }

    @Test func pressureHoldsForTheTransitionPeriod() {
        var transitions = PressureTransitions(period: .seconds(300))
        let start = ContinuousClock.now
        #expect(transitions.update(observed: ["MemoryPressure"], now: start) == ["MemoryPressure"])
        #expect(transitions.update(observed: [], now: start + .seconds(299)) == ["MemoryPressure"])
        #expect(transitions.update(observed: ["DiskPressure"], now: start + .seconds(300)) == ["DiskPressure"])
        #expect(transitions.update(observed: [], now: start + .seconds(601)).isEmpty)
    }

    @Test func softThresholdsNeedGracePeriodsAndMinimumReclaimsAreAmounts() throws {
        func refusal(_ body: () throws -> Void) -> String {
            do { try body(); return "accepted" } catch { return String(describing: error) }
        }
        let soft = try NodeResourcePolicy.softEvictionThresholds("memory.available<2Gi,nodefs.available<20%",
                                                                 gracePeriods: "memory.available=1m30s,nodefs.available=0s,pid.available=1s")
        #expect(soft.map(\.signal) == ["memory.available", "nodefs.available"])
        #expect(soft.map(\.gracePeriod) == [.seconds(90), .zero])
        #expect(soft.first?.isHard == false)
        #expect(refusal { _ = try NodeResourcePolicy.softEvictionThresholds("memory.available<2Gi", gracePeriods: "") }
                == "grace period must be specified for the soft eviction threshold memory.available")
        #expect(refusal { _ = try NodeResourcePolicy.softEvictionThresholds("", gracePeriods: "memory.available=90") }
                == #"time: missing unit in duration "90""#)
        #expect(refusal { _ = try NodeResourcePolicy.softEvictionThresholds("", gracePeriods: "memory.available=-1s") }
                == "invalid eviction grace period specified: -1s, must be a positive value")
        #expect(refusal { _ = try NodeResourcePolicy.softEvictionThresholds("", gracePeriods: "swap.available=1s") } == "unsupported eviction signal swap.available")

        var policy = NodeResourcePolicy(evictionHard: try NodeResourcePolicy.evictionThresholds("memory.available<100Mi,nodefs.available<10%"), evictionSoft: soft)
        try policy.setMinimumReclaims("memory.available=500Mi,nodefs.available=2.5%")
        #expect(policy.thresholds.map { $0.minimumReclaim?.description } == ["500Mi", "2.5%", "500Mi", "2.5%"])
        #expect(refusal { try policy.setMinimumReclaims("memory.available=-1Mi") } == "negative eviction minimum reclaim specified for memory.available")
        #expect(refusal { try policy.setMinimumReclaims("nodefs.available=0%") } == "eviction percentage minimum reclaim nodefs.available must be positive: 0%")
        // Soft thresholds are not held back from allocatable; they do set the pressure conditions.
        #expect(policy.allocatable(capacity: ["memory": "4Gi"]) == ["memory": "3996Mi"])
        #expect(policy.pressures(NodeSignals(memory: .init(available: 1 << 30, capacity: 4 << 30))) == ["MemoryPressure"])
    }

    @Test func aSoftThresholdEvictsAfterItsGracePeriodAndAnyHoldsUntilItsMinimumReclaim() throws {
        var policy = NodeResourcePolicy(evictionHard: try NodeResourcePolicy.evictionThresholds("memory.available<1Gi"),
                                        evictionSoft: try NodeResourcePolicy.softEvictionThresholds("nodefs.available<10Gi", gracePeriods: "nodefs.available=30s"))
        try policy.setMinimumReclaims("memory.available=1Gi")
        var tracker = EvictionThresholdTracker(thresholds: policy.thresholds)
        func signals(memoryGi: Int64, diskGi: Int64) -> NodeSignals {
            NodeSignals(memory: .init(available: memoryGi << 30, capacity: 8 << 30),
                        nodeFS: .init(bytes: .init(available: diskGi << 30, capacity: 100 << 30), inodes: .init(available: 100, capacity: 100)))
        }
        let start = ContinuousClock.now
        // The soft threshold: the pressure at once, the eviction after 30 s crossed, and not if it recovers meanwhile.
        var round = tracker.observe(signals(memoryGi: 4, diskGi: 5), now: start)
        #expect(NodeResourcePolicy.conditions(of: round.crossed) == ["DiskPressure"] && round.due.isEmpty)
        round = tracker.observe(signals(memoryGi: 4, diskGi: 5), now: start + .seconds(20))
        #expect(round.due.isEmpty)
        round = tracker.observe(signals(memoryGi: 4, diskGi: 5), now: start + .seconds(30))
        #expect(round.due.map(\.threshold.signal) == ["nodefs.available"] && round.due.first?.observed.available == 5 << 30)
        round = tracker.observe(signals(memoryGi: 4, diskGi: 20), now: start + .seconds(40))
        #expect(round.crossed.isEmpty && round.due.isEmpty)
        round = tracker.observe(signals(memoryGi: 4, diskGi: 5), now: start + .seconds(50))
        #expect(round.due.isEmpty, "crossed anew: the grace period starts again")
        // The hard threshold evicts at once, memory first, and holds until 1Gi more than the threshold is available.
        round = tracker.observe(signals(memoryGi: 0, diskGi: 5), now: start + .seconds(60))
        #expect(round.due.map(\.threshold.signal) == ["memory.available"])
        round = tracker.observe(signals(memoryGi: 1, diskGi: 5), now: start + .seconds(70))
        #expect(round.due.map(\.threshold.signal) == ["memory.available"], "1Gi available is not the threshold plus its minimum reclaim")
        #expect(NodeResourcePolicy.conditions(of: round.crossed) == ["MemoryPressure", "DiskPressure"])
        round = tracker.observe(signals(memoryGi: 2, diskGi: 5), now: start + .seconds(80))
        #expect(round.due.map(\.threshold.signal) == ["nodefs.available"])
    }
}

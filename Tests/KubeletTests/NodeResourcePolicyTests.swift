import KubeAPI
import Kubelet
import Testing

/// `--kube-reserved`, `--system-reserved` and `--eviction-hard` read as upstream's kubelet reads them, with its
/// messages, and the arithmetic of allocatable and of the pressure conditions.
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
}

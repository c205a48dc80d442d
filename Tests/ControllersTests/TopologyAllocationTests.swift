@testable import Controllers
import Testing

/// Topology Aware Routing's arithmetic (upstream's `getAllocations` and `getGivingAndReceivingZones`), worked by hand.
struct TopologyAllocationTests {
    @Test func allocationsKeepEachZoneUnderTheOverloadThreshold() throws {
        // 6 endpoints, zone-a 2/3 of the CPU: desired 4 and 2; minimums ⌈4/1.2⌉ = 4 and ⌈2/1.2⌉ = 2; no slack.
        let allocations = try TopologyCache.allocate(endpoints: 6, ratios: ["zone-a": 2.0 / 3, "zone-b": 1.0 / 3]).get()
        #expect(allocations["zone-a"] == TopologyCache.Allocation(minimum: 4, maximum: 4, desired: 4))
        #expect(allocations["zone-b"]?.minimum == 2 && allocations["zone-b"]?.maximum == 2)
        // 10 endpoints, equal zones: desired 5, minimum ⌈4.17⌉ = 5 each.
        let even = try TopologyCache.allocate(endpoints: 10, ratios: ["zone-a": 0.5, "zone-b": 0.5]).get()
        #expect(even["zone-a"] == TopologyCache.Allocation(minimum: 5, maximum: 5, desired: 5))
        // 3 endpoints over 2 equal zones: minimums 2 + 2 > 3.
        #expect(TopologyCache.allocate(endpoints: 3, ratios: ["zone-a": 0.5, "zone-b": 0.5])
                == .failure(.minimumExceedsOverloadThreshold(endpoints: 3, zones: 2)))
        #expect(TopologyCache.allocate(endpoints: 2, ratios: ["a": 0.4, "b": 0.3, "c": 0.3]) == .failure(.insufficientEndpoints(endpoints: 2, zones: 3)))
        #expect(TopologyCache.AllocationFailure.minimumExceedsOverloadThreshold(endpoints: 3, zones: 2).message
                == "Unable to allocate minimum required endpoints to each zone without exceeding overload threshold (3 endpoints, 2 zones)")
    }

    @Test func zonesOverTheirShareGiveWholeEndpoints() throws {
        // 10 endpoints, zone-a 55 % of the CPU: desired 5.5 and 4.5 (minimums 5 and 4). Hinted 7/3: a is 1.5 over,
        // b 1.5 under → one endpoint moves, then 0.5 against 0.5 (both under 1) stops.
        let allocations = try TopologyCache.allocate(endpoints: 10, ratios: ["zone-a": 0.55, "zone-b": 0.45]).get()
        #expect(allocations["zone-a"]?.minimum == 5 && allocations["zone-b"]?.minimum == 4 && allocations["zone-a"]?.maximum == 6)
        let (giving, receiving) = TopologyCache.givingAndReceivingZones(allocations: allocations, allocated: ["zone-a": 7, "zone-b": 3])
        #expect(giving == ["zone-a": 1] && receiving == ["zone-b": 1])
        // Hinted 6/4: half an endpoint each way moves nothing.
        let close = TopologyCache.givingAndReceivingZones(allocations: allocations, allocated: ["zone-a": 6, "zone-b": 4])
        #expect(close.giving.isEmpty && close.receiving.isEmpty)
        // Hinted 9/1: 3.5 over and under → three endpoints move.
        let far = TopologyCache.givingAndReceivingZones(allocations: allocations, allocated: ["zone-a": 9, "zone-b": 1])
        #expect(far.giving == ["zone-a": 3] && far.receiving == ["zone-b": 3])
    }
}

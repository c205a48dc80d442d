import Testing
import TestSupport

/// `spec.trafficDistribution` (topology-aware routing): `PreferClose` is stored and returned, any other value is
/// refused in upstream's words, and removing it is an ordinary update.
@Suite("Service trafficDistribution", .timeLimit(.minutes(2)))
struct ServiceTrafficDistributionTests {
    @Test func preferCloseIsTheOneSupportedValue() async throws {
        let k = try await KubectlHarness(controllers: false)
        #expect(try await k.applyService("close", type: "ClusterIP", spec: ["trafficDistribution: PreferClose"]).status == 0)
        #expect(try await k.serviceField("close", ".spec.trafficDistribution") == "PreferClose")

        let refused = try await k.applyService("far", type: "ClusterIP", spec: ["trafficDistribution: PreferFar"])
        #expect(refused.status != 0 && refused.stderr.contains(#"The Service "far" is invalid: spec.trafficDistribution: Unsupported value: "PreferFar": supported values: "PreferClose""#),
                "\(refused)")
        let patched = try await k.refused(["patch", "service", "close", "-p", #"{"spec":{"trafficDistribution":"Nearby"}}"#])
        #expect(patched.contains(#"spec.trafficDistribution: Unsupported value: "Nearby": supported values: "PreferClose""#), "\(patched)")
        #expect(try await k.serviceField("close", ".spec.trafficDistribution") == "PreferClose")

        try await k.ok("patch", "service", "close", "-p", #"{"spec":{"trafficDistribution":null}}"#)
        #expect(try await k.serviceField("close", ".spec.trafficDistribution").isEmpty)
    }
}

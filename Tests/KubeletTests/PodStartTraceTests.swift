@testable import Kubelet
import Logging
import Testing

@Suite("pod start-up trace")
struct PodStartTraceTests {
    @Test("milestones are milliseconds since the pod was seen, each kept from its first mark; unreached ones are left out")
    func milestones() {
        let seen = ContinuousClock.now
        var trace = PodStartTrace(seen: seen)
        trace.mark(.sandbox, at: seen + .milliseconds(40))
        trace.mark(.created, at: seen + .milliseconds(125))
        trace.mark(.created, at: seen + .milliseconds(900))
        #expect(trace.metadata == ["sandboxMs": "40.0", "createdMs": "125.0"])
        trace.mark(.started, at: seen + .microseconds(150_300))
        trace.mark(.running, at: seen + .seconds(1))
        #expect(trace.metadata == ["sandboxMs": "40.0", "createdMs": "125.0", "startedMs": "150.3", "runningMs": "1000.0"])
    }
}

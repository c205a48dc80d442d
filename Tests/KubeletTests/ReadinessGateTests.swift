import Foundation
import KubeAPI
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("readiness gates: a pod whose containers are ready is Ready only once every gate's condition is True, with upstream's reason and messages until then; conditions others write survive the kubelet's status writes",
          .timeLimit(.minutes(2)))
    func readinessGates() async throws {
        try await Cluster.with { cluster in
            _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
                apiVersion: v1
                kind: Pod
                metadata: {name: gated}
                spec:
                  nodeName: \(cluster.nodeName)
                  terminationGracePeriodSeconds: 1
                  readinessGates: [{conditionType: example.com/lb-ready}]
                  containers:
                  - name: app
                    image: \(cluster.runtime.registry)/swiftlet-test/shell:v1
                    command: [sh, -c, "touch /tmp/ready; trap 'exit 0' TERM; while true; do sleep 1; done"]
                    readinessProbe: {exec: {command: [test, -f, /tmp/ready]}, periodSeconds: 1, failureThreshold: 1}
                """)
            func condition(_ pod: Pod, _ type: String) -> PodCondition? { pod.status?.conditions?.first { $0.type == type } }
            let missing = try await cluster.waitForPod("gated") { condition($0, "ContainersReady")?.status == "True" }
            #expect(condition(missing, "Ready")?.status == "False" && condition(missing, "Ready")?.reason == "ReadinessGatesNotReady")
            #expect(condition(missing, "Ready")?.message == #"corresponding condition of pod readiness gate "example.com/lb-ready" does not exist."#)

            // Whoever owns the gate (a load balancer controller) reports through the status subresource.
            func report(_ type: String, _ status: String) async throws {
                _ = try await cluster.kubectl(["patch", "pod", "gated", "--subresource=status", "-p",
                                               #"{"status":{"conditions":[{"type":"\#(type)","status":"\#(status)"}]}}"#])
            }
            try await report("example.com/lb-ready", "False")
            try await cluster.waitForPod("gated") {
                condition($0, "Ready")?.message == #"the status of pod readiness gate "example.com/lb-ready" is not "True", but False"#
            }
            try await report("example.com/lb-ready", "True")
            try await report("example.com/unrelated", "True")
            try await cluster.waitForPod("gated") { condition($0, "Ready")?.status == "True" }
            let wide = try await cluster.kubectl(["get", "pod", "gated", "-o", "wide", "--no-headers"])
            #expect(wide.split(whereSeparator: \.isWhitespace).last == "1/1", "\(wide)")

            // The container turns unready: the kubelet's write keeps the conditions it does not own.
            _ = try await cluster.kubectl(["exec", "gated", "--", "rm", "/tmp/ready"])
            let unready = try await cluster.waitForPod("gated") { condition($0, "ContainersReady")?.status == "False" }
            #expect(condition(unready, "Ready")?.reason == "ContainersNotReady")
            #expect(condition(unready, "Ready")?.message == "containers with unready status: [app]"
                    && condition(unready, "ContainersReady")?.message == "containers with unready status: [app]")
            #expect(condition(unready, "example.com/lb-ready")?.status == "True" && condition(unready, "example.com/unrelated")?.status == "True",
                    "\(String(describing: unready.status?.conditions))")
        }
    }
}

import Foundation
import KubeAPI
import KubeClient
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("kubectl autoscale: the horizontal pod autoscaler scales a Deployment of real CPU-burning pods up on the built-in metrics server's readings and down again, with upstream's status, conditions and events",
          .timeLimit(.minutes(4)))
    func horizontalPodAutoscaler() async throws {
        let cluster = try await Cluster(controllers: "deployment,replicaset,horizontalpodautoscaling", serverArguments: [
            "--metric-resolution", "10s", "--horizontal-pod-autoscaler-sync-period", "2s",
        ])
        do {
            try await horizontalPodAutoscaler(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)\nserver log:\n\(cluster.server.log.suffix(6000))")
            await cluster.stop()
            throw error
        }
        _ = try? await cluster.kubectl(["delete", "deployment", "burn", "--wait=false"])
        await cluster.stop()
    }

    private func horizontalPodAutoscaler(_ cluster: Cluster) async throws {
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        // Each pod burns far more than its 10m request.
        _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: burn}
            spec:
              replicas: 1
              selector: {matchLabels: {app: burn}}
              template:
                metadata: {labels: {app: burn}}
                spec:
                  nodeName: \(cluster.nodeName)
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: burn
                    image: \(shell)
                    command: [sh, -c, 'while true; do i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; sleep 0.2; done']
                    resources: {requests: {cpu: 10m}}
            """)
        _ = try await cluster.kubectl(["autoscale", "deployment", "burn", "--min=1", "--max=3", "--cpu-percent=50"])
        // A target that does not exist: AbleToScale False with the API's NotFound.
        _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: orphan}
            spec:
              scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: nope}
              minReplicas: 1
              maxReplicas: 2
            """)

        func hpa(_ name: String) async throws -> HorizontalPodAutoscaler {
            try await cluster.client.get(HorizontalPodAutoscaler.self, name: name, namespace: "default")
        }
        func condition(_ hpa: HorizontalPodAutoscaler, _ type: String) -> HorizontalPodAutoscalerCondition? {
            hpa.status?.conditions?.first { $0.type == type }
        }
        func eventually<T>(_ what: String, timeout: Duration = .seconds(90), _ probe: () async throws -> T?) async throws -> T {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if let value = try? await probe() { return value }
                try await Task.sleep(for: .milliseconds(500))
            }
            throw TestSupportError("\(what) did not happen; hpa: \(try await cluster.kubectl(["get", "hpa", "-o", "yaml"]))")
        }

        let orphan = try await eventually("the orphan's FailedGetScale") { () async throws -> HorizontalPodAutoscaler? in
            let h = try await hpa("orphan")
            return condition(h, "AbleToScale")?.reason == "FailedGetScale" ? h : nil
        }
        #expect(condition(orphan, "AbleToScale")?.status == "False")
        #expect(condition(orphan, "AbleToScale")?.message == "the HPA controller was unable to get the target's current scale: deployments.apps \"nope\" not found")

        // Up: once the pod has readings (two scrapes) its utilization is far above 50 %, and 1 → 3 is within the
        // scale-up limit (double, at least 4).
        let scaledUp = try await eventually("the scale-up") { () async throws -> HorizontalPodAutoscaler? in
            let h = try await hpa("burn")
            return h.status?.desiredReplicas == 3 ? h : nil
        }
        let deployment = try await cluster.client.get(Deployment.self, name: "burn", namespace: "default")
        #expect(deployment.spec?.replicas == 3)
        #expect(scaledUp.status?.lastScaleTime != nil)
        let cpu = try #require(scaledUp.status?.currentMetrics?.first?.resource, "\(String(describing: scaledUp.status))")
        #expect(cpu.name == "cpu" && (cpu.current.averageUtilization ?? 0) > 50, "\(cpu)")
        #expect((cpu.current.averageValue?.milliValue ?? 0) > 5, "\(cpu)")
        #expect(condition(scaledUp, "ScalingActive")?.status == "True")
        #expect(condition(scaledUp, "ScalingActive")?.reason == "ValidMetricFound")
        #expect(condition(scaledUp, "ScalingActive")?.message == "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)")
        let events = try await cluster.kubectl(["get", "events", "--field-selector", "involvedObject.name=burn,involvedObject.kind=HorizontalPodAutoscaler",
                                                "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}"])
        #expect(events.contains("SuccessfulRescale: New size: 3; reason: cpu resource utilization (percentage of request) above target"), "\(events)")
        // The autoscaling/v1 view of the same object carries the CPU figure in its own fields.
        let v1 = try JSONValue(parsing: Data(try await cluster.kubectl(["get", "--raw", "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/burn"]).utf8))
        #expect(v1[path: ["spec", "targetCPUUtilizationPercentage"]]?.intValue == 50)
        #expect((v1[path: ["status", "currentCPUUtilizationPercentage"]]?.intValue ?? 0) > 50, "\(v1)")

        // Down: a target far above any use and no stabilization window bring it to the minimum at once.
        _ = try await cluster.kubectl(["patch", "hpa", "burn", "--type=merge", "-p", """
            {"spec":{"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":1000000}}}],
             "behavior":{"scaleDown":{"stabilizationWindowSeconds":0}}}}
            """])
        let scaledDown = try await eventually("the scale-down") { () async throws -> HorizontalPodAutoscaler? in
            let h = try await hpa("burn")
            return h.status?.desiredReplicas == 1 ? h : nil
        }
        #expect(condition(scaledDown, "ScalingLimited")?.reason == "TooFewReplicas" || condition(scaledDown, "ScalingLimited")?.reason == "DesiredWithinRange",
                "\(String(describing: scaledDown.status?.conditions))")
        #expect(try await cluster.client.get(Deployment.self, name: "burn", namespace: "default").spec?.replicas == 1)
        let later = try await cluster.kubectl(["get", "events", "--field-selector", "involvedObject.name=burn,involvedObject.kind=HorizontalPodAutoscaler",
                                               "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}"])
        #expect(later.contains("SuccessfulRescale: New size: 1; reason: All metrics below target"), "\(later)")
    }
}

@testable import Controllers
import Foundation
import KubeAPI
import Testing

/// The horizontal pod autoscaler's arithmetic without a server: the replica calculator's grouping and ratios, and
/// the normalization (stabilization windows, the scale-up limit, behavior policies). Expected counts are worked
/// out by hand from upstream's rules in each test's comment.
struct HPAArithmeticTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// A Running pod requesting `request` millicores per container, Ready since `readySince` seconds before now,
    /// started 10 minutes ago (past the CPU initialization period) unless `started` says otherwise.
    func pod(_ name: String, request: Int64? = 1000, containers: Int = 1, phase: String = "Running", ready: Bool = true,
             started: TimeInterval = 600, readySince: TimeInterval = 500) -> Pod {
        let resources = request.map { ResourceRequirements(requests: ["cpu": Quantity(milliValue: $0)]) } ?? ResourceRequirements()
        let spec = PodSpec(containers: (0..<containers).map { Container(name: "c\($0)", image: "x", resources: resources) })
        var status = PodStatus(phase: phase)
        status.startTime = Time(now.addingTimeInterval(-started))
        status.conditions = [PodCondition(type: "Ready", status: ready ? "True" : "False",
                                          lastTransitionTime: Time(now.addingTimeInterval(-readySince)))]
        return Pod(metadata: ObjectMeta(name: name, namespace: "default"), spec: spec, status: status)
    }

    func readings(_ values: [String: Int64], age: TimeInterval = 10) -> [String: PodMetric] {
        values.mapValues { PodMetric(timestamp: now.addingTimeInterval(-age), window: 15, value: $0) }
    }

    @Test func utilizationAboveTargetScalesUpByTheRatio() throws {
        // 1,500m of 3,000m requested is 50 %; 50/30 × 3 pods = 5.
        let pods = ["a", "b", "c"].map { pod($0) }
        let proposal = try HPAReplicaCalculator().resourceReplicas(
            currentReplicas: 3, targetUtilization: 30, resource: "cpu", container: nil, pods: pods,
            metrics: readings(["a": 300, "b": 500, "c": 700]), now: now)
        #expect(proposal == .init(replicas: 5, utilization: 50, rawAverage: 500))
    }

    @Test func utilizationBelowTargetScalesDownAndWithinToleranceKeepsTheCount() throws {
        // 1,400m of 5,000m is 28 %; 28/50 × 5 = 2.8 → 3.
        let pods = ["a", "b", "c", "d", "e"].map { pod($0) }
        let down = try HPAReplicaCalculator().resourceReplicas(
            currentReplicas: 5, targetUtilization: 50, resource: "cpu", container: nil, pods: pods,
            metrics: readings(["a": 100, "b": 300, "c": 500, "d": 250, "e": 250]), now: now)
        #expect(down == .init(replicas: 3, utilization: 28, rawAverage: 280))
        // 104 % against 100 %: within the 10 % tolerance.
        let steady = try HPAReplicaCalculator().resourceReplicas(
            currentReplicas: 5, targetUtilization: 100, resource: "cpu", container: nil, pods: pods,
            metrics: readings(["a": 1000, "b": 1100, "c": 1050, "d": 1000, "e": 1050]), now: now)
        #expect(steady.replicas == 5)
        #expect(steady.utilization == 104)
    }

    @Test func unreadyPodsCountAsIdleWhenScalingUp() throws {
        // Ready pods: 1,200m of 2,000m = 60 %, ratio 2. The unready pod (Ready False within the initialization
        // period) counts as 0: 1,200 of 3,000 = 40 %, ratio 1.33 × 3 = 4. The status reports the ready pods' 60 %.
        let pods = [pod("a", ready: false, started: 60, readySince: 60), pod("b"), pod("c")]
        let proposal = try HPAReplicaCalculator().resourceReplicas(
            currentReplicas: 3, targetUtilization: 30, resource: "cpu", container: nil, pods: pods,
            metrics: readings(["a": 300, "b": 500, "c": 700]), now: now)
        #expect(proposal == .init(replicas: 4, utilization: 60, rawAverage: 600))
    }

    @Test func podsWithoutMetricsCountAtTheirRequestWhenScalingDown() throws {
        // Measured: 400 + 95 of 2,000 = 24 %, ratio 0.48. The two pods without metrics count as 100 % of their
        // requests: 2,495 of 4,000 = 62 %, ratio 1.24 — the other direction, so the count stays at 4.
        let pods = ["a", "b", "c", "d"].map { pod($0) }
        let kept = try HPAReplicaCalculator().resourceReplicas(
            currentReplicas: 4, targetUtilization: 50, resource: "cpu", container: nil, pods: pods,
            metrics: readings(["a": 400, "b": 95]), now: now)
        #expect(kept.replicas == 4)
        // With a 100 % target: 24 % → ratio 0.24, filled in 62 % → 0.62 × 4 = 2.48 → 3.
        let down = try HPAReplicaCalculator().resourceReplicas(
            currentReplicas: 4, targetUtilization: 100, resource: "cpu", container: nil, pods: pods,
            metrics: readings(["a": 400, "b": 95]), now: now)
        #expect(down.replicas == 3)
    }

    @Test func ignoredPendingAndFreshPodsAreLeftOut() throws {
        // Failed and deleted pods are ignored; a pending pod is unready; a pod started a minute ago whose reading
        // ends before a whole window after it turned ready is unready too. Only "ok" counts: 900/1,000 = 90 %.
        var deleted = pod("gone")
        deleted.metadata.deletionTimestamp = Time(now)
        let pods = [pod("ok"), pod("failed", phase: "Failed"), deleted, pod("pending", phase: "Pending"),
                    pod("fresh", started: 60, readySince: 20)]
        let calculator = HPAReplicaCalculator()
        let groups = calculator.group(pods, metrics: readings(["ok": 900, "failed": 900, "gone": 900, "fresh": 900]), resource: "cpu", now: now)
        #expect(groups.ready == 1)
        #expect(groups.ignored == ["failed", "gone"])
        #expect(groups.unready == ["pending", "fresh"])
        #expect(groups.missing.isEmpty)
        // Memory has no initialization period: the fresh pod counts.
        #expect(calculator.group(pods, metrics: readings(["ok": 1, "fresh": 1]), resource: "memory", now: now).ready == 2)
    }

    @Test func failuresAreWordedAsUpstreams() {
        let calculator = HPAReplicaCalculator()
        #expect(throws: HPAMetricError("missing request for cpu in container c0 of Pod a")) {
            try calculator.resourceReplicas(currentReplicas: 1, targetUtilization: 50, resource: "cpu", container: nil,
                                            pods: [pod("a", request: nil)], metrics: readings(["a": 5]), now: now)
        }
        #expect(throws: HPAMetricError("no pods returned by selector while calculating replica count")) {
            try calculator.resourceReplicas(currentReplicas: 1, targetUtilization: 50, resource: "cpu", container: nil,
                                            pods: [], metrics: [:], now: now)
        }
        #expect(throws: HPAMetricError("did not receive metrics for targeted pods (pods might be unready)")) {
            try calculator.resourceReplicas(currentReplicas: 1, targetUtilization: 50, resource: "cpu", container: nil,
                                            pods: [pod("a", phase: "Pending")], metrics: readings(["a": 5]), now: now)
        }
    }

    @Test func averageValueTargetsDivideThePodsAverage() throws {
        // Average 300m against 100m: ratio 3 × 2 pods = 6.
        let proposal = try HPAReplicaCalculator().rawResourceReplicas(
            currentReplicas: 2, targetAverage: 100, resource: "memory", pods: [pod("a"), pod("b")],
            metrics: readings(["a": 200, "b": 400]), now: now)
        #expect(proposal == .init(replicas: 6, average: 300))
    }

    @Test func podMetricsSumContainersAndSkipIncompletePods() {
        func usage(_ cpu: Quantity?) -> [String: Quantity] {
            var usage: [String: Quantity] = ["memory": "1Mi"]
            usage["cpu"] = cpu
            return usage
        }
        let items = [
            PodMetrics(metadata: ObjectMeta(name: "two"), timestamp: Time(now), window: "15.5s",
                       containers: [ContainerMetrics(name: "a", usage: usage("250m")), ContainerMetrics(name: "b", usage: usage("1500000n"))]),
            PodMetrics(metadata: ObjectMeta(name: "partial"), timestamp: Time(now), window: "15s",
                       containers: [ContainerMetrics(name: "a", usage: usage("1")), ContainerMetrics(name: "b", usage: usage(nil))]),
            PodMetrics(metadata: ObjectMeta(name: "empty"), timestamp: Time(now), window: "15s", containers: []),
        ]
        let all = HPAReplicaCalculator.podMetrics(items, resource: "cpu", container: nil)
        #expect(all == ["two": PodMetric(timestamp: Time(now).date, window: 15.5, value: 252)])
        let one = HPAReplicaCalculator.podMetrics(items, resource: "cpu", container: "a")
        #expect(one.mapValues { $0.value } == ["two": 250, "partial": 1000])
    }

    @Test func withoutBehaviorScaleDownWaitsForTheWindowAndScaleUpIsCapped() {
        var history = HPAScalingHistory(downscaleStabilizationWindow: 300)
        history.recordInitial("ns/h", currentReplicas: 5, now: now)
        // The initial 5 is within the window: the highest recent recommendation holds the count.
        let held = history.normalize("ns/h", current: 5, desired: 2, min: 1, max: 10, now: now.addingTimeInterval(10))
        #expect(held.replicas == 5)
        #expect(held.ableToScale.reason == "ScaleDownStabilized")
        #expect(held.limited.status == false)
        // Past the window only the 2s remain.
        let down = history.normalize("ns/h", current: 5, desired: 2, min: 1, max: 10, now: now.addingTimeInterval(305))
        #expect(down.replicas == 2)
        #expect(down.ableToScale.reason == "ReadyForNewScale")
        #expect(down.limited.reason == "DesiredWithinRange")
        // Up at most to double (at least 4), then max and min.
        var fresh = HPAScalingHistory()
        let capped = fresh.normalize("ns/u", current: 2, desired: 10, min: 1, max: 20, now: now)
        #expect(capped.replicas == 4)
        #expect(capped.limited.status && capped.limited.reason == "ScaleUpLimit")
        let maxed = fresh.normalize("ns/m", current: 8, desired: 30, min: 1, max: 10, now: now)
        #expect(maxed.replicas == 10)
        #expect(maxed.limited.reason == "TooManyReplicas")
        let floored = fresh.normalize("ns/f", current: 3, desired: 1, min: 2, max: 10, now: now)
        #expect(floored.replicas == 2)
        #expect(floored.limited.status && floored.limited.reason == "TooFewReplicas")
    }

    /// Upstream's default behavior for scaling up: no window, the larger of 4 pods and 100 % per 15 s.
    let defaultScaleUp = HPAScalingRules(stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [
        HPAScalingPolicy(type: "Pods", value: 4, periodSeconds: 15), HPAScalingPolicy(type: "Percent", value: 100, periodSeconds: 15),
    ])

    @Test func behaviorPoliciesLimitEachPeriod() {
        var history = HPAScalingHistory()
        let behavior = HorizontalPodAutoscalerBehavior(scaleUp: defaultScaleUp, scaleDown: HPAScalingRules(
            stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [HPAScalingPolicy(type: "Percent", value: 50, periodSeconds: 60)]))
        // 1 → 10: the larger policy allows 1 + 4 = 5 (100 % allows 2).
        let first = history.normalize("k", current: 1, desired: 10, min: 1, max: 20, behavior: behavior, now: now)
        #expect(first.replicas == 5)
        #expect(first.limited.reason == "ScaleUpLimit")
        history.recordScale("k", behavior: behavior, from: 1, to: 5, now: now)
        // Five seconds later the period still starts from 1: nothing more.
        #expect(history.normalize("k", current: 5, desired: 10, min: 1, max: 20, behavior: behavior, now: now.addingTimeInterval(5)).replicas == 5)
        // After the period: 5 + 4 = 9 or 5 × 2 = 10 → 10.
        let later = history.normalize("k", current: 5, desired: 10, min: 1, max: 20, behavior: behavior, now: now.addingTimeInterval(16))
        #expect(later.replicas == 10)
        #expect(later.limited.reason == "DesiredWithinRange")
        // Down by at most half per minute of the count at the period's start: another autoscaler at 10 → 5; this one,
        // having added 4 within the minute, started the period at 10 − 4 = 6 → 3.
        let down = history.normalize("other", current: 10, desired: 1, min: 1, max: 20, behavior: behavior, now: now.addingTimeInterval(20))
        #expect(down.replicas == 5)
        #expect(down.limited.status && down.limited.reason == "ScaleDownLimit")
        #expect(history.normalize("k", current: 10, desired: 1, min: 1, max: 20, behavior: behavior, now: now.addingTimeInterval(20)).replicas == 3)
    }

    @Test func behaviorWindowsAndDisabledPolicies() {
        var history = HPAScalingHistory(downscaleStabilizationWindow: 300)
        // A scale-down rule without a window takes the controller's 300 s: the earlier 8 holds.
        let behavior = HorizontalPodAutoscalerBehavior(scaleUp: defaultScaleUp, scaleDown: HPAScalingRules(
            selectPolicy: "Max", policies: [HPAScalingPolicy(type: "Percent", value: 100, periodSeconds: 15)]))
        history.recordInitial("k", currentReplicas: 8, now: now)
        let held = history.normalize("k", current: 8, desired: 3, min: 1, max: 10, behavior: behavior, now: now.addingTimeInterval(30))
        #expect(held.replicas == 8)
        #expect(held.ableToScale.reason == "ScaleDownStabilized")
        // Scaling up disabled: the count stays.
        var other = HPAScalingHistory()
        let disabled = HorizontalPodAutoscalerBehavior(scaleUp: HPAScalingRules(stabilizationWindowSeconds: 0, selectPolicy: "Disabled", policies: []))
        let stayed = other.normalize("d", current: 2, desired: 6, min: 1, max: 10, behavior: disabled, now: now)
        #expect(stayed.replicas == 2)
        #expect(stayed.limited.reason == "ScaleUpLimit")
    }
}

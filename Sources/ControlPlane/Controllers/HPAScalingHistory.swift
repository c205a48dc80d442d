import Foundation
import KubeAPI

/// What the horizontal pod autoscaler remembers per autoscaler between syncs, as upstream's controller keeps it in
/// memory: recent replica recommendations (for the stabilization windows) and recent scale changes (for the
/// behavior's rate policies); and the normalization that turns a metric's recommendation into the count to set.
struct HPAScalingHistory: Sendable {
    /// A recommendation and when it was made (upstream's `timestampedRecommendation`).
    struct Recommendation: Sendable, Equatable {
        var replicas: Int32
        var time: Date
    }

    /// A scale change and when it happened; outdated ones are reused (upstream's `timestampedScaleEvent`).
    struct ScaleEvent: Sendable, Equatable {
        var change: Int32
        var time: Date
        var outdated = false
    }

    /// A normalized count and the `ScalingLimited` and `AbleToScale` conditions that explain it.
    struct Outcome: Sendable, Equatable {
        var replicas: Int32
        var ableToScale: (reason: String, message: String)
        var limited: (status: Bool, reason: String, message: String)

        static func == (a: Outcome, b: Outcome) -> Bool {
            a.replicas == b.replicas && a.ableToScale == b.ableToScale && a.limited == b.limited
        }
    }

    /// `--horizontal-pod-autoscaler-downscale-stabilization`: without a behavior, and for a behavior's scale-down
    /// rules without a window, the highest recommendation of this long decides.
    var downscaleStabilizationWindow: TimeInterval = 300

    private(set) var recommendations: [String: [Recommendation]] = [:]
    private(set) var scaleUpEvents: [String: [ScaleEvent]] = [:]
    private(set) var scaleDownEvents: [String: [ScaleEvent]] = [:]

    init(downscaleStabilizationWindow: TimeInterval = 300) {
        self.downscaleStabilizationWindow = downscaleStabilizationWindow
    }

    /// Forgets a deleted autoscaler.
    mutating func forget(_ key: String) {
        recommendations[key] = nil
        scaleUpEvents[key] = nil
        scaleDownEvents[key] = nil
    }

    /// A first sync starts the history with the current count (upstream's `recordInitialRecommendation`).
    mutating func recordInitial(_ key: String, currentReplicas: Int32, now: Date) {
        if recommendations[key] == nil { recommendations[key] = [Recommendation(replicas: currentReplicas, time: now)] }
    }

    /// Upstream's `normalizeDesiredReplicas`, for an autoscaler without a behavior: the highest recommendation of the
    /// stabilization window, within min and max and at most double the current count (at least 4).
    mutating func normalize(_ key: String, current: Int32, desired: Int32, min minReplicas: Int32, max maxReplicas: Int32,
                            now: Date) -> Outcome {
        let stabilized = stabilize(key, desired: desired, now: now)
        let able = stabilized != desired
            ? ("ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation")
            : ("ReadyForNewScale", "recommended size matches current size")
        var limitReason = "TooManyReplicas", limitMessage = "the desired replica count is more than the maximum replica count"
        var maximum = maxReplicas
        let scaleUpLimit = Int32(Swift.max(2 * Double(current), 4))
        if maxReplicas > scaleUpLimit {
            maximum = scaleUpLimit
            limitReason = "ScaleUpLimit"
            limitMessage = "the desired replica count is increasing faster than the maximum scale rate"
        }
        let replicas: Int32
        if stabilized < minReplicas {
            (replicas, limitReason, limitMessage) = (minReplicas, "TooFewReplicas", "the desired replica count is less than the minimum replica count")
        } else if stabilized > maximum {
            replicas = maximum
        } else {
            (replicas, limitReason, limitMessage) = (stabilized, "DesiredWithinRange", "the desired count is within the acceptable range")
        }
        return Outcome(replicas: replicas, ableToScale: able, limited: (replicas != stabilized, limitReason, limitMessage))
    }

    /// Upstream's `normalizeDesiredReplicasWithBehaviors`: the recommendation kept between the lowest of the
    /// scale-up window and the highest of the scale-down window, then limited by the rate policies against the
    /// changes of their periods. `behavior` is the defaulted one (API defaulting fills it in); a scale-down rule
    /// without a window takes the controller's.
    mutating func normalize(_ key: String, current: Int32, desired: Int32, min minReplicas: Int32, max maxReplicas: Int32,
                            behavior: HorizontalPodAutoscalerBehavior, now: Date) -> Outcome {
        let scaleUp = behavior.scaleUp ?? HPAScalingRules()
        var scaleDown = behavior.scaleDown ?? HPAScalingRules()
        if scaleDown.stabilizationWindowSeconds == nil { scaleDown.stabilizationWindowSeconds = Int32(downscaleStabilizationWindow) }
        let (stabilized, reason, message) = stabilize(key, current: current, desired: desired,
                                                      upWindow: TimeInterval(scaleUp.stabilizationWindowSeconds ?? 0),
                                                      downWindow: TimeInterval(scaleDown.stabilizationWindowSeconds ?? 0), now: now)
        let able = stabilized != desired ? (reason, message) : ("ReadyForNewScale", "recommended size matches current size")
        var replicas = stabilized
        var limitReason = "DesiredWithinRange", limitMessage = "the desired count is within the acceptable range"
        if stabilized > current {
            let limit = Swift.max(current, scaleUpLimit(current: current, key: key, rules: scaleUp, now: now))
            var maximum = maxReplicas
            if maximum > limit {
                maximum = limit
                (limitReason, limitMessage) = ("ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
            } else {
                (limitReason, limitMessage) = ("TooManyReplicas", "the desired replica count is more than the maximum replica count")
            }
            if stabilized > maximum { replicas = maximum } else { (limitReason, limitMessage) = ("DesiredWithinRange", "the desired count is within the acceptable range") }
        } else if stabilized < current {
            let limit = Swift.min(current, scaleDownLimit(current: current, key: key, rules: scaleDown, now: now))
            var minimum = minReplicas
            if minimum < limit {
                minimum = limit
                (limitReason, limitMessage) = ("ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
            } else {
                (limitReason, limitMessage) = ("TooFewReplicas", "the desired replica count is less than the minimum replica count")
            }
            if stabilized < minimum { replicas = minimum } else { (limitReason, limitMessage) = ("DesiredWithinRange", "the desired count is within the acceptable range") }
        }
        return Outcome(replicas: replicas, ableToScale: able, limited: (replicas != stabilized, limitReason, limitMessage))
    }

    /// Records a scale change for the rate policies (upstream's `storeScaleEvent`; only autoscalers with a
    /// behavior use them): events older than the longest policy period are marked outdated and reused.
    mutating func recordScale(_ key: String, behavior: HorizontalPodAutoscalerBehavior?, from previous: Int32, to new: Int32, now: Date) {
        guard let behavior, new != previous else { return }
        let up = new > previous
        let rules = (up ? behavior.scaleUp : behavior.scaleDown) ?? HPAScalingRules()
        let longest = TimeInterval((rules.policies ?? []).map(\.periodSeconds).max() ?? 0)
        var events = (up ? scaleUpEvents[key] : scaleDownEvents[key]) ?? []
        for i in events.indices where events[i].time < now.addingTimeInterval(-longest) { events[i].outdated = true }
        let event = ScaleEvent(change: up ? new - previous : previous - new, time: now)
        if let slot = events.firstIndex(where: \.outdated) { events[slot] = event } else { events.append(event) }
        if up { scaleUpEvents[key] = events } else { scaleDownEvents[key] = events }
    }

    /// Upstream's `stabilizeRecommendation`: the highest recommendation within the downscale window, including
    /// this one, which replaces an expired entry or is appended.
    private mutating func stabilize(_ key: String, desired: Int32, now: Date) -> Int32 {
        let cutoff = now.addingTimeInterval(-downscaleStabilizationWindow)
        var highest = desired
        var expired: Int?
        var list = recommendations[key] ?? []
        for (i, recommendation) in list.enumerated() {
            if recommendation.time < cutoff { expired = i } else if recommendation.replicas > highest { highest = recommendation.replicas }
        }
        let entry = Recommendation(replicas: desired, time: now)
        if let expired { list[expired] = entry } else { list.append(entry) }
        recommendations[key] = list
        return highest
    }

    /// Upstream's `stabilizeRecommendationWithBehaviors`.
    private mutating func stabilize(_ key: String, current: Int32, desired: Int32, upWindow: TimeInterval, downWindow: TimeInterval,
                                    now: Date) -> (Int32, String, String) {
        let upCutoff = now.addingTimeInterval(-upWindow), downCutoff = now.addingTimeInterval(-downWindow)
        var up = desired, down = desired
        var expired: Int?
        var list = recommendations[key] ?? []
        for (i, recommendation) in list.enumerated() {
            if recommendation.time > upCutoff { up = Swift.min(recommendation.replicas, up) }
            if recommendation.time > downCutoff { down = Swift.max(recommendation.replicas, down) }
            if recommendation.time < upCutoff, recommendation.time < downCutoff { expired = i }
        }
        var recommendation = current
        if recommendation < up { recommendation = up }
        if recommendation > down { recommendation = down }
        let entry = Recommendation(replicas: desired, time: now)
        if let expired { list[expired] = entry } else { list.append(entry) }
        recommendations[key] = list
        if desired >= current {
            return (recommendation, "ScaleUpStabilized", "recent recommendations were lower than current one, applying the lowest recent recommendation")
        }
        return (recommendation, "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation")
    }

    /// The count at the start of a policy's `period` (seconds): the current one less the replicas added and plus
    /// those removed since.
    private func periodStart(_ key: String, current: Int32, period: Int32, now: Date) -> Int32 {
        let cutoff = now.addingTimeInterval(-TimeInterval(period))
        func change(_ events: [ScaleEvent]?) -> Int32 { (events ?? []).filter { $0.time > cutoff }.reduce(0) { $0 + $1.change } }
        return current - change(scaleUpEvents[key]) + change(scaleDownEvents[key])
    }

    /// Upstream's `calculateScaleUpLimitWithScalingRules`: each policy's allowance on the count at its period's
    /// start; `selectPolicy` picks the largest (Max), the smallest (Min) or none (Disabled).
    private func scaleUpLimit(current: Int32, key: String, rules: HPAScalingRules, now: Date) -> Int32 {
        if rules.selectPolicy == HPAScalingRules.disabledPolicySelect { return current }
        let minimum = rules.selectPolicy == HPAScalingRules.minPolicySelect
        var result = minimum ? Int32.max : Int32.min
        for policy in rules.policies ?? [] {
            let start = periodStart(key, current: current, period: policy.periodSeconds, now: now)
            let proposed = policy.type == HPAScalingPolicy.podsType
                ? start + policy.value
                : Int32((Double(start) * (1 + Double(policy.value) / 100)).rounded(.up))
            result = minimum ? Swift.min(result, proposed) : Swift.max(result, proposed)
        }
        return result
    }

    /// Upstream's `calculateScaleDownLimitWithBehaviors`: for scaling down the largest change (Max) is the lowest
    /// count.
    private func scaleDownLimit(current: Int32, key: String, rules: HPAScalingRules, now: Date) -> Int32 {
        if rules.selectPolicy == HPAScalingRules.disabledPolicySelect { return current }
        let minimumChange = rules.selectPolicy == HPAScalingRules.minPolicySelect
        var result = minimumChange ? Int32.min : Int32.max
        for policy in rules.policies ?? [] {
            let start = periodStart(key, current: current, period: policy.periodSeconds, now: now)
            let proposed = policy.type == HPAScalingPolicy.podsType
                ? start - policy.value
                : Int32(Double(start) * (1 - Double(policy.value) / 100))
            result = minimumChange ? Swift.max(result, proposed) : Swift.min(result, proposed)
        }
        return result
    }
}

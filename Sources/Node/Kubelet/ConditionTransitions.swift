import KubeAPI

/// A status condition whose `lastTransitionTime` must only move when its status changes (pod and node
/// conditions alike).
protocol TransitioningCondition {
    var type: String { get }
    var status: String { get }
    var lastTransitionTime: Time? { get set }
}

extension PodCondition: TransitioningCondition {}
extension NodeCondition: TransitioningCondition {}

extension Array where Element: TransitioningCondition {
    /// These conditions with the `lastTransitionTime` of `previous` kept where the status is unchanged.
    func carryingTransitionTimes(from previous: [Element]) -> [Element] {
        map { condition in
            var condition = condition
            if let old = previous.first(where: { $0.type == condition.type }), old.status == condition.status {
                condition.lastTransitionTime = old.lastTransitionTime
            }
            return condition
        }
    }
}

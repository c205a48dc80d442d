import Foundation

/// The well-known taints the control plane puts on nodes (upstream `k8s.io/api/core/v1/well_known_taints.go`).
extension Taint {
    /// The node's Ready condition is False.
    public static let notReadyKey = "node.kubernetes.io/not-ready"
    /// The node's Ready condition is Unknown: the node controller lost contact with the kubelet.
    public static let unreachableKey = "node.kubernetes.io/unreachable"
    /// `spec.unschedulable` (cordoned).
    public static let unschedulableKey = "node.kubernetes.io/unschedulable"
    public static let memoryPressureKey = "node.kubernetes.io/memory-pressure"
    public static let diskPressureKey = "node.kubernetes.io/disk-pressure"
    public static let pidPressureKey = "node.kubernetes.io/pid-pressure"
    public static let networkUnavailableKey = "node.kubernetes.io/network-unavailable"

    /// Whether two taints are the same taint: key and effect (upstream's `Taint.MatchTaint`; value and time added
    /// do not count).
    public func matches(_ other: Taint) -> Bool { key == other.key && effect == other.effect }
}

extension Toleration {
    /// Whether this toleration tolerates `taint` (upstream's `Toleration.ToleratesTaint`): the effects agree or the
    /// toleration names none, the keys agree or the toleration names none, and `Exists` ignores the value while
    /// `Equal` (the default) compares it.
    public func tolerates(_ taint: Taint) -> Bool {
        if let effect, !effect.isEmpty, effect != taint.effect { return false }
        if let key, !key.isEmpty, key != taint.key { return false }
        switch self.operator ?? "" {
        case "", "Equal": return (value ?? "") == (taint.value ?? "")
        case "Exists": return true
        default: return false
        }
    }

    /// Whether two tolerations say the same thing apart from `tolerationSeconds` (upstream's
    /// `Toleration.MatchToleration`).
    public func matches(_ other: Toleration) -> Bool {
        (key ?? "") == (other.key ?? "") && (effect ?? "") == (other.effect ?? "")
            && (self.operator ?? "") == (other.operator ?? "") && (value ?? "") == (other.value ?? "")
    }
}

extension Array where Element == Toleration {
    /// Whether some toleration tolerates `taint`.
    public func tolerate(_ taint: Taint) -> Bool { contains { $0.tolerates(taint) } }

    /// The first taint among `taints` that passes `filter` and that no toleration tolerates (upstream's
    /// `FindMatchingUntoleratedTaint`).
    public func firstUntolerated(_ taints: [Taint], where filter: (Taint) -> Bool = { _ in true }) -> Taint? {
        taints.first { filter($0) && !tolerate($0) }
    }

    /// For each taint, the first toleration that tolerates it; `nil` when some taint is not tolerated at all
    /// (upstream's `GetMatchingTolerations`).
    public func matching(_ taints: [Taint]) -> [Toleration]? {
        var used: [Toleration] = []
        for taint in taints {
            guard let toleration = first(where: { $0.tolerates(taint) }) else { return nil }
            used.append(toleration)
        }
        return used
    }
}

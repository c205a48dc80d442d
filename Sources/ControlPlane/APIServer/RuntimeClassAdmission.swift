import Foundation
import KubeAPI
import Store

/// The RuntimeClass admission plugin (upstream's plugin/pkg/admission/runtimeclass) on pod creation.
///
/// Mutating half (``admit(_:)``): a pod naming a RuntimeClass that does not exist is refused; the class's
/// `overhead.podFixed` becomes the pod's `spec.overhead` (a different overhead already set is refused); the class's
/// `scheduling.nodeSelector` is merged into the pod's (a key with another value is refused) and its tolerations are
/// merged into the pod's as upstream's `MergeTolerations` does (a toleration another one covers is dropped).
/// Validating half (``validate(_:)``), on the pod as it will be stored: its overhead must be the class's, and a pod
/// whose class has no overhead (or that names none) may not set one.
///
/// Classes are read straight from the store, as upstream falls back to a live read when its informer has not seen one.
struct RuntimeClassAdmission: Sendable {
    let store: any Store

    func get(_ name: String) async throws -> RuntimeClass? {
        guard let kv = try await store.get(key: StoredObject.key(RuntimeClass.resource, namespace: nil, name: name)) else { return nil }
        return try KubeJSON.decode(RuntimeClass.self, from: kv.value, omittingManagedFields: true)
    }

    func admit(_ pod: inout Pod) async throws {
        guard let runtimeClass = try await runtimeClass(of: pod) else { return }
        var spec = pod.spec ?? PodSpec()
        let name = pod.metadata.name ?? ""
        if let overhead = runtimeClass.overhead {
            // Quantities compare by value (`1` is `1000m`), and no list is the empty one, as upstream's semantic equality.
            if let podOverhead = spec.overhead, podOverhead != overhead.podFixed ?? [:] {
                throw Status.forbidden(Pod.resource, name: name, "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead")
            }
            spec.overhead = overhead.podFixed
        }
        if let scheduling = runtimeClass.scheduling {
            if let classSelector = scheduling.nodeSelector {
                var selector = spec.nodeSelector ?? [:]
                for key in classSelector.keys.sorted() {
                    let value = classSelector[key]!
                    if let podValue = selector[key], podValue != value {
                        throw Status.forbidden(Pod.resource, name: name,
                                               "conflict: runtimeClass.scheduling.nodeSelector[\(key)] = \(value); pod.spec.nodeSelector[\(key)] = \(podValue)")
                    }
                    selector[key] = value
                }
                spec.nodeSelector = selector
            }
            let merged = Self.mergeTolerations(spec.tolerations ?? [], scheduling.tolerations ?? [])
            spec.tolerations = merged.isEmpty ? nil : merged
        }
        pod.spec = spec
    }

    func validate(_ pod: Pod) async throws {
        let runtimeClass = try await runtimeClass(of: pod)
        let name = pod.metadata.name ?? ""
        if let overhead = runtimeClass?.overhead {
            if (overhead.podFixed ?? [:]) != (pod.spec?.overhead ?? [:]) {
                throw Status.forbidden(Pod.resource, name: name, "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead")
            }
        } else if pod.spec?.overhead != nil {
            throw Status.forbidden(Pod.resource, name: name, "pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead")
        }
    }

    /// The class the pod names; nil when it names none. A class that does not exist refuses the pod.
    private func runtimeClass(of pod: Pod) async throws -> RuntimeClass? {
        guard let className = pod.spec?.runtimeClassName else { return nil }
        guard let runtimeClass = try await get(className) else {
            throw Status.forbidden(Pod.resource, name: pod.metadata.name ?? "", "pod rejected: RuntimeClass \(GoQuoted.string(className)) not found")
        }
        return runtimeClass
    }

    /// Upstream's `MergeTolerations`: the pod's tolerations then the class's, leaving out each one another covers
    /// (of two equal ones, the first stays).
    static func mergeTolerations(_ first: [Toleration], _ second: [Toleration]) -> [Toleration] {
        let all = first + second
        var merged: [Toleration] = []
        for (index, toleration) in all.enumerated() {
            if merged.contains(where: { covers($0, toleration) }) { continue }
            if all[(index + 1)...].contains(where: { !same($0, toleration) && covers($0, toleration) }) { continue }
            merged.append(toleration)
        }
        return merged
    }

    /// Upstream's `isSuperset`: whether `superset` tolerates everything `toleration` does.
    static func covers(_ superset: Toleration, _ toleration: Toleration) -> Bool {
        if same(superset, toleration) { return true }
        let key = superset.key ?? "", op = superset.operator ?? "", effect = superset.effect ?? ""
        // An empty key with Exists matches every key and value.
        if (toleration.key ?? "") != key, !key.isEmpty || op != "Exists" { return false }
        // An empty effect matches every effect.
        if (toleration.effect ?? "") != effect, !effect.isEmpty { return false }
        if effect == "NoExecute", let limit = superset.tolerationSeconds {
            guard let seconds = toleration.tolerationSeconds, seconds <= limit else { return false }
        }
        switch op {
        case "Equal", "": return toleration.operator == "Equal" && (toleration.value ?? "") == (superset.value ?? "")
        case "Exists": return true
        default: return false
        }
    }

    /// Equality with an unset field equal to an empty one, as upstream compares its internal (non-pointer) fields.
    static func same(_ a: Toleration, _ b: Toleration) -> Bool {
        (a.key ?? "") == (b.key ?? "") && (a.operator ?? "") == (b.operator ?? "") && (a.value ?? "") == (b.value ?? "")
            && (a.effect ?? "") == (b.effect ?? "") && a.tolerationSeconds == b.tolerationSeconds
    }
}

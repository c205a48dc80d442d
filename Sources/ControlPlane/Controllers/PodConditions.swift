import Foundation
import KubeAPI

/// Pod state questions the workload and endpoint controllers share (upstream `podutil`).
extension Pod {
    /// The `Ready` condition, if reported.
    var readyCondition: PodCondition? { status?.conditions?.first { $0.type == "Ready" } }

    /// Whether the kubelet reports the pod Ready.
    var isReady: Bool { readyCondition?.status == "True" }

    /// Ready for at least `minReadySeconds` at `now` (upstream's `IsPodAvailable`).
    func isAvailable(minReadySeconds: Int32, now: Date = Date()) -> Bool {
        guard isReady else { return false }
        guard minReadySeconds > 0 else { return true }
        guard let since = readyCondition?.lastTransitionTime else { return false }
        return since.date.addingTimeInterval(TimeInterval(minReadySeconds)) <= now
    }

    /// Neither Succeeded nor Failed, and not being deleted: a pod that counts toward replicas.
    var isActive: Bool {
        let phase = status?.phase
        return phase != "Succeeded" && phase != "Failed" && metadata.deletionTimestamp == nil
    }

    /// The ownerReference with `controller: true`.
    var controllerRef: OwnerReference? { metadata.controllerRef }

    /// `namespace/name`, the informer key.
    var key: String { "\(metadata.namespace ?? "")/\(metadata.name ?? "")" }
}

extension ObjectMeta {
    /// The ownerReference with `controller: true`, the one owner allowed to manage the object.
    var controllerRef: OwnerReference? { ownerReferences?.first { $0.controller == true } }
}

extension KubeObject {
    /// An ownerReference making this object the controller of a dependent; `blockOwnerDeletion` so foreground
    /// deletion of the owner waits for the dependent.
    var controllerReference: OwnerReference {
        OwnerReference(apiVersion: Self.resource.groupVersion, kind: Self.resource.kind, name: metadata.name ?? "",
                       uid: metadata.uid ?? "", controller: true, blockOwnerDeletion: true)
    }
}

import Foundation
import KubeAPI
import KubeClient
import Logging

/// Creating, replacing and deleting a StatefulSet's pods in ordinal order (upstream's `StatefulSetControl`).
extension StatefulSetController {
    /// One step of the set's pod management: with `OrderedReady`, at most one pod is created or deleted per sync
    /// and only once the lower ordinals are Running and Ready; with `Parallel`, every missing pod is created and
    /// every condemned one deleted at once. Then the rolling update replaces one out-of-date pod, from the
    /// highest ordinal down to the partition.
    func reconcilePods(_ sts: StatefulSet, pods: [Pod], history: StatefulSetHistory, key: String) async throws {
        let spec = sts.spec ?? StatefulSetSpec()
        let count = Int(spec.replicas ?? 1)
        let start = Int(spec.ordinals?.start ?? 0)
        let monotonic = spec.podManagementPolicy != "Parallel"
        let minReady = spec.minReadySeconds ?? 0
        var replicas = [Pod?](repeating: nil, count: count)
        var condemned: [Pod] = []
        for pod in pods {
            guard let ordinal = Self.parentAndOrdinal(pod.metadata.name ?? "")?.ordinal else { continue }
            if ordinal >= start, ordinal < start + count { replicas[ordinal - start] = pod } else { condemned.append(pod) }
        }
        condemned.sort { (Self.parentAndOrdinal($0.metadata.name ?? "")?.ordinal ?? 0) > (Self.parentAndOrdinal($1.metadata.name ?? "")?.ordinal ?? 0) }
        func healthy(_ pod: Pod) -> Bool {
            pod.status?.phase == "Running" && pod.metadata.deletionTimestamp == nil && pod.isAvailable(minReadySeconds: minReady)
        }
        // Upstream's "first unhealthy pod": in OrderedReady mode nothing else moves while one is unhealthy.
        let unhealthy = (replicas.compactMap { $0 } + condemned).first { !healthy($0) }

        for index in 0..<count {
            let ordinal = start + index
            if let pod = replicas[index] {
                if pod.metadata.deletionTimestamp != nil {
                    if monotonic { return }
                    continue
                }
                if pod.status?.phase == "Failed" || pod.status?.phase == "Succeeded" {
                    logger.info("recreating finished pod", metadata: ["statefulset": "\(key)", "pod": "\(pod.key)", "phase": "\(pod.status?.phase ?? "")"])
                    try await deletePod(sts, pod)
                    if monotonic { return }
                    continue
                }
                if monotonic && !healthy(pod) { return }
                continue
            }
            let useCurrent = spec.updateStrategy?.type != "OnDelete" && index < Int(spec.updateStrategy?.rollingUpdate?.partition ?? 0)
            let revision = useCurrent ? history.current : history.update
            try await createPod(sts, ordinal: ordinal, revision: revision)
            if monotonic { return }
        }

        for pod in condemned {
            if pod.metadata.deletionTimestamp != nil {
                if monotonic { return }
                continue
            }
            if monotonic, let unhealthy, unhealthy.metadata.uid != pod.metadata.uid { return }
            try await releaseClaimsOnScaleDown(sts, pod: pod)
            try await deletePod(sts, pod)
            if monotonic { return }
        }

        guard spec.updateStrategy?.type != "OnDelete" else { return }
        let partition = Int(spec.updateStrategy?.rollingUpdate?.partition ?? 0)
        let updateName = history.update.metadata.name ?? ""
        for index in stride(from: count - 1, through: partition, by: -1) {
            guard let pod = replicas[index] else { return }
            if pod.metadata.labels?[Self.revisionLabel] != updateName, pod.metadata.deletionTimestamp == nil {
                logger.info("updating pod to the update revision", metadata: ["statefulset": "\(key)", "pod": "\(pod.key)", "revision": "\(updateName)"])
                try await deletePod(sts, pod)
                return
            }
            // maxUnavailable 1: the next pod waits until this one is back.
            if !healthy(pod) { return }
        }
    }

    /// The pod for `ordinal` from a revision's template, with its identity and claims.
    func newPod(_ sts: StatefulSet, ordinal: Int, revision: ControllerRevision) -> Pod {
        let setName = sts.metadata.name ?? ""
        let template = StatefulSetHistory.template(of: revision) ?? sts.spec?.template ?? PodTemplateSpec()
        let name = "\(setName)-\(ordinal)"
        var labels = template.metadata?.labels ?? [:]
        labels[Self.podNameLabel] = name
        labels[Self.podIndexLabel] = String(ordinal)
        labels[Self.revisionLabel] = revision.metadata.name ?? ""
        var meta = ObjectMeta(name: name, namespace: sts.metadata.namespace, labels: labels,
                              annotations: template.metadata?.annotations, ownerReferences: [sts.controllerReference])
        meta.finalizers = template.metadata?.finalizers
        var spec = template.spec ?? PodSpec()
        spec.hostname = name
        if let service = sts.spec?.serviceName, !service.isEmpty { spec.subdomain = service }
        var volumes = spec.volumes ?? []
        for claim in sts.spec?.volumeClaimTemplates ?? [] {
            let volumeName = claim.metadata.name ?? ""
            let volume = Volume(name: volumeName, persistentVolumeClaim: PersistentVolumeClaimVolumeSource(claimName: Self.claimName(claim, setName: setName, ordinal: ordinal)))
            if let index = volumes.firstIndex(where: { $0.name == volumeName }) { volumes[index] = volume } else { volumes.append(volume) }
        }
        if !volumes.isEmpty { spec.volumes = volumes }
        return Pod(metadata: meta, spec: spec)
    }

    /// `<claim template>-<set>-<ordinal>`.
    static func claimName(_ template: PersistentVolumeClaim, setName: String, ordinal: Int) -> String {
        "\(template.metadata.name ?? "")-\(setName)-\(ordinal)"
    }

    /// Creates the pod's missing claims, then the pod.
    func createPod(_ sts: StatefulSet, ordinal: Int, revision: ControllerRevision) async throws {
        let pod = newPod(sts, ordinal: ordinal, revision: revision)
        let setName = sts.metadata.name ?? ""
        for template in sts.spec?.volumeClaimTemplates ?? [] {
            let name = Self.claimName(template, setName: setName, ordinal: ordinal)
            if claims.get(name: name, namespace: sts.metadata.namespace) != nil { continue }
            var labels = template.metadata.labels ?? [:]
            for (key, value) in sts.spec?.selector?.matchLabels ?? [:] { labels[key] = value }
            var claim = PersistentVolumeClaim(
                metadata: ObjectMeta(name: name, namespace: sts.metadata.namespace, labels: labels, annotations: template.metadata.annotations),
                spec: template.spec)
            if sts.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted == "Delete" {
                var ref = sts.controllerReference
                ref.controller = nil
                claim.metadata.ownerReferences = [ref]
            }
            do {
                _ = try await client.create(claim)
                events.record(sts, reason: "SuccessfulCreate", message: "create Claim \(name) Pod \(pod.metadata.name ?? "") in StatefulSet \(setName) success")
            } catch where error.isAlreadyExists {
            } catch {
                events.record(sts, "Warning", reason: "FailedCreate", message: "create Claim \(name) for Pod \(pod.metadata.name ?? "") in StatefulSet \(setName) failed error: \(error)")
                throw ControllerError.api(error)
            }
        }
        do {
            _ = try await client.create(pod)
            events.record(sts, reason: "SuccessfulCreate", message: "create Pod \(pod.metadata.name ?? "") in StatefulSet \(setName) successful")
        } catch where error.isAlreadyExists {
            // The cache has not shown it yet.
        } catch {
            if !error.isNamespaceTerminating {
                events.record(sts, "Warning", reason: "FailedCreate", message: "create Pod \(pod.metadata.name ?? "") in StatefulSet \(setName) failed error: \(error)")
            }
            throw ControllerError.api(error)
        }
    }

    func deletePod(_ sts: StatefulSet, _ pod: Pod) async throws {
        let setName = sts.metadata.name ?? ""
        do {
            try await client.delete(Pod.self, name: pod.metadata.name ?? "", namespace: pod.metadata.namespace)
            events.record(sts, reason: "SuccessfulDelete", message: "delete Pod \(pod.metadata.name ?? "") in StatefulSet \(setName) successful")
        } catch where error.isNotFound {
        } catch {
            events.record(sts, "Warning", reason: "FailedDelete", message: "delete Pod \(pod.metadata.name ?? "") in StatefulSet \(setName) failed error: \(error)")
            throw ControllerError.api(error)
        }
    }

    /// With `whenScaled: Delete`, a condemned pod's claims get the pod as their only owner, so the garbage
    /// collector deletes them once the pod is gone (upstream's `updateClaimOwnerRefForSetAndPod`).
    func releaseClaimsOnScaleDown(_ sts: StatefulSet, pod: Pod) async throws {
        guard sts.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled == "Delete",
              let ordinal = Self.parentAndOrdinal(pod.metadata.name ?? "")?.ordinal else { return }
        for template in sts.spec?.volumeClaimTemplates ?? [] {
            let name = Self.claimName(template, setName: sts.metadata.name ?? "", ordinal: ordinal)
            guard var claim = claims.get(name: name, namespace: sts.metadata.namespace),
                  !(claim.metadata.ownerReferences ?? []).contains(where: { $0.uid == pod.metadata.uid }) else { continue }
            var ref = pod.controllerReference
            ref.controller = nil
            // The set's reference goes (whenDeleted: Delete put it there), or the claim would outlive the pod.
            claim.metadata.ownerReferences = (claim.metadata.ownerReferences ?? []).filter { $0.uid != sts.metadata.uid } + [ref]
            do {
                _ = try await client.update(claim)
            } catch where error.isNotFound {
            } catch {
                throw ControllerError.api(error)
            }
        }
    }
}

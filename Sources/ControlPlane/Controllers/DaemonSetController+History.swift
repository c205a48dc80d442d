import Foundation
import KubeAPI
import KubeClient
import Logging

/// A DaemonSet's rollout history in ControllerRevisions (upstream's `pkg/controller/daemon/update.go`): one
/// revision per distinct template, named `<ds>-<hash>`, whose `data` is the strategic merge patch that restores the
/// template. `kubectl rollout history ds/x` lists them and `kubectl rollout undo` patches the DaemonSet with one.
extension DaemonSetController {
    /// The revision of the current template (created, or renumbered to the newest, when needed) and the older ones.
    func constructHistory(_ ds: DaemonSet, selector: LabelSelectorExpression) async throws -> (current: ControllerRevision, old: [ControllerRevision]) {
        let histories = try await controlledHistories(ds, selector: selector)
        let patch = try Self.templatePatch(ds)
        var current: [ControllerRevision] = []
        var old: [ControllerRevision] = []
        for history in histories {
            if history.data == patch { current.append(history) } else { old.append(history) }
        }
        let nextRevision = (old.map(\.revision).max() ?? 0) + 1
        guard !current.isEmpty else {
            return (try await snapshot(ds, patch: patch, revision: nextRevision), old)
        }
        var kept = try await dedupCurrent(current)
        if kept.revision < nextRevision {
            kept.revision = nextRevision
            do {
                kept = try await client.update(kept)
            } catch {
                throw ControllerError.api(error)
            }
        }
        return (kept, old)
    }

    /// Deletes the oldest revisions beyond `revisionHistoryLimit` that no live pod still runs.
    func cleanupHistory(_ ds: DaemonSet, old: [ControllerRevision], selector: LabelSelectorExpression) async throws {
        let limit = Int(ds.spec?.revisionHistoryLimit ?? 10)
        var toKill = old.count - limit
        guard toKill > 0 else { return }
        let byNode = try await nodesToDaemonPods(ds, selector: selector, includeDeletedTerminal: true)
        let liveHashes = Set(byNode.values.joined().compactMap { $0.metadata.labels?[DaemonSet.revisionHashLabel] })
        for history in old.sorted(by: { $0.revision < $1.revision }) where toKill > 0 {
            if let hash = history.metadata.labels?[DaemonSet.revisionHashLabel], liveHashes.contains(hash) { continue }
            do {
                try await client.delete(ControllerRevision.self, name: history.metadata.name ?? "", namespace: history.metadata.namespace)
            } catch {
                if !error.isNotFound { throw ControllerError.api(error) }
            }
            toKill -= 1
        }
    }

    /// The revisions this DaemonSet controls, after adopting matching orphans and releasing mismatches.
    func controlledHistories(_ ds: DaemonSet, selector: LabelSelectorExpression) async throws -> [ControllerRevision] {
        let candidates = revisions.list(namespace: ds.metadata.namespace)
        return try await ControllerRefManager(client: client, owner: ds, selector: selector).claim(candidates)
    }

    /// Creates the revision of the current template. A name taken by a different template is a hash collision:
    /// `status.collisionCount` is bumped so the next sync hashes to a fresh name.
    func snapshot(_ ds: DaemonSet, patch: JSONValue, revision: Int64) async throws -> ControllerRevision {
        let hash = ds.revisionHash
        var labels = ds.spec?.template.metadata?.labels ?? [:]
        labels[DaemonSet.revisionHashLabel] = hash
        let history = ControllerRevision(
            metadata: ObjectMeta(name: "\(ds.metadata.name ?? "")-\(hash)", namespace: ds.metadata.namespace, labels: labels,
                                 annotations: ds.metadata.annotations, ownerReferences: [ds.controllerReference]),
            data: patch, revision: revision)
        var createError: KubeClientError
        do {
            let created = try await client.create(history)
            logger.info("created controller revision", metadata: ["daemonset": "\(Informer.key(for: ds))", "revision": "\(revision)", "name": "\(created.metadata.name ?? "")"])
            return created
        } catch {
            createError = error
        }
        guard createError.isAlreadyExists else { throw ControllerError.api(createError) }
        do {
            let existing = try await client.get(ControllerRevision.self, name: history.metadata.name ?? "", namespace: ds.metadata.namespace)
            if existing.data == patch, existing.metadata.controllerRef?.uid == ds.metadata.uid { return existing }
            var current = try await client.get(DaemonSet.self, name: ds.metadata.name ?? "", namespace: ds.metadata.namespace)
            guard current.status?.collisionCount == ds.status?.collisionCount else {
                throw ControllerError.retryLater(key: Informer.key(for: ds), reason: "stale collisionCount while processing; retrying once the cache has the update")
            }
            var status = current.status ?? DaemonSetStatus()
            status.collisionCount = (status.collisionCount ?? 0) + 1
            current.status = status
            _ = try await client.updateStatus(current)
            throw ControllerError.retryLater(key: Informer.key(for: ds), reason: "hash collision on revision \(history.metadata.name ?? ""); collisionCount is now \(status.collisionCount ?? 0)")
        } catch let error as KubeClientError {
            throw ControllerError.api(error)
        }
    }

    /// Of several revisions holding the current template (a race between syncs), keeps the newest and deletes
    /// the rest.
    func dedupCurrent(_ current: [ControllerRevision]) async throws -> ControllerRevision {
        let sorted = current.sorted { $0.revision > $1.revision }
        for duplicate in sorted.dropFirst() {
            do {
                try await client.delete(ControllerRevision.self, name: duplicate.metadata.name ?? "", namespace: duplicate.metadata.namespace)
            } catch {
                if !error.isNotFound { throw ControllerError.api(error) }
            }
        }
        return sorted[0]
    }

    /// Upstream's `getPatch`: `{"spec":{"template":{…,"$patch":"replace"}}}`, which kubectl applies as a strategic
    /// merge patch to roll the DaemonSet back to this template.
    static func templatePatch(_ ds: DaemonSet) throws -> JSONValue {
        do {
            return try templatePatch(template: ds.spec?.template)
        } catch {
            throw ControllerError.invalidObject(key: Informer.key(for: ds), reason: "the pod template does not encode as a JSON object")
        }
    }

    /// The patch for any pod template; StatefulSets record the same form.
    static func templatePatch(template: PodTemplateSpec?) throws -> JSONValue {
        guard case .object(var template) = try KubeJSON.value(of: template ?? PodTemplateSpec()) else {
            throw ControllerError.invalidObject(key: "", reason: "the pod template does not encode as a JSON object")
        }
        template["$patch"] = "replace"
        return ["spec": ["template": .object(template)]]
    }
}

import Foundation
import KubeAPI
import KubeClient
import Logging

/// A StatefulSet's revisions: the one its pods are being moved to (`update`), the one the unmoved ones run
/// (`current`) and all it controls.
struct StatefulSetHistory: Sendable {
    var current: ControllerRevision
    var update: ControllerRevision
    var all: [ControllerRevision]
    var collisionCount: Int32?

    /// The pod template a revision records (its `data.spec.template` without the `$patch` directive).
    static func template(of revision: ControllerRevision) -> PodTemplateSpec? {
        guard case .object(var template)? = revision.data?["spec"]?["template"] else { return nil }
        template["$patch"] = nil
        return try? KubeJSON.decode(PodTemplateSpec.self, from: JSONValue.object(template))
    }
}

/// StatefulSet rollout history in ControllerRevisions (upstream's `pkg/controller/history` as the StatefulSet
/// controller uses it): one revision per distinct template, named `<set>-<hash>` and labelled
/// `controller.kubernetes.io/hash`; a template that returns (`rollout undo`) has its revision renumbered newest.
extension StatefulSetController {
    func revisionHistory(_ sts: StatefulSet, selector: LabelSelectorExpression) async throws -> StatefulSetHistory {
        var all = try await ControllerRefManager(client: client, owner: sts, selector: selector)
            .claim(revisions.list(namespace: sts.metadata.namespace))
            .sorted { $0.revision < $1.revision }
        let patch = try DaemonSetController.templatePatch(template: sts.spec?.template)
        let nextRevision = (all.last?.revision ?? 0) + 1
        var update: ControllerRevision
        if let index = all.lastIndex(where: { $0.data == patch }) {
            update = all[index]
            // The newest revision equal to the template; if older revisions follow it, it becomes the newest.
            if index != all.count - 1 {
                update.revision = nextRevision
                do {
                    update = try await client.update(update)
                } catch {
                    throw ControllerError.api(error)
                }
                all[index] = update
                all.sort { $0.revision < $1.revision }
            }
        } else {
            update = try await createRevision(sts, patch: patch, revision: nextRevision)
            all.append(update)
        }
        let current = all.first { $0.metadata.name == sts.status?.currentRevision } ?? update
        return StatefulSetHistory(current: current, update: update, all: all, collisionCount: sts.status?.collisionCount)
    }

    /// Creates the revision of the current template. A name taken by another template is a hash collision:
    /// `status.collisionCount` is bumped so the next sync hashes to a fresh name.
    func createRevision(_ sts: StatefulSet, patch: JSONValue, revision: Int64) async throws -> ControllerRevision {
        let hash = PodTemplateHash.compute(sts.spec?.template ?? PodTemplateSpec(), collisionCount: sts.status?.collisionCount)
        var labels = sts.spec?.template.metadata?.labels ?? [:]
        labels[Self.revisionHashLabel] = hash
        let name = "\(String((sts.metadata.name ?? "").prefix(223)))-\(hash)"
        let revisionObject = ControllerRevision(
            metadata: ObjectMeta(name: name, namespace: sts.metadata.namespace, labels: labels, annotations: sts.metadata.annotations,
                                 ownerReferences: [sts.controllerReference]),
            data: patch, revision: revision)
        do {
            let created = try await client.create(revisionObject)
            logger.info("created controller revision", metadata: ["statefulset": "\(Informer.key(for: sts))", "revision": "\(revision)", "name": "\(name)"])
            return created
        } catch where error.isAlreadyExists {
            let existing: ControllerRevision
            do {
                existing = try await client.get(ControllerRevision.self, name: name, namespace: sts.metadata.namespace)
            } catch {
                throw ControllerError.api(error)
            }
            if existing.data == patch, existing.metadata.controllerRef?.uid == sts.metadata.uid { return existing }
            var status = sts.status ?? StatefulSetStatus()
            status.collisionCount = (status.collisionCount ?? 0) + 1
            var updated = sts
            updated.status = status
            do {
                _ = try await client.updateStatus(updated)
            } catch {
                throw ControllerError.api(error)
            }
            throw ControllerError.retryLater(key: Informer.key(for: sts), reason: "hash collision on revision \(name); collisionCount is now \(status.collisionCount ?? 0)")
        } catch {
            throw ControllerError.api(error)
        }
    }

    /// Deletes the oldest revisions beyond `revisionHistoryLimit` that neither the status nor a pod uses.
    func truncateHistory(_ sts: StatefulSet, history: StatefulSetHistory, pods: [Pod]) async throws {
        var live = Set(pods.compactMap { $0.metadata.labels?[Self.revisionLabel] })
        live.insert(history.current.metadata.name ?? "")
        live.insert(history.update.metadata.name ?? "")
        let historic = history.all.filter { !live.contains($0.metadata.name ?? "") }
        let limit = Int(sts.spec?.revisionHistoryLimit ?? 10)
        guard historic.count > limit else { return }
        for revision in historic.prefix(historic.count - limit) {
            do {
                try await client.delete(ControllerRevision.self, name: revision.metadata.name ?? "", namespace: revision.metadata.namespace)
            } catch where !error.isNotFound {
                throw ControllerError.api(error)
            } catch {}
        }
    }
}

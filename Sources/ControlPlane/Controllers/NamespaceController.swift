import Foundation
import KubeAPI
import KubeClient
import Logging

/// Empties namespaces being deleted and then finalizes them (upstream's `namespace-controller`).
///
/// For a namespace with a deletionTimestamp and the `kubernetes` finalizer in `spec.finalizers`, every object of
/// every namespaced kind the server stores is deleted (live LISTs, not caches, so nothing created meanwhile is
/// missed); while some remain — pods in their grace period, objects with finalizers — the namespace is checked
/// again shortly. When it is empty, the `kubernetes` finalizer is removed through `PUT
/// /api/v1/namespaces/{name}/finalize` and the server removes the namespace.
public struct NamespaceController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "namespace-controller"
    static let finalizer = "kubernetes"

    public var name: String { Self.controllerName }
    let client: KubeClient
    let namespaces: Informer<Namespace>
    let queue: WorkQueue
    let recheck: Duration
    let logger: Logger
    let metrics: ControllerMetrics

    /// - Parameter recheck: how soon a namespace with objects still terminating is looked at again.
    public init(context: ControllerContext, recheck: Duration = .seconds(2)) {
        client = context.client
        namespaces = context.informers.informer(Namespace.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "namespace", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        self.recheck = recheck
        let queue = queue
        namespaces.addHandler(InformerHandler(
            onAdd: { ns in if ns.metadata.deletionTimestamp != nil { await queue.add(Informer.key(for: ns)) } },
            onUpdate: { _, ns in if ns.metadata.deletionTimestamp != nil { await queue.add(Informer.key(for: ns)) } }))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { name in try await syncNamespace(name) }
    }

    /// Deletes the contents of a terminating namespace, reports what is left in its status conditions as upstream's
    /// deleter does, and finalizes it once nothing is left.
    func syncNamespace(_ name: String) async throws {
        guard var namespace = namespaces.get(name), namespace.metadata.deletionTimestamp != nil,
              (namespace.spec?.finalizers ?? []).contains(Self.finalizer) else { return }
        var remaining = Remaining()
        for kind in KubeKinds.all where kind.resource.namespaced {
            try await deleteAll(kind, in: name, remaining: &remaining)
        }
        var status = namespace.status ?? NamespaceStatus(phase: "Terminating")
        if remaining.update(&status, now: Time.now()) {
            do {
                var updated = namespace
                updated.status = status
                namespace = try await client.updateStatus(updated)
            } catch let error where error.isNotFound {
                return
            } catch {
                throw ControllerError.api(error)
            }
        }
        if !remaining.byResource.isEmpty {
            logger.debug("namespace not empty yet", metadata: ["namespace": "\(name)", "remaining": "\(remaining.byResource)"])
            await queue.addAfter(name, delay: recheck)
            return
        }
        var finalized = namespace
        finalized.spec?.finalizers = (namespace.spec?.finalizers ?? []).filter { $0 != Self.finalizer }
        do {
            try await client.finalize(finalized)
        } catch let error where error.isNotFound {
            return
        } catch {
            throw ControllerError.api(error)
        }
        logger.info("namespace finalized", metadata: ["namespace": "\(name)"])
    }

    /// Deletes every object of `K` in the namespace; counts what still exists, by resource and by finalizer.
    private func deleteAll<K: KubeObject>(_ type: K.Type, in namespace: String, remaining: inout Remaining) async throws {
        do {
            var objects = try await client.list(K.self, namespace: namespace).items
            var deleted = false
            for object in objects where object.metadata.deletionTimestamp == nil {
                do {
                    try await client.delete(K.self, name: object.metadata.name ?? "", namespace: namespace)
                    deleted = true
                } catch let error where error.isNotFound {
                    continue
                }
            }
            // What is left after the deletions (objects without finalizers or grace period are gone at once).
            if deleted { objects = try await client.list(K.self, namespace: namespace).items }
            guard !objects.isEmpty else { return }
            remaining.byResource["\(K.resource.plural).\(K.resource.group)", default: 0] += objects.count
            for object in objects {
                for finalizer in object.metadata.finalizers ?? [] { remaining.byFinalizer[finalizer, default: 0] += 1 }
            }
        } catch {
            throw ControllerError.api(error)
        }
    }

    /// What a pass over a terminating namespace left, and the status conditions upstream's namespace deleter
    /// (namespaceConditionUpdater) makes of it: `NamespaceContentRemaining` ("Some resources are remaining:
    /// configmaps. has 1 resource instances") and `NamespaceFinalizersRemaining` ("Some content in the namespace has
    /// finalizers remaining: example.com/hold in 1 resource instances") True while something is left, every type
    /// False with its reassuring reason otherwise.
    struct Remaining {
        /// `<resource>.<group>` → objects left (the core group is empty, hence upstream's `pods.`).
        var byResource: [String: Int] = [:]
        var byFinalizer: [String: Int] = [:]

        /// Upstream's condition types in its order, with the reason and message of the False ("ok") condition.
        static let okConditions: [(type: String, reason: String, message: String)] = [
            ("NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered"),
            ("NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions", "All legacy kube types successfully parsed"),
            ("NamespaceDeletionContentFailure", "ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
            ("NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"),
            ("NamespaceFinalizersRemaining", "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
        ]

        func condition(_ type: String, ok: (reason: String, message: String), now: Time) -> NamespaceCondition {
            switch type {
            case "NamespaceContentRemaining" where !byResource.isEmpty:
                let parts = byResource.map { "\($0.key) has \($0.value) resource instances" }.sorted()
                return NamespaceCondition(type: type, status: "True", lastTransitionTime: now, reason: "SomeResourcesRemain",
                                          message: "Some resources are remaining: " + parts.joined(separator: ", "))
            case "NamespaceFinalizersRemaining" where !byFinalizer.isEmpty:
                let parts = byFinalizer.map { "\($0.key) in \($0.value) resource instances" }.sorted()
                return NamespaceCondition(type: type, status: "True", lastTransitionTime: now, reason: "SomeFinalizersRemain",
                                          message: "Some content in the namespace has finalizers remaining: " + parts.joined(separator: ", "))
            default:
                return NamespaceCondition(type: type, status: "False", lastTransitionTime: now, reason: ok.reason, message: ok.message)
            }
        }

        /// Upstream's updateConditions: adds missing conditions, changes those whose status, reason or message differ
        /// (the transition time only when the status does); true when something changed.
        func update(_ status: inout NamespaceStatus, now: Time) -> Bool {
            var conditions = status.conditions ?? []
            var changed = false
            for ok in Self.okConditions {
                let new = condition(ok.type, ok: (ok.reason, ok.message), now: now)
                guard let i = conditions.firstIndex(where: { $0.type == ok.type }) else {
                    conditions.append(new)
                    changed = true
                    continue
                }
                let old = conditions[i]
                guard old.status != new.status || old.reason != new.reason || old.message != new.message else { continue }
                if old.status != new.status { conditions[i].lastTransitionTime = now }
                conditions[i].status = new.status
                conditions[i].reason = new.reason
                conditions[i].message = new.message
                changed = true
            }
            status.conditions = conditions
            return changed
        }
    }
}

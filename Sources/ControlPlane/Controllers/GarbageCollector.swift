import Foundation
import KubeAPI
import KubeClient
import Logging

/// Deletes objects whose owners are gone and carries out foreground and orphan deletion (upstream's
/// `garbage-collector-controller`), over informers of every kind in `KubeKinds.all` except the ignored resources
/// (upstream's `DefaultIgnoredResources`: Events, core and `events.k8s.io`, are neither watched nor collected, so an
/// Event with an ownerReference outlives its owner, as upstream).
///
/// - Background: a dependent all of whose owners are gone is deleted; one that still has another owner only
///   loses the references to the missing ones. An owner missing from the cache is confirmed with a live GET
///   (same uid) before anything is deleted, so a slow informer never costs an object.
/// - Foreground: an owner deleted with `propagationPolicy: Foreground` carries the `foregroundDeletion`
///   finalizer; its dependents are deleted, and once none with `blockOwnerDeletion` is left the finalizer is
///   removed and the server completes the deletion.
/// - Orphan: an owner with the `orphan` finalizer has its references removed from every dependent, then the
///   finalizer.
public struct GarbageCollector: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "garbage-collector-controller"
    static let foregroundFinalizer = "foregroundDeletion"
    static let orphanFinalizer = "orphan"
    /// Resources (group, plural) the collector neither watches nor collects: upstream's
    /// `garbagecollector.DefaultIgnoredResources()`.
    static let ignoredResources: Set<GroupResource> = [GroupResource(group: "", resource: "events"),
                                                       GroupResource(group: "events.k8s.io", resource: "events")]

    /// A resource without its version, as upstream's `schema.GroupResource`.
    struct GroupResource: Hashable, Sendable {
        var group: String
        var resource: String
    }

    /// Whether the collector watches `kind`.
    static func watches(_ kind: any KubeObject.Type) -> Bool {
        !ignoredResources.contains(GroupResource(group: kind.resource.group, resource: kind.resource.plural))
    }

    public var name: String { Self.controllerName }
    let client: KubeClient
    let graph = OwnershipGraph()
    let queue: WorkQueue
    let logger: Logger
    let metrics: ControllerMetrics

    /// Registers handlers on the informers of every stored kind but the ignored resources.
    public init(context: ControllerContext) {
        client = context.client
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "garbagecollector", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        for (index, kind) in KubeKinds.all.enumerated() where Self.watches(kind) {
            register(kind, index: index, informers: context.informers)
        }
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { uid in try await processItem(uid) }
    }

    // MARK: Graph

    private func register<K: KubeObject>(_ type: K.Type, index: Int, informers: SharedInformers) {
        let (graph, queue) = (graph, queue)
        // `ownersChanged` is false for an update that kept the ownerReferences: like upstream's graph builder, such
        // an object (a node's Lease renewed, a pod's status written) is not checked again; its owners' deletion
        // brings it back to the queue.
        let changed: @Sendable (K, _ ownersChanged: Bool) async -> Void = { object, ownersChanged in
            guard let uid = object.metadata.uid else { return }
            let node = OwnershipGraph.Node(kind: index, namespace: object.metadata.namespace, name: object.metadata.name ?? "",
                                           uid: uid, resourceVersion: object.metadata.resourceVersion,
                                           owners: object.metadata.ownerReferences ?? [], finalizers: object.metadata.finalizers ?? [],
                                           deleting: object.metadata.deletionTimestamp != nil)
            graph.upsert(node)
            if (ownersChanged && !node.owners.isEmpty) || node.deleting { await queue.add(uid) }
            // An owner waiting for its dependents hears about each of them.
            for owner in node.owners where graph.node(owner.uid)?.deleting == true { await queue.add(owner.uid) }
        }
        informers.informer(K.self).addHandler(InformerHandler(
            onAdd: { object in await changed(object, true) },
            onUpdate: { old, new in
                guard old.metadata.resourceVersion != new.metadata.resourceVersion else { return }
                await changed(new, old.metadata.ownerReferences != new.metadata.ownerReferences)
            },
            onDelete: { object in
                guard let uid = object.metadata.uid else { return }
                let dependents = graph.dependents(of: uid)
                graph.remove(uid)
                for dependent in dependents { await queue.add(dependent.uid) }
                for owner in object.metadata.ownerReferences ?? [] { await queue.add(owner.uid) }
            }))
    }

    // MARK: Reconcile

    /// Handles one object: finishes its own foreground/orphan deletion, or collects it if its owners are gone.
    func processItem(_ uid: String) async throws {
        guard let node = graph.node(uid) else { return }
        if node.deleting {
            if node.finalizers.contains(Self.orphanFinalizer) {
                try await orphanDependents(of: node)
            } else if node.finalizers.contains(Self.foregroundFinalizer) {
                try await deleteDependentsInForeground(of: node)
            }
            return
        }
        guard !node.owners.isEmpty else { return }
        var solid: [OwnerReference] = []
        var dangling: [OwnerReference] = []
        var waiting: [OwnerReference] = []
        for ref in node.owners {
            switch try await ownerState(ref, dependentNamespace: node.namespace) {
            case .absent: dangling.append(ref)
            case .deletingInForeground: waiting.append(ref)
            case .present: solid.append(ref)
            }
        }
        if !solid.isEmpty {
            guard !dangling.isEmpty else { return }
            let danglingUIDs = Set(dangling.map(\.uid))
            logger.debug("removing dangling owner references", metadata: ["object": "\(node.namespace ?? "")/\(node.name)"])
            try await patchOwners(node, node.owners.filter { !danglingUIDs.contains($0.uid) })
            return
        }
        guard !dangling.isEmpty || !waiting.isEmpty else { return }
        let policy: DeleteOptions.PropagationPolicy = !waiting.isEmpty && !graph.dependents(of: uid).isEmpty ? .foreground : .background
        logger.debug("deleting object whose owners are gone", metadata: ["object": "\(node.namespace ?? "")/\(node.name)",
                                                                         "kind": "\(node.kindType.resource.kind)", "policy": "\(policy)"])
        try await delete(node, policy: policy)
    }

    private enum OwnerState { case present, absent, deletingInForeground }

    /// Whether an owner exists: from the graph, else confirmed with a live GET by name and uid.
    private func ownerState(_ ref: OwnerReference, dependentNamespace: String?) async throws -> OwnerState {
        if let owner = graph.node(ref.uid) {
            return owner.deleting && owner.finalizers.contains(Self.foregroundFinalizer) ? .deletingInForeground : .present
        }
        guard let kind = KubeKinds.kind(apiVersion: ref.apiVersion, kind: ref.kind) else {
            // A kind this server does not serve cannot be verified; never delete on its account.
            return .present
        }
        let namespace = kind.resource.namespaced ? dependentNamespace : nil
        do {
            let uid = try await liveUID(kind, name: ref.name, namespace: namespace)
            return uid == ref.uid ? .present : .absent
        } catch let error where error.isNotFound {
            return .absent
        } catch {
            throw ControllerError.api(error)
        }
    }

    private func liveUID<K: KubeObject>(_ type: K.Type, name: String, namespace: String?) async throws(KubeClientError) -> String? {
        try await client.get(K.self, name: name, namespace: namespace).metadata.uid
    }

    /// Deletes the dependents of an owner in foreground deletion and removes its finalizer once no blocking
    /// dependent is left.
    private func deleteDependentsInForeground(of owner: OwnershipGraph.Node) async throws {
        let dependents = graph.dependents(of: owner.uid)
        for dependent in dependents where !dependent.deleting {
            let hasOwnDependents = !graph.dependents(of: dependent.uid).isEmpty
            try await delete(dependent, policy: hasOwnDependents ? .foreground : .background)
        }
        let blocking = dependents.filter { dependent in
            dependent.owners.contains { $0.uid == owner.uid && $0.blockOwnerDeletion == true }
        }
        guard blocking.isEmpty else { return }
        logger.debug("dependents gone, completing foreground deletion", metadata: ["object": "\(owner.namespace ?? "")/\(owner.name)"])
        try await patchFinalizers(owner, owner.finalizers.filter { $0 != Self.foregroundFinalizer })
    }

    /// Removes the owner from every dependent's references, then the `orphan` finalizer.
    private func orphanDependents(of owner: OwnershipGraph.Node) async throws {
        for dependent in graph.dependents(of: owner.uid) {
            try await patchOwners(dependent, dependent.owners.filter { $0.uid != owner.uid })
        }
        try await patchFinalizers(owner, owner.finalizers.filter { $0 != Self.orphanFinalizer })
    }

    // MARK: Writes

    private func delete(_ node: OwnershipGraph.Node, policy: DeleteOptions.PropagationPolicy) async throws {
        try await write(node.kindType, node) { type, name, namespace in
            try await client.delete(type, name: name, namespace: namespace,
                                    options: DeleteOptions(propagationPolicy: policy, preconditions: .init(uid: node.uid)))
        }
    }

    private func patchOwners(_ node: OwnershipGraph.Node, _ owners: [OwnerReference]) async throws {
        let patch: JSONValue = ["metadata": ["ownerReferences": owners.isEmpty ? .null : try KubeJSON.value(of: owners),
                                             "resourceVersion": .string(node.resourceVersion ?? "")]]
        try await patchMetadata(node, patch)
    }

    private func patchFinalizers(_ node: OwnershipGraph.Node, _ finalizers: [String]) async throws {
        let patch: JSONValue = ["metadata": ["finalizers": finalizers.isEmpty ? .null : .array(finalizers.map { .string($0) }),
                                             "resourceVersion": .string(node.resourceVersion ?? "")]]
        try await patchMetadata(node, patch)
    }

    private func patchMetadata(_ node: OwnershipGraph.Node, _ patch: JSONValue) async throws {
        try await write(node.kindType, node) { type, name, namespace in
            _ = try await client.patch(type, name: name, namespace: namespace, patchType: .merge, patch)
        }
    }

    /// Runs a typed write for the node's kind; a vanished object is not an error.
    private func write<K: KubeObject>(_ type: K.Type, _ node: OwnershipGraph.Node,
                                      _ body: (K.Type, String, String?) async throws -> Void) async throws {
        do {
            try await body(K.self, node.name, node.namespace)
        } catch let error as KubeClientError where error.isNotFound {
            return
        } catch let error as KubeClientError {
            throw ControllerError.api(error)
        }
    }
}


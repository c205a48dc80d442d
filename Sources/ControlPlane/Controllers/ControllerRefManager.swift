import KubeAPI
import KubeClient

/// Adoption and release of dependents by their controller (upstream's `ControllerRefManager`): an owner claims the
/// objects its selector matches, adopting orphans and releasing those it owns that no longer match.
///
/// Ownership changes are merge patches of `metadata.ownerReferences` carrying the child's resourceVersion, so a
/// change made on a stale copy fails with Conflict and the owner's sync retries.
struct ControllerRefManager<Owner: KubeObject>: Sendable {
    let client: KubeClient
    let owner: Owner
    let selector: LabelSelectorExpression
    /// A finalizer adopted children get with their ownerReference (the Job controller's tracking finalizer).
    var adoptionFinalizer: String? = nil

    /// The children the owner controls after adopting and releasing: those already owned that still match and the
    /// orphans that match. Children owned by another controller are left alone.
    func claim<Child: KubeObject>(_ children: [Child]) async throws -> [Child] {
        var claimed: [Child] = []
        var adoptionChecked = false
        let ownerUID = owner.metadata.uid
        for child in children {
            let matches = selector.matches(child)
            if let ref = child.metadata.controllerRef {
                guard ref.uid == ownerUID else { continue }
                if matches || owner.metadata.deletionTimestamp != nil {
                    claimed.append(child)
                } else if child.metadata.deletionTimestamp == nil {
                    try await release(child)
                }
                continue
            }
            guard matches, owner.metadata.deletionTimestamp == nil, child.metadata.deletionTimestamp == nil else { continue }
            if !adoptionChecked {
                try await recheckOwner()
                adoptionChecked = true
            }
            if let adopted = try await adopt(child) { claimed.append(adopted) }
        }
        return claimed
    }

    /// Re-reads the owner from the server before adopting, so a deleted or re-created owner adopts nothing
    /// (upstream's `RecheckDeletionTimestamp`).
    private func recheckOwner() async throws {
        let fresh = try await client.get(Owner.self, name: owner.metadata.name ?? "", namespace: owner.metadata.namespace)
        guard fresh.metadata.uid == owner.metadata.uid, fresh.metadata.deletionTimestamp == nil else {
            throw ControllerError.retryLater(key: owner.metadata.name ?? "", reason: "owner changed or is being deleted; not adopting")
        }
    }

    /// Adds the owner as controller (and the adoption finalizer); `nil` if the child disappeared meanwhile.
    private func adopt<Child: KubeObject>(_ child: Child) async throws -> Child? {
        let refs = (child.metadata.ownerReferences ?? []) + [owner.controllerReference]
        var finalizers: [String]?
        if let adoptionFinalizer, !(child.metadata.finalizers ?? []).contains(adoptionFinalizer) {
            finalizers = (child.metadata.finalizers ?? []) + [adoptionFinalizer]
        }
        return try await patchOwners(child, refs, finalizers: finalizers)
    }

    /// Removes the owner's reference; a vanished child is fine.
    private func release<Child: KubeObject>(_ child: Child) async throws {
        let refs = (child.metadata.ownerReferences ?? []).filter { $0.uid != owner.metadata.uid }
        _ = try await patchOwners(child, refs)
    }

    private func patchOwners<Child: KubeObject>(_ child: Child, _ refs: [OwnerReference], finalizers: [String]? = nil) async throws -> Child? {
        var metadata: JSONValue = [
            "ownerReferences": refs.isEmpty ? .null : try KubeJSON.value(of: refs),
            "resourceVersion": .string(child.metadata.resourceVersion ?? ""),
        ]
        if let finalizers { metadata["finalizers"] = .array(finalizers.map { .string($0) }) }
        let patch: JSONValue = ["metadata": metadata]
        do {
            return try await client.patch(Child.self, name: child.metadata.name ?? "", namespace: child.metadata.namespace,
                                          patchType: .merge, patch)
        } catch let error where error.isNotFound {
            return nil
        } catch {
            throw ControllerError.api(error)
        }
    }
}

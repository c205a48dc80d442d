import KubeAPI
import Synchronization

/// The garbage collector's view of every object: who owns whom, by uid (upstream's `GraphBuilder` graph).
final class OwnershipGraph: Sendable {
    /// One object, as much of it as collection needs.
    struct Node: Sendable, Hashable {
        /// Index of the kind in `KubeKinds.all`.
        var kind: Int
        var namespace: String?
        var name: String
        var uid: String
        var resourceVersion: String?
        var owners: [OwnerReference]
        var finalizers: [String]
        var deleting: Bool

        var kindType: any KubeObject.Type { KubeKinds.all[kind] }
    }

    private struct State {
        var nodes: [String: Node] = [:]
        var dependents: [String: Set<String>] = [:]
    }

    private let state = Mutex(State())

    /// Records the current state of an object.
    func upsert(_ node: Node) {
        state.withLock { s in
            if let old = s.nodes[node.uid] {
                for owner in old.owners { s.dependents[owner.uid]?.remove(old.uid) }
            }
            s.nodes[node.uid] = node
            for owner in node.owners { s.dependents[owner.uid, default: []].insert(node.uid) }
        }
    }

    /// Forgets a deleted object; its dependents stay indexed under its uid until they change.
    func remove(_ uid: String) {
        state.withLock { s in
            guard let old = s.nodes.removeValue(forKey: uid) else { return }
            for owner in old.owners { s.dependents[owner.uid]?.remove(uid) }
        }
    }

    func node(_ uid: String) -> Node? { state.withLock { $0.nodes[uid] } }

    /// The objects that name `uid` as an owner.
    func dependents(of uid: String) -> [Node] {
        state.withLock { s in (s.dependents[uid] ?? []).sorted().compactMap { s.nodes[$0] } }
    }
}

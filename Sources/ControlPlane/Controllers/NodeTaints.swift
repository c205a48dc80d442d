import Foundation
import KubeAPI
import KubeClient

/// Adds and removes a node's taints as upstream's `SwapNodeControllerTaint` / `RemoveTaintOffNode` do: taints
/// are matched by key and effect, added ones are stamped with `timeAdded`, and the write is a compare-and-swap
/// on the node's resourceVersion, retried against a fresh read on conflict.
struct NodeTaints {
    let client: KubeClient

    /// Makes `node` carry `adding` and none of `removing`. Returns whether the node had to change; a node that no
    /// longer exists is not an error.
    @discardableResult
    func swap(_ node: Node, adding: [Taint], removing: [Taint]) async throws -> Bool {
        var current = node
        for attempt in 0..<5 {
            let existing = current.spec?.taints ?? []
            var taints = existing.filter { taint in !removing.contains { $0.matches(taint) } }
            for taint in adding where !taints.contains(where: { $0.matches(taint) }) {
                var stamped = taint
                stamped.timeAdded = Time.now()
                taints.append(stamped)
            }
            if taints == existing { return false }
            let patch: JSONValue = [
                "metadata": ["resourceVersion": .string(current.metadata.resourceVersion ?? "")],
                "spec": ["taints": taints.isEmpty ? .null : try KubeJSON.value(of: taints)],
            ]
            do {
                _ = try await client.patch(Node.self, name: current.metadata.name ?? "", patchType: .merge, patch)
                return true
            } catch let error where error.isConflict && attempt < 4 {
                current = try await fresh(current)
            } catch let error where error.isNotFound {
                return false
            } catch {
                throw ControllerError.api(error)
            }
        }
        return false
    }

    private func fresh(_ node: Node) async throws -> Node {
        do {
            return try await client.get(Node.self, name: node.metadata.name ?? "")
        } catch {
            throw ControllerError.api(error)
        }
    }
}

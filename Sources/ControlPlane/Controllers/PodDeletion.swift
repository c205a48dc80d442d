import KubeAPI
import KubeClient

/// Deleting a controller's pods in parallel, as ReplicaSets and DaemonSets do: each delete is guarded by the
/// pod's UID, and a delete that fails is counted as observed so the expectation does not wait for it.
enum PodDeletion {
    /// Deletes `pods` and returns the errors (a pod already gone is not one); `outcome` hears of each delete that
    /// succeeded or failed, for the owner's events.
    static func delete(_ pods: [Pod], client: KubeClient, expectations: Expectations, key: String,
                       outcome: (@Sendable (Pod, (any Error)?) -> Void)? = nil) async -> [any Error] {
        await withTaskGroup(of: (any Error)?.self) { group in
            for pod in pods {
                group.addTask {
                    do {
                        try await client.delete(Pod.self, name: pod.metadata.name ?? "", namespace: pod.metadata.namespace,
                                                options: DeleteOptions(preconditions: .init(uid: pod.metadata.uid)))
                        outcome?(pod, nil)
                        return nil
                    } catch {
                        expectations.deletionObserved(key, podKey: pod.key)
                        if error.isNotFound { return nil }
                        outcome?(pod, error)
                        return error
                    }
                }
            }
            return await group.reduce(into: [any Error]()) { if let e = $1 { $0.append(e) } }
        }
    }
}

import KubeAPI
import KubeClient

/// Upstream's RuntimeClassManager: resolves a pod's `runtimeClassName` to the CRI runtime handler its sandbox is
/// created with. No class (or `""`) is the runtime's default handler, `""`. Classes come from the kubelet's
/// RuntimeClass informer once it has synced; a class it has not seen (or before it has synced) is asked from the API
/// server, so a class created just before its pod is found without waiting for the watch.
struct RuntimeClassManager: Sendable {
    let client: KubeClient
    /// Every RuntimeClass, watched (nil: each lookup asks the API server).
    let cache: Informer<RuntimeClass>?

    /// The handler of `runtimeClassName`; throws ``RuntimeClassLookupError`` when the class does not exist or cannot
    /// be read, and then no sandbox may be created.
    func runtimeHandler(for runtimeClassName: String?) async throws(RuntimeClassLookupError) -> String {
        guard let name = runtimeClassName, !name.isEmpty else { return "" }
        if let cache, cache.hasSynced, let runtimeClass = cache.get(name: name) { return runtimeClass.handler }
        do {
            return try await client.get(RuntimeClass.self, name: name).handler
        } catch {
            throw error.isNotFound ? .notFound(name) : .unreadable(name, error)
        }
    }
}

/// Why a pod's RuntimeClass gave no handler, worded as upstream's kubelet reports it in the FailedCreatePodSandBox
/// event (`Failed to create pod sandbox: runtimeclass.node.k8s.io "kata" not found`).
enum RuntimeClassLookupError: Error, CustomStringConvertible {
    case notFound(String)
    case unreadable(String, KubeClientError)

    var description: String {
        switch self {
        case .notFound(let name): "runtimeclass.node.k8s.io \"\(name)\" not found"
        case .unreadable(let name, let error): "failed to lookup RuntimeClass \(name): \(error)"
        }
    }
}

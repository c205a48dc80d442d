import KubeAPI
import Logging
import ServiceLifecycle
import Store

/// Keeps the `kube-dns` Service and EndpointSlice as ``KubeDNSObjects`` defines them while the server runs (as
/// upstream's API server keeps the `kubernetes` Service): it watches the store under their names and runs
/// `ensure()` after every change, so a deleted or edited object is put back within moments.
struct KubeDNSReconciler: ServiceLifecycle.Service {
    let objects: KubeDNSObjects
    let store: any Store
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let revision = try await store.currentRevision()
                    await objects.ensure()
                    try await waitForChange(after: revision)
                } catch is CancellationError {
                    return
                } catch {
                    logger.debug("kube-dns watch ended; restarting", metadata: ["error": "\(error)"])
                    try await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    /// Returns at the first change to the Service or a slice named after it since `revision`.
    private func waitForChange(after revision: Int64) async throws {
        let prefixes = [StoredObject.key(Service.resource, namespace: KubeDNSObjects.namespace, name: KubeDNSObjects.serviceName),
                        StoredObject.key(EndpointSlice.resource, namespace: KubeDNSObjects.namespace, name: KubeDNSObjects.serviceName)]
        let serviceKey = prefixes[0]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for prefix in prefixes {
                let events = try await store.watch(prefix: prefix, afterRevision: revision)
                group.addTask {
                    for try await event in events where prefix != serviceKey || event.current.key == serviceKey { return }
                    throw StoreError.backend("watch of \(prefix) ended")
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}

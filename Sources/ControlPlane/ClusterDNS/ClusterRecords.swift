import Foundation
import KubeAPI
import KubeClient
import Logging
import Synchronization

/// The cluster as DNS sees it, kept current by informers of Services, EndpointSlices and Namespaces (one LIST +
/// WATCH each, as CoreDNS's kubernetes plugin keeps its caches), and read under a lock by the resolver.
///
/// Pods are not watched: pod names are answered in CoreDNS's `pods insecure` mode, straight from the name, and
/// pods behind a headless Service are found through their EndpointSlice entries (`hostname`).
///
/// ```swift
/// let records = ClusterRecords(client: client, logger: logger)
/// async let _ = records.run()
/// try await records.waitForSync()
/// let ip = records.read { index, _, _ in index.service("web", namespace: "default")?.clusterIPs.first }
/// ```
public final class ClusterRecords: Sendable {
    private struct State {
        var index = ClusterIndex()
        /// Unix time of the last change, the zone's SOA serial (as CoreDNS's `Modified`).
        var modified = UInt32(Date().timeIntervalSince1970)
        var synced = false
    }

    private let services: Informer<Service>
    private let slices: Informer<EndpointSlice>
    private let namespaces: Informer<Namespace>
    /// A box, so the informer handlers can share the lock without holding on to `self`.
    private final class Storage: Sendable {
        let state = Mutex(State())
    }

    private let storage = Storage()
    private let logger: Logger

    public init(client: KubeClient, logger: Logger) {
        services = Informer<Service>(client: client, logger: logger)
        slices = Informer<EndpointSlice>(client: client, logger: logger)
        namespaces = Informer<Namespace>(client: client, logger: logger)
        self.logger = logger
        let storage = self.storage
        let change: @Sendable (_ body: (inout ClusterIndex) -> Void) -> Void = { body in
            storage.state.withLock { s in
                body(&s.index)
                s.modified = UInt32(Date().timeIntervalSince1970)
            }
        }
        services.addHandler(InformerHandler(
            onAdd: { service in change { $0.apply(service) } },
            onUpdate: { _, service in change { $0.apply(service) } },
            onDelete: { service in change { $0.remove(serviceNamed: service.metadata.name ?? "", namespace: service.metadata.namespace ?? "") } }))
        slices.addHandler(InformerHandler(
            onAdd: { slice in change { $0.apply(slice) } },
            onUpdate: { _, slice in change { $0.apply(slice) } },
            onDelete: { slice in change { $0.remove(sliceNamed: slice.metadata.name ?? "", namespace: slice.metadata.namespace ?? "") } }))
        namespaces.addHandler(InformerHandler(
            onAdd: { namespace in change { $0.addNamespace(namespace.metadata.name ?? "") } },
            onDelete: { namespace in change { $0.removeNamespace(namespace.metadata.name ?? "") } }))
    }

    /// Watches until the calling task is cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.services.run() }
            group.addTask { await self.slices.run() }
            group.addTask { await self.namespaces.run() }
            group.addTask {
                guard (try? await self.waitForInformers()) != nil else { return }
                // The handlers may still be replaying the first LISTs: file the caches as they are now, then answer.
                let (services, slices, namespaces) = (self.services.list(), self.slices.list(), self.namespaces.list())
                self.storage.state.withLock { s in
                    for namespace in namespaces { s.index.addNamespace(namespace.metadata.name ?? "") }
                    for service in services { s.index.apply(service) }
                    for slice in slices { s.index.apply(slice) }
                    s.synced = true
                }
                self.logger.info("cluster DNS records synced", metadata: [
                    "services": "\(services.count)", "endpointslices": "\(slices.count)", "namespaces": "\(namespaces.count)",
                ])
            }
        }
    }

    private func waitForInformers() async throws {
        try await services.waitForSync()
        try await slices.waitForSync()
        try await namespaces.waitForSync()
    }

    /// Whether the first LISTs are in; until then names in the zone are answered with SERVFAIL, not NXDOMAIN.
    public var isSynced: Bool { storage.state.withLock { $0.synced } }

    /// Waits until the first LISTs are in.
    public func waitForSync() async throws {
        while !isSynced { try await Task.sleep(for: .milliseconds(20)) }
    }

    /// Runs `body` on the current index, the SOA serial and whether the first LISTs are in, under the lock: keep
    /// it short and synchronous.
    public func read<T: Sendable>(_ body: (_ index: ClusterIndex, _ serial: UInt32, _ synced: Bool) -> T) -> T {
        storage.state.withLock { body($0.index, $0.modified, $0.synced) }
    }
}

import KubeAPI
import KubeClient

/// Writes a Service's desired EndpointSlices over the ones a controller already manages for it, as the
/// EndpointSlice and mirroring controllers both do: each desired slice reuses an existing one of its address type —
/// one with the same ports and endpoints first, then the same ports, then any — and is updated only when it differs;
/// a desired slice left without one is created; existing slices left over are deleted.
struct EndpointSliceWriter: Sendable {
    let client: KubeClient
    /// Whether the desired slices' annotations replace the existing ones' (mirrored slices carry their Endpoints').
    var writesAnnotations = false

    func write(_ desired: [EndpointSlice], over existing: [EndpointSlice]) async throws {
        var unused = existing.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
        for var slice in desired {
            let index = unused.firstIndex { $0.addressType == slice.addressType && $0.ports == slice.ports && $0.endpoints == slice.endpoints }
                ?? unused.firstIndex { $0.addressType == slice.addressType && $0.ports == slice.ports }
                ?? unused.firstIndex { $0.addressType == slice.addressType }
            if let index {
                let current = unused.remove(at: index)
                var updated = current
                updated.endpoints = slice.endpoints
                updated.ports = slice.ports
                updated.metadata.labels = slice.metadata.labels
                if writesAnnotations { updated.metadata.annotations = slice.metadata.annotations }
                updated.metadata.ownerReferences = slice.metadata.ownerReferences
                if updated != current { try await apiCall { _ = try await client.update(updated) } }
            } else {
                slice.setTypeMeta()
                try await apiCall { _ = try await client.create(slice) }
            }
        }
        for slice in unused { try await delete(slice) }
    }

    /// An informer handler that queues the Service (its namespace/name key) of every slice managed by `managedBy`
    /// that is added, changed or deleted, so its controller puts back what someone else changed.
    static func enqueueingService(of managedBy: String, into queue: WorkQueue) -> InformerHandler<EndpointSlice> {
        let enqueue: @Sendable (EndpointSlice) async -> Void = { slice in
            guard slice.metadata.labels?[EndpointSliceController.managedByLabel] == managedBy,
                  let service = slice.metadata.labels?[EndpointSliceController.serviceNameLabel] else { return }
            await queue.add(Informer<Service>.key(namespace: slice.metadata.namespace, name: service))
        }
        return InformerHandler(onAdd: enqueue, onUpdate: { _, new in await enqueue(new) }, onDelete: enqueue)
    }

    /// Deletes a slice; one already gone is fine.
    func delete(_ slice: EndpointSlice) async throws {
        do {
            try await client.delete(EndpointSlice.self, name: slice.metadata.name ?? "", namespace: slice.metadata.namespace)
        } catch let error where error.isNotFound {
            return
        } catch {
            throw ControllerError.api(error)
        }
    }

    private func apiCall(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as KubeClientError {
            throw ControllerError.api(error)
        }
    }
}

import Foundation
import KubeAPI
import Logging
import ServiceLifecycle
import Store

/// Keeps the endpoints of the `default/kubernetes` Service — the Endpoints and the EndpointSlice `kubernetes` —
/// naming every running API server, so pods reach the API server at its ClusterIP (`KUBERNETES_SERVICE_HOST`,
/// 10.96.0.1:443) through a node's proxy, as upstream's lease endpoint reconciler does
/// (`--endpoint-reconciler-type=lease`): every 10 s each server renews a lease under `/registry/masterleases/<ip>`
/// with a 15 s time to live, lists the leases and writes the addresses, sorted, with port `https` (the server's
/// port) into the Endpoints (labelled `endpointslice.kubernetes.io/skip-mirror: "true"`) and the slice (labelled
/// `kubernetes.io/service-name: kubernetes`, each address ready); a stopping server removes its lease and itself,
/// never the last address. An edited or deleted object is put back at the next round.
///
/// The address is the one the server listens on; a server on a loopback or wildcard address has none a pod could
/// reach and keeps no endpoints.
struct KubernetesEndpointsReconciler: ServiceLifecycle.Service {
    static let namespace = "default"
    static let serviceName = "kubernetes"
    static let manager = "kube-apiserver"
    static let leasePrefix = "/registry/masterleases/"
    /// Upstream's `--endpoint-reconciler-type=lease` timings: renewal interval and the lease's time to live.
    static let interval: Duration = .seconds(10)
    static let leaseTTL: Duration = .seconds(15)

    let address: String
    /// The port the server listens on, known once it does (the configured one may be 0).
    let port: @Sendable () async -> Int
    let core: ServerCore
    let registry: ResourceRegistry
    let logger: Logger

    /// The address pods can reach for a listen host, or nil for loopback, wildcard and host names.
    static func advertisedAddress(listenHost host: String) -> String? {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }), host != "0.0.0.0", parts[0] != "127" else { return nil }
        return host
    }

    func run() async throws {
        let port = await cancelWhenGracefulShutdown { await self.port() }
        guard !Task.isCancelled, port > 0 else { return }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await reconcile(port: port)
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("cannot update the kubernetes Service's endpoints", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: Self.interval)
            }
        }
        // Stopping: this server's address goes, unless it is the last one (upstream refuses to erase them all).
        do {
            _ = try await core.store.delete(key: Self.leasePrefix + address, expectedRevision: nil)
            let others = try await leasedAddresses()
            if !others.isEmpty { try await write(addresses: others, port: port) }
        } catch {
            logger.debug("cannot remove this server from the kubernetes Service's endpoints", metadata: ["error": "\(error)"])
        }
    }

    /// Renews this server's lease and writes the addresses of every server holding one.
    func reconcile(port: Int) async throws {
        let key = Self.leasePrefix + address
        let lease = try KubeJSON.encode(Endpoints(metadata: ObjectMeta(name: address),
                                                  subsets: [EndpointSubset(addresses: [EndpointAddress(ip: address)])]))
        if try await core.store.get(key: key) != nil {
            _ = try await core.store.update(key: key, value: lease, expectedRevision: nil, ttl: Self.leaseTTL)
        } else {
            _ = try await core.store.create(key: key, value: lease, ttl: Self.leaseTTL)
        }
        var addresses = try await leasedAddresses()
        if !addresses.contains(address) { addresses = (addresses + [address]).sorted() }
        try await write(addresses: addresses, port: port)
    }

    /// The addresses of the leases not yet expired, sorted.
    private func leasedAddresses() async throws -> [String] {
        let listed = try await core.store.list(prefix: Self.leasePrefix, startAfter: nil, limit: 0, revision: nil)
        let expiring = try await core.store.expirations(prefix: Self.leasePrefix)
        return listed.items.compactMap { kv -> String? in
            if let left = expiring[kv.key], left <= .zero { return nil }
            return String(kv.key.dropFirst(Self.leasePrefix.count))
        }.sorted()
    }

    /// Creates or corrects the Endpoints and the EndpointSlice for `addresses`.
    private func write(addresses: [String], port: Int) async throws {
        let ports = [EndpointPort(name: "https", port: Int32(port), protocol: "TCP")]
        let subsets = [EndpointSubset(addresses: addresses.map { EndpointAddress(ip: $0) }, ports: ports)]
        let endpointsKey = StoredObject.key(Endpoints.resource, namespace: Self.namespace, name: Self.serviceName)
        if let kv = try await core.store.get(key: endpointsKey) {
            var current = try KubeJSON.decode(Endpoints.self, from: kv.value)
            current.metadata.resourceVersion = String(kv.modRevision)
            var fixed = current
            fixed.subsets = subsets
            fixed.metadata.labels = (current.metadata.labels ?? [:]).merging(["endpointslice.kubernetes.io/skip-mirror": "true"]) { _, ours in ours }
            if fixed != current {
                try await registry.send(Endpoints.self, method: "PUT", namespace: Self.namespace, name: Self.serviceName, body: fixed, manager: Self.manager)
            }
        } else {
            let endpoints = Endpoints(metadata: ObjectMeta(name: Self.serviceName, namespace: Self.namespace,
                                                           labels: ["endpointslice.kubernetes.io/skip-mirror": "true"]),
                                      subsets: subsets)
            try await registry.send(Endpoints.self, method: "POST", namespace: Self.namespace, body: endpoints, manager: Self.manager)
        }
        let sliceKey = StoredObject.key(EndpointSlice.resource, namespace: Self.namespace, name: Self.serviceName)
        let endpoints = addresses.map { Endpoint(addresses: [$0], conditions: EndpointConditions(ready: true)) }
        let slicePorts = [EndpointSlicePort(name: "https", protocol: "TCP", port: Int32(port))]
        if let kv = try await core.store.get(key: sliceKey) {
            var current = try KubeJSON.decode(EndpointSlice.self, from: kv.value)
            current.metadata.resourceVersion = String(kv.modRevision)
            var fixed = current
            fixed.addressType = "IPv4"
            fixed.endpoints = endpoints
            fixed.ports = slicePorts
            fixed.metadata.labels = (current.metadata.labels ?? [:]).merging(["kubernetes.io/service-name": Self.serviceName]) { _, ours in ours }
            if fixed != current {
                try await registry.send(EndpointSlice.self, method: "PUT", namespace: Self.namespace, name: Self.serviceName, body: fixed, manager: Self.manager)
            }
        } else {
            let slice = EndpointSlice(metadata: ObjectMeta(name: Self.serviceName, namespace: Self.namespace,
                                                           labels: ["kubernetes.io/service-name": Self.serviceName]),
                                      addressType: "IPv4", endpoints: endpoints, ports: slicePorts)
            try await registry.send(EndpointSlice.self, method: "POST", namespace: Self.namespace, body: slice, manager: Self.manager)
        }
    }
}

import Foundation
import KubeAPI
import Logging
import Store

/// The objects that make the built-in cluster DNS reachable the way pods expect it: the `kube-system/kube-dns`
/// Service (labels `k8s-app: kube-dns`, `kubernetes.io/cluster-service: "true"`; ClusterIP the tenth address of
/// the range, 10.96.0.10 by default, the kubelet's `--cluster-dns`; ports `dns` 53/UDP and `dns-tcp` 53/TCP; no
/// selector) and one EndpointSlice `kube-dns-<suffix>` naming the DNS server's address and port, so a node's
/// proxy DNATs ClusterIP:53 to it.
///
/// Written through the resource handlers, as `Bootstrap` writes the `kubernetes` Service, so the ClusterIP is
/// allocated like any other. `ensure()` is idempotent: it creates what is missing, puts back what someone changed
/// and removes extra slices it manages; `KubeDNSReconciler` runs it whenever one of them changes. The
/// EndpointSlice controller leaves them alone: it manages slices of Services with a selector only.
struct KubeDNSObjects: Sendable {
    static let namespace = "kube-system"
    static let serviceName = "kube-dns"
    static let serviceLabels = ["k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true"]
    static let managedBy = "swiftlet-server"
    static let sliceLabels = ["kubernetes.io/service-name": serviceName, "endpointslice.kubernetes.io/managed-by": managedBy]
    /// The ClusterIP's offset in the range, as kubeadm picks it.
    static let clusterIPOffset: UInt32 = 10

    let endpoint: APIServer.ClusterDNSEndpoint
    let core: ServerCore
    let registry: ResourceRegistry
    let logger: Logger

    /// Makes both objects as they should be; failures are logged (the API server serves on without cluster DNS
    /// objects, say when another Service holds the address) and retried on the next change.
    func ensure() async {
        do {
            try await ensureService()
            try await ensureSlice()
        } catch {
            logger.error("cannot maintain the kube-dns Service", metadata: ["error": "\(error)"])
        }
    }

    // MARK: The Service

    func desiredService(clusterIP: String) -> Service {
        let ports = [ServicePort(name: "dns", protocol: "UDP", port: 53, targetPort: .int(Int32(endpoint.port))),
                     ServicePort(name: "dns-tcp", protocol: "TCP", port: 53, targetPort: .int(Int32(endpoint.port)))]
        return Service(metadata: ObjectMeta(name: Self.serviceName, namespace: Self.namespace, labels: Self.serviceLabels),
                       spec: ServiceSpec(ports: ports, clusterIP: clusterIP, type: "ClusterIP"))
    }

    private func ensureService() async throws {
        let clusterIP = await core.admission.serviceIPs.address(at: Self.clusterIPOffset)
        let desired = desiredService(clusterIP: clusterIP)
        let key = StoredObject.key(Service.resource, namespace: Self.namespace, name: Self.serviceName)
        guard let kv = try await core.store.get(key: key) else {
            try await send(Service.self, method: "POST", body: desired)
            logger.info("created the kube-dns Service", metadata: ["clusterIP": "\(clusterIP)"])
            return
        }
        var current = try KubeJSON.decode(Service.self, from: kv.value)
        current.metadata.resourceVersion = String(kv.modRevision)
        if current.spec?.clusterIP != clusterIP {
            // The ClusterIP cannot change in place (the range changed since it was made): make it anew.
            try await send(Service.self, method: "DELETE", name: Self.serviceName)
            try await send(Service.self, method: "POST", body: desired)
            logger.notice("recreated the kube-dns Service with a new ClusterIP", metadata: ["clusterIP": "\(clusterIP)"])
            return
        }
        var fixed = current
        fixed.metadata.labels = (current.metadata.labels ?? [:]).merging(Self.serviceLabels) { _, ours in ours }
        fixed.spec?.type = "ClusterIP"
        fixed.spec?.selector = nil
        fixed.spec?.ports = desired.spec?.ports
        guard fixed != current else { return }
        try await send(Service.self, method: "PUT", name: Self.serviceName, body: fixed)
        logger.notice("put the kube-dns Service back as it should be")
    }

    // MARK: The EndpointSlice

    func desiredSlice() -> EndpointSlice {
        EndpointSlice(metadata: ObjectMeta(generateName: Self.serviceName + "-", namespace: Self.namespace, labels: Self.sliceLabels),
                      addressType: endpoint.address.contains(":") ? "IPv6" : "IPv4",
                      endpoints: [Endpoint(addresses: [endpoint.address], conditions: EndpointConditions(ready: true, serving: true, terminating: false))],
                      ports: [EndpointSlicePort(name: "dns", protocol: "UDP", port: Int32(endpoint.port)),
                              EndpointSlicePort(name: "dns-tcp", protocol: "TCP", port: Int32(endpoint.port))])
    }

    private func ensureSlice() async throws {
        let prefix = StoredObject.prefix(EndpointSlice.resource, namespace: Self.namespace)
        let listed = try await core.store.list(prefix: prefix, startAfter: nil, limit: 0, revision: nil)
        var ours: [EndpointSlice] = []
        for kv in listed.items {
            guard var slice = try? KubeJSON.decode(EndpointSlice.self, from: kv.value),
                  slice.metadata.labels?["endpointslice.kubernetes.io/managed-by"] == Self.managedBy,
                  slice.metadata.labels?["kubernetes.io/service-name"] == Self.serviceName else { continue }
            slice.metadata.resourceVersion = String(kv.modRevision)
            ours.append(slice)
        }
        let desired = desiredSlice()
        guard let current = ours.first else {
            try await send(EndpointSlice.self, method: "POST", body: desired)
            logger.info("created the kube-dns EndpointSlice", metadata: ["endpoint": "\(endpoint.address):\(endpoint.port)"])
            return
        }
        for extra in ours.dropFirst() {
            try await send(EndpointSlice.self, method: "DELETE", name: extra.metadata.name ?? "")
        }
        var fixed = current
        fixed.metadata.labels = (current.metadata.labels ?? [:]).merging(Self.sliceLabels) { _, ours in ours }
        fixed.addressType = desired.addressType
        fixed.endpoints = desired.endpoints
        fixed.ports = desired.ports
        guard fixed != current else { return }
        try await send(EndpointSlice.self, method: "PUT", name: current.metadata.name ?? "", body: fixed)
        logger.notice("put the kube-dns EndpointSlice back as it should be", metadata: ["name": "\(current.metadata.name ?? "")"])
    }

    // MARK: Writing through the handlers

    /// One request to the kind's handler in kube-system; a 404 on DELETE counts as done.
    private func send<K: KubeObject>(_ type: K.Type, method: String, name: String? = nil, body: K? = nil) async throws {
        try await registry.send(type, method: method, namespace: Self.namespace, name: name, body: body,
                                manager: Self.managedBy)
    }
}

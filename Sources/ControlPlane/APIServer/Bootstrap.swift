import Foundation
import KubeAPI
import Logging
import Store

/// What a new cluster starts with and what a restart rebuilds: the system namespaces, the `kubernetes`
/// Service, and the allocators' view of the addresses and ports in use.
struct Bootstrap {
    let core: ServerCore
    let registry: ResourceRegistry
    let logger: Logger

    func run() async throws {
        // Rebuild allocations from stored Services.
        let services = try await core.store.list(prefix: StoredObject.prefix(Service.resource, namespace: nil), startAfter: nil, limit: 0, revision: nil)
        for kv in services.items {
            guard let service = try? KubeJSON.decode(Service.self, from: kv.value) else { continue }
            if let ip = service.spec?.clusterIP, ip != "None", !ip.isEmpty { await core.admission.serviceIPs.markAllocated(ip) }
            for port in service.spec?.ports ?? [] where (port.nodePort ?? 0) > 0 {
                await core.admission.nodePorts.markAllocated(Int(port.nodePort!))
            }
            if let spec = service.spec, ServiceStrategy.needsHealthCheckNodePort(spec), let port = spec.healthCheckNodePort, port > 0 {
                await core.admission.nodePorts.markAllocated(Int(port))
            }
        }
        for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            try await ensure(Namespace(metadata: ObjectMeta(name: name)), path: ResourcePath(group: "", version: "v1", namespace: nil, plural: "namespaces"))
        }
        let kubernetesIP = await core.admission.serviceIPs.firstAddress
        let service = Service(metadata: ObjectMeta(name: "kubernetes", namespace: "default", labels: ["component": "apiserver", "provider": "kubernetes"]),
                              spec: ServiceSpec(ports: [ServicePort(name: "https", protocol: "TCP", port: 443, targetPort: .int(6443))],
                                                clusterIP: kubernetesIP, type: "ClusterIP"))
        try await ensure(service, path: ResourcePath(group: "", version: "v1", namespace: "default", plural: "services"))
        for priorityClass in PriorityClass.systemClasses {
            try await ensure(priorityClass, path: ResourcePath(group: "scheduling.k8s.io", version: "v1", namespace: nil, plural: "priorityclasses"))
        }
    }

    /// Creates `object` through its handler unless it exists.
    private func ensure<K: KubeObject>(_ object: K, path: ResourcePath) async throws {
        let key = StoredObject.key(K.resource, namespace: object.metadata.namespace, name: object.metadata.name ?? "")
        guard try await core.store.get(key: key) == nil,
              let handler = registry.handler(group: K.resource.group, version: K.resource.version, plural: K.resource.plural)
        else { return }
        let request = APIRequest(method: "POST", path: "", query: ["fieldManager": "swiftlet-server"], headers: [:],
                                 body: try KubeJSON.encode(object))
        let response = await handler.handle(request, path: path)
        if response.status >= 300, response.status != 409 {
            throw StoreError.backend("bootstrap of \(K.resource.kind) \(object.metadata.name ?? ""): HTTP \(response.status)")
        }
        logger.info("bootstrapped", metadata: ["kind": "\(K.resource.kind)", "name": "\(object.metadata.name ?? "")"])
    }
}

import Foundation
import KubeAPI
import KubeClient
import Logging

/// ConfigMaps and Secrets a pod refers to (env, volumes and image pull secrets), read from watched local copies
/// (``ObjectWatchCache``); a Secret's values come back decoded from base64. Service-account tokens for projected
/// volumes come from `tokens`; Services (for the containers' service variables) from the kubelet's Service informer
/// once it has synced.
struct PodObjects: Sendable {
    let client: KubeClient
    let tokens: TokenManager
    /// Every Service, watched (upstream's kubelet reads them from its service lister); nil, or not yet synced: asked
    /// from the API server.
    let serviceCache: Informer<Service>?
    private let configMaps: ObjectWatchCache<ConfigMap>
    private let secrets: ObjectWatchCache<Secret>

    init(client: KubeClient, services: Informer<Service>? = nil, logger: Logger) {
        self.client = client
        tokens = TokenManager(client: client)
        serviceCache = services
        configMaps = ObjectWatchCache(client: client, logger: logger)
        secrets = ObjectWatchCache(client: client, logger: logger)
    }

    /// The data of the ConfigMap `name` in the pod's namespace, nil when it does not exist.
    func configMap(_ name: String, for pod: Pod) async throws -> [String: Data]? {
        guard let map = try await configMaps.get(name: name, namespace: pod.metadata.namespace ?? "default", podUID: pod.metadata.uid ?? "") else {
            return nil
        }
        var data = (map.data ?? [:]).mapValues { Data($0.utf8) }
        for (key, value) in map.binaryData ?? [:] { data[key] = Data(base64Encoded: value) }
        return data
    }

    /// The decoded data of the Secret `name` in the pod's namespace, nil when it does not exist.
    func secret(_ name: String, for pod: Pod) async throws -> [String: Data]? {
        guard let secret = try await secrets.get(name: name, namespace: pod.metadata.namespace ?? "default", podUID: pod.metadata.uid ?? "") else {
            return nil
        }
        return (secret.data ?? [:]).compactMapValues { Data(base64Encoded: $0) }
    }

    /// Forgets what the pod referred to: its tokens, and the watches of objects no other pod reads.
    func release(podUID: String) {
        tokens.forget(podUID: podUID)
        configMaps.release(podUID: podUID)
        secrets.release(podUID: podUID)
    }
}

extension PodObjects {
    /// The Services whose variables a pod's containers get: `default/kubernetes` always, and with service
    /// links every Service of `namespace` (which wins over the API server's on a name clash, as upstream).
    func services(namespace: String, serviceLinks: Bool) async throws -> [Service] {
        var byName: [String: Service] = [:]
        // From the watch cache: a list and a get less for every container started (thirty pods starting at once
        // asked the API server sixty times).
        if let cache = serviceCache, cache.hasSynced {
            if serviceLinks {
                for service in cache.list(namespace: namespace) { byName[service.metadata.name ?? ""] = service }
            }
            if byName["kubernetes"] == nil || !serviceLinks {
                byName["kubernetes"] = cache.get(name: "kubernetes", namespace: "default")
            }
            return Array(byName.values)
        }
        if serviceLinks {
            for service in try await client.list(Service.self, namespace: namespace).items { byName[service.metadata.name ?? ""] = service }
        }
        if byName["kubernetes"] == nil || !serviceLinks {
            do {
                byName["kubernetes"] = try await client.get(Service.self, name: "kubernetes", namespace: "default")
            } catch {
                if !error.isNotFound { throw error }
            }
        }
        return Array(byName.values)
    }
}

/// Why a container cannot be configured yet: the kubelet reports it as the container's waiting reason
/// (`CreateContainerConfigError`) and retries.
struct ContainerConfigError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

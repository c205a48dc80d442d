import KubeAPI
import KubeClient

/// What the EndpointSlice and Endpoints controllers share: which pods back a Service and on which ports.
enum ServiceEndpoints {
    /// The pod selector of a Service that gets endpoints; `nil` for Services without one (their endpoints are
    /// managed by hand) and ExternalName Services.
    static func selector(of service: Service) -> LabelSelectorExpression? {
        guard service.spec?.type != "ExternalName", let selector = service.spec?.selector else { return nil }
        return LabelSelectorExpression(matchLabels: selector)
    }

    /// Pods that belong in the Service's endpoints: selected, with an IP, not finished (upstream's
    /// `ShouldPodBeInEndpoints`; terminating pods stay, marked terminating).
    static func pods(of service: Service, in informer: Informer<Pod>) -> [Pod] {
        guard let selector = selector(of: service) else { return [] }
        return informer.list(namespace: service.metadata.namespace, labelSelector: selector).filter { pod in
            guard let ip = pod.status?.podIP, !ip.isEmpty else { return false }
            return pod.status?.phase != "Succeeded" && pod.status?.phase != "Failed"
        }.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
    }

    /// Keys of the Services in the pod's namespace whose selector matches it.
    static func serviceKeys(selecting pod: Pod, in services: Informer<Service>) -> [String] {
        services.list(namespace: pod.metadata.namespace).compactMap { service in
            guard let selector = selector(of: service), selector.matches(pod) else { return nil }
            return Informer.key(for: service)
        }
    }

    /// The container port a Service port targets on this pod: a number as is, a name looked up among the pod's
    /// container ports of the same protocol; `nil` when the pod has no port of that name.
    static func targetPort(_ port: ServicePort, on pod: Pod) -> Int32? {
        switch port.targetPort {
        case nil: return port.port
        case .int(let number)?: return number
        case .string(let name)?:
            if let number = Int32(name) { return number }
            let proto = port.protocol ?? "TCP"
            for container in pod.spec?.containers ?? [] {
                for cp in container.ports ?? [] where cp.name == name && (cp.protocol ?? "TCP") == proto {
                    return cp.containerPort
                }
            }
            return nil
        }
    }

    /// Whether the Service publishes pods that are not ready as ready (for peer discovery).
    static func publishesNotReady(_ service: Service) -> Bool { service.spec?.publishNotReadyAddresses == true }

    /// The reference from an endpoint to its pod.
    static func reference(to pod: Pod) -> ObjectReference {
        ObjectReference(kind: "Pod", namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid)
    }

    /// The pod's DNS hostname within the Service, when the pod asks for one under this Service's subdomain.
    static func hostname(of pod: Pod, in service: Service) -> String? {
        guard let hostname = pod.spec?.hostname, !hostname.isEmpty, pod.spec?.subdomain == service.metadata.name else { return nil }
        return hostname
    }

    /// Queues Services for pod changes: those selecting the old and the new labels.
    static func podHandler(services: Informer<Service>, queue: WorkQueue) -> InformerHandler<Pod> {
        InformerHandler(
            onAdd: { pod in for key in serviceKeys(selecting: pod, in: services) { await queue.add(key) } },
            onUpdate: { old, new in
                guard old.metadata.resourceVersion != new.metadata.resourceVersion else { return }
                let keys = Set(serviceKeys(selecting: old, in: services) + serviceKeys(selecting: new, in: services))
                for key in keys.sorted() { await queue.add(key) }
            },
            onDelete: { pod in for key in serviceKeys(selecting: pod, in: services) { await queue.add(key) } })
    }
}

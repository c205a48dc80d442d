import CRI
import KubeAPI

/// Pod → CRI `PodSandboxConfig`, as the kubelet's `generatePodSandboxConfig`: metadata, hostname, log
/// directory, DNS per dnsPolicy, host port mappings, labels, namespace options, cgroup parent, sysctls.
struct SandboxConfigBuilder {
    let configuration: KubeletConfiguration

    func build(_ pod: Pod, attempt: UInt32) -> Runtime_V1_PodSandboxConfig {
        let spec = pod.spec
        var config = Runtime_V1_PodSandboxConfig()
        config.metadata.name = pod.metadata.name ?? ""
        config.metadata.namespace = pod.metadata.namespace ?? "default"
        config.metadata.uid = pod.metadata.uid ?? ""
        config.metadata.attempt = attempt
        config.hostname = String((spec?.hostname ?? pod.metadata.name ?? "").prefix(63))
        config.logDirectory = logDirectory(pod)
        config.labels = (pod.metadata.labels ?? [:]).merging(PodLabels.sandbox(pod)) { _, kubelet in kubelet }
        config.annotations = pod.metadata.annotations ?? [:]
        if let dns = dnsConfig(pod) { config.dnsConfig = dns }
        config.portMappings = (spec?.containers ?? []).flatMap { $0.ports ?? [] }.compactMap { port in
            guard let hostPort = port.hostPort, hostPort > 0 else { return nil }
            var mapping = Runtime_V1_PortMapping()
            mapping.containerPort = port.containerPort
            mapping.hostPort = hostPort
            mapping.hostIp = port.hostIP ?? ""
            mapping.protocol = port.protocol == "UDP" ? .udp : port.protocol == "SCTP" ? .sctp : .tcp
            return mapping
        }
        config.linux.cgroupParent = QOSClass(pod).cgroupParent(podUID: pod.metadata.uid ?? "", cgroupRoot: configuration.cgroupRoot)
        config.linux.securityContext.namespaceOptions = Self.namespaceOptions(pod)
        if let user = spec?.securityContext?.runAsUser { config.linux.securityContext.runAsUser.value = user }
        for sysctl in spec?.securityContext?.sysctls ?? [] { config.linux.sysctls[sysctl.name] = sysctl.value }
        return config
    }

    /// `<podLogDirectory>/<namespace>_<name>_<uid>`.
    func logDirectory(_ pod: Pod) -> String {
        "\(configuration.podLogDirectory)/\(pod.metadata.namespace ?? "default")_\(pod.metadata.name ?? "")_\(pod.metadata.uid ?? "")"
    }

    static func namespaceOptions(_ pod: Pod) -> Runtime_V1_NamespaceOption {
        var options = Runtime_V1_NamespaceOption()
        options.network = pod.spec?.hostNetwork == true ? .node : .pod
        options.ipc = pod.spec?.hostIPC == true ? .node : .pod
        options.pid = pod.spec?.hostPID == true ? .node : pod.spec?.shareProcessNamespace == true ? .pod : .container
        return options
    }

    /// resolv.conf contents by dnsPolicy: ClusterFirst uses `--cluster-dns` with the namespace's search path
    /// (and falls back to the node's resolv.conf without one, as the kubelet does), Default the node's,
    /// None only `dnsConfig`; `dnsConfig` is merged in for all.
    func dnsConfig(_ pod: Pod) -> Runtime_V1_DNSConfig? {
        let policy = pod.spec?.dnsPolicy ?? "ClusterFirst"
        let hostNetwork = pod.spec?.hostNetwork == true
        var dns = Runtime_V1_DNSConfig()
        let clusterFirst = (policy == "ClusterFirst" && !hostNetwork) || policy == "ClusterFirstWithHostNet"
        if clusterFirst, !configuration.clusterDNS.isEmpty {
            let namespace = pod.metadata.namespace ?? "default", domain = configuration.clusterDomain
            dns.servers = configuration.clusterDNS
            dns.searches = ["\(namespace).svc.\(domain)", "svc.\(domain)", domain]
            dns.options = ["ndots:5"]
        }
        if let extra = pod.spec?.dnsConfig {
            dns.servers += (extra.nameservers ?? []).filter { !dns.servers.contains($0) }
            dns.searches += (extra.searches ?? []).filter { !dns.searches.contains($0) }
            for option in extra.options ?? [] {
                guard let name = option.name else { continue }
                dns.options.removeAll { $0 == name || $0.hasPrefix(name + ":") }
                dns.options.append(option.value.map { "\(name):\($0)" } ?? name)
            }
        }
        return dns.servers.isEmpty && dns.searches.isEmpty && dns.options.isEmpty ? nil : dns
    }
}

/// The labels the kubelet puts on sandboxes and containers to find them again.
enum PodLabels {
    static let podName = "io.kubernetes.pod.name"
    static let podNamespace = "io.kubernetes.pod.namespace"
    static let podUID = "io.kubernetes.pod.uid"
    static let containerName = "io.kubernetes.container.name"

    static func sandbox(_ pod: Pod) -> [String: String] {
        [podName: pod.metadata.name ?? "", podNamespace: pod.metadata.namespace ?? "default", podUID: pod.metadata.uid ?? ""]
    }
}

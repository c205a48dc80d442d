import CRI
import Foundation

/// Builders for the CRI requests the runtime tests and the CRI benchmark send, shaped like the kubelet's: the
/// namespace options as the kubelet sets them for a pod (network and IPC of the pod; a PID namespace per container
/// unless `sharePID`, `shareProcessNamespace: true`), on the sandbox and on each of its containers alike.
public enum CRIRequests {
    public static func sandboxConfig(name: String, uid: String = UUID().uuidString.lowercased(), namespace: String = "default",
                                     logDirectory: String, sharePID: Bool = false) -> Runtime_V1_PodSandboxConfig {
        var config = Runtime_V1_PodSandboxConfig()
        config.linux.securityContext.namespaceOptions = namespaceOptions(sharePID: sharePID)
        config.metadata.name = name
        config.metadata.namespace = namespace
        config.metadata.uid = uid
        config.metadata.attempt = 0
        config.hostname = name
        config.logDirectory = logDirectory
        config.labels = ["app": name, "io.kubernetes.pod.name": name, "io.kubernetes.pod.namespace": namespace]
        config.dnsConfig.servers = ["10.96.0.10"]
        config.dnsConfig.searches = ["\(namespace).svc.cluster.local", "svc.cluster.local"]
        config.dnsConfig.options = ["ndots:5"]
        return config
    }

    public static func containerConfig(name: String, image: String, command: [String] = [], args: [String] = [],
                                       env: [String: String] = [:], sharePID: Bool = false) -> Runtime_V1_ContainerConfig {
        var config = Runtime_V1_ContainerConfig()
        config.linux.securityContext.namespaceOptions = namespaceOptions(sharePID: sharePID)
        config.metadata.name = name
        config.image.image = image
        config.command = command
        config.args = args
        config.logPath = "\(name)/0.log"
        config.envs = env.sorted { $0.key < $1.key }.map { key, value in
            var pair = Runtime_V1_KeyValue()
            pair.key = key
            pair.value = value
            return pair
        }
        config.labels = ["io.kubernetes.container.name": name]
        return config
    }

    /// The kubelet's options for a pod on the pod network: POD network and IPC, PID per container or shared.
    public static func namespaceOptions(sharePID: Bool) -> Runtime_V1_NamespaceOption {
        var options = Runtime_V1_NamespaceOption()
        options.network = .pod
        options.ipc = .pod
        options.pid = sharePID ? .pod : .container
        return options
    }

    public static func create(_ sandboxID: String, _ config: Runtime_V1_ContainerConfig, _ sandbox: Runtime_V1_PodSandboxConfig) -> Runtime_V1_CreateContainerRequest {
        var request = Runtime_V1_CreateContainerRequest()
        request.podSandboxID = sandboxID
        request.config = config
        request.sandboxConfig = sandbox
        return request
    }

    public static func run(_ config: Runtime_V1_PodSandboxConfig) -> Runtime_V1_RunPodSandboxRequest {
        var request = Runtime_V1_RunPodSandboxRequest()
        request.config = config
        return request
    }

    public static func stopSandbox(_ id: String) -> Runtime_V1_StopPodSandboxRequest {
        var request = Runtime_V1_StopPodSandboxRequest()
        request.podSandboxID = id
        return request
    }

    public static func removeSandbox(_ id: String) -> Runtime_V1_RemovePodSandboxRequest {
        var request = Runtime_V1_RemovePodSandboxRequest()
        request.podSandboxID = id
        return request
    }

    public static func start(_ id: String) -> Runtime_V1_StartContainerRequest {
        var request = Runtime_V1_StartContainerRequest()
        request.containerID = id
        return request
    }

    public static func stop(_ id: String, timeout: Int64) -> Runtime_V1_StopContainerRequest {
        var request = Runtime_V1_StopContainerRequest()
        request.containerID = id
        request.timeout = timeout
        return request
    }

    public static func status(_ id: String) -> Runtime_V1_ContainerStatusRequest {
        var request = Runtime_V1_ContainerStatusRequest()
        request.containerID = id
        return request
    }

    public static func exec(_ id: String, _ command: [String], timeout: Int64 = 10) -> Runtime_V1_ExecSyncRequest {
        var request = Runtime_V1_ExecSyncRequest()
        request.containerID = id
        request.cmd = command
        request.timeout = timeout
        return request
    }

    public static func pull(_ image: String) -> Runtime_V1_PullImageRequest {
        var request = Runtime_V1_PullImageRequest()
        request.image.image = image
        return request
    }
}

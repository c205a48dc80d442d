import CNI
import CRI
import Foundation
import GRPCCore
import Logging
import Metrics

/// CRI v1 `RuntimeService` over ``ContainerRuntime``: decodes each call, runs it, and maps failures to gRPC
/// statuses (``RuntimeError`` keeps its code; anything unexpected is `unknown` with its description).
/// `Exec`, `Attach` and `PortForward` grant URLs on the ``StreamingServer``. Calls this runtime does not offer yet
/// (checkpointing, the streaming list/stats variants, pod-level resource updates) answer `unimplemented`, which the kubelet
/// treats as "feature not supported".
public struct CRIRuntimeService: Runtime_V1_RuntimeService.SimpleServiceProtocol {
    /// The name and version reported by `Version`.
    public static let runtimeName = "swiftlet"
    public static let runtimeVersion = "0.1.0"

    let runtime: ContainerRuntime
    let logger: Logger

    public init(runtime: ContainerRuntime, logger: Logger) {
        self.runtime = runtime
        self.logger = logger
    }

    /// Runs a call, logging and mapping its failure, and records `swiftlet_runtime_cri_requests_total{method,code}`
    /// and `swiftlet_runtime_cri_request_duration_seconds{method}`.
    private func serve<R>(_ method: String, _ body: () async throws -> R) async throws -> R {
        let started = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - started
            Metrics.Timer(label: "swiftlet_runtime_cri_request_duration_seconds", dimensions: [("method", method)])
                .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
        do {
            let result = try await body()
            Counter(label: "swiftlet_runtime_cri_requests_total", dimensions: [("method", method), ("code", "ok")]).increment()
            return result
        } catch {
            let rpc = RuntimeError.rpcError(from: error)
            Counter(label: "swiftlet_runtime_cri_requests_total", dimensions: [("method", method), ("code", "\(rpc.code)")]).increment()
            logger.debug("CRI call failed", metadata: ["method": "\(method)", "code": "\(rpc.code)", "error": "\(rpc.message)"])
            throw rpc
        }
    }

    public func version(request: Runtime_V1_VersionRequest, context: ServerContext) async throws -> Runtime_V1_VersionResponse {
        var response = Runtime_V1_VersionResponse()
        response.version = "0.1.0"
        response.runtimeName = Self.runtimeName
        response.runtimeVersion = Self.runtimeVersion
        response.runtimeApiVersion = "v1"
        return response
    }

    public func status(request: Runtime_V1_StatusRequest, context: ServerContext) async throws -> Runtime_V1_StatusResponse {
        var runtimeReady = Runtime_V1_RuntimeCondition()
        runtimeReady.type = "RuntimeReady"
        runtimeReady.status = true
        var networkReady = Runtime_V1_RuntimeCondition()
        networkReady.type = "NetworkReady"
        do {
            _ = try ConfigDirectory(path: runtime.configuration.cniConfigDirectory).defaultNetwork()
            networkReady.status = true
        } catch {
            networkReady.status = false
            networkReady.reason = "NetworkPluginNotReady"
            networkReady.message = "Network plugin returns error: cni plugin not initialized: \(error.msg)"
        }
        var response = Runtime_V1_StatusResponse()
        response.status.conditions = [runtimeReady, networkReady]
        response.runtimeHandlers = RuntimeConfiguration.runtimeHandlers.map { name in
            var handler = Runtime_V1_RuntimeHandler()
            handler.name = name
            handler.features = Runtime_V1_RuntimeHandlerFeatures()
            return handler
        }
        if request.verbose {
            let configuration = runtime.configuration
            response.info["config"] = """
                {"root":"\(configuration.root)","state":"\(configuration.state)","runcRoot":"\(configuration.runcRoot)","cniConfDir":"\(configuration.cniConfigDirectory)",\
                "cniBinDirs":["\(configuration.cniPluginDirectories.joined(separator: "\",\""))"],"sandboxImage":"\(configuration.pauseImage)"}
                """
        }
        return response
    }

    public func runPodSandbox(request: Runtime_V1_RunPodSandboxRequest, context: ServerContext) async throws -> Runtime_V1_RunPodSandboxResponse {
        try await serve("RunPodSandbox") {
            var response = Runtime_V1_RunPodSandboxResponse()
            response.podSandboxID = try await runtime.runPodSandbox(request.config, runtimeHandler: request.runtimeHandler)
            return response
        }
    }

    public func stopPodSandbox(request: Runtime_V1_StopPodSandboxRequest, context: ServerContext) async throws -> Runtime_V1_StopPodSandboxResponse {
        try await serve("StopPodSandbox") {
            try await runtime.stopPodSandbox(request.podSandboxID)
            return Runtime_V1_StopPodSandboxResponse()
        }
    }

    public func removePodSandbox(request: Runtime_V1_RemovePodSandboxRequest, context: ServerContext) async throws -> Runtime_V1_RemovePodSandboxResponse {
        try await serve("RemovePodSandbox") {
            try await runtime.removePodSandbox(request.podSandboxID)
            return Runtime_V1_RemovePodSandboxResponse()
        }
    }

    public func podSandboxStatus(request: Runtime_V1_PodSandboxStatusRequest, context: ServerContext) async throws -> Runtime_V1_PodSandboxStatusResponse {
        try await serve("PodSandboxStatus") { try await runtime.podSandboxStatus(request.podSandboxID, verbose: request.verbose) }
    }

    public func listPodSandbox(request: Runtime_V1_ListPodSandboxRequest, context: ServerContext) async throws -> Runtime_V1_ListPodSandboxResponse {
        var response = Runtime_V1_ListPodSandboxResponse()
        response.items = await runtime.listPodSandbox(request.hasFilter ? request.filter : nil)
        return response
    }

    public func createContainer(request: Runtime_V1_CreateContainerRequest, context: ServerContext) async throws -> Runtime_V1_CreateContainerResponse {
        try await serve("CreateContainer") {
            var response = Runtime_V1_CreateContainerResponse()
            response.containerID = try await runtime.createContainer(
                sandboxID: request.podSandboxID, request.config, sandboxConfig: request.sandboxConfig)
            return response
        }
    }

    public func startContainer(request: Runtime_V1_StartContainerRequest, context: ServerContext) async throws -> Runtime_V1_StartContainerResponse {
        try await serve("StartContainer") {
            try await runtime.startContainer(request.containerID)
            return Runtime_V1_StartContainerResponse()
        }
    }

    public func stopContainer(request: Runtime_V1_StopContainerRequest, context: ServerContext) async throws -> Runtime_V1_StopContainerResponse {
        try await serve("StopContainer") {
            try await runtime.stopContainer(request.containerID, timeout: request.timeout)
            return Runtime_V1_StopContainerResponse()
        }
    }

    public func removeContainer(request: Runtime_V1_RemoveContainerRequest, context: ServerContext) async throws -> Runtime_V1_RemoveContainerResponse {
        try await serve("RemoveContainer") {
            try await runtime.removeContainer(request.containerID)
            return Runtime_V1_RemoveContainerResponse()
        }
    }

    public func listContainers(request: Runtime_V1_ListContainersRequest, context: ServerContext) async throws -> Runtime_V1_ListContainersResponse {
        var response = Runtime_V1_ListContainersResponse()
        response.containers = await runtime.listContainers(request.hasFilter ? request.filter : nil)
        return response
    }

    public func containerStatus(request: Runtime_V1_ContainerStatusRequest, context: ServerContext) async throws -> Runtime_V1_ContainerStatusResponse {
        try await serve("ContainerStatus") { try await runtime.containerStatus(request.containerID, verbose: request.verbose) }
    }

    public func updateContainerResources(request: Runtime_V1_UpdateContainerResourcesRequest, context: ServerContext) async throws -> Runtime_V1_UpdateContainerResourcesResponse {
        try await serve("UpdateContainerResources") {
            try await runtime.updateContainerResources(request.containerID, linux: request.linux)
            return Runtime_V1_UpdateContainerResourcesResponse()
        }
    }

    public func reopenContainerLog(request: Runtime_V1_ReopenContainerLogRequest, context: ServerContext) async throws -> Runtime_V1_ReopenContainerLogResponse {
        try await serve("ReopenContainerLog") {
            try await runtime.reopenContainerLog(request.containerID)
            return Runtime_V1_ReopenContainerLogResponse()
        }
    }

    public func execSync(request: Runtime_V1_ExecSyncRequest, context: ServerContext) async throws -> Runtime_V1_ExecSyncResponse {
        try await serve("ExecSync") { try await runtime.execSync(request.containerID, command: request.cmd, timeout: request.timeout) }
    }

    public func exec(request: Runtime_V1_ExecRequest, context: ServerContext) async throws -> Runtime_V1_ExecResponse {
        try await serve("Exec") { try await runtime.exec(request) }
    }

    public func attach(request: Runtime_V1_AttachRequest, context: ServerContext) async throws -> Runtime_V1_AttachResponse {
        try await serve("Attach") { try await runtime.attach(request) }
    }

    public func portForward(request: Runtime_V1_PortForwardRequest, context: ServerContext) async throws -> Runtime_V1_PortForwardResponse {
        try await serve("PortForward") { try await runtime.portForward(request) }
    }

    public func containerStats(request: Runtime_V1_ContainerStatsRequest, context: ServerContext) async throws -> Runtime_V1_ContainerStatsResponse {
        try await serve("ContainerStats") {
            var response = Runtime_V1_ContainerStatsResponse()
            response.stats = try await runtime.containerStats(request.containerID)
            return response
        }
    }

    public func listContainerStats(request: Runtime_V1_ListContainerStatsRequest, context: ServerContext) async throws -> Runtime_V1_ListContainerStatsResponse {
        var response = Runtime_V1_ListContainerStatsResponse()
        response.stats = await runtime.listContainerStats(request.hasFilter ? request.filter : nil)
        return response
    }

    public func podSandboxStats(request: Runtime_V1_PodSandboxStatsRequest, context: ServerContext) async throws -> Runtime_V1_PodSandboxStatsResponse {
        try await serve("PodSandboxStats") {
            var response = Runtime_V1_PodSandboxStatsResponse()
            response.stats = try await runtime.podSandboxStats(request.podSandboxID)
            return response
        }
    }

    public func listPodSandboxStats(request: Runtime_V1_ListPodSandboxStatsRequest, context: ServerContext) async throws -> Runtime_V1_ListPodSandboxStatsResponse {
        var response = Runtime_V1_ListPodSandboxStatsResponse()
        response.stats = await runtime.listPodSandboxStats(request.hasFilter ? request.filter : nil)
        return response
    }

    public func updateRuntimeConfig(request: Runtime_V1_UpdateRuntimeConfigRequest, context: ServerContext) async throws -> Runtime_V1_UpdateRuntimeConfigResponse {
        // The kubelet sends the node's pod CIDR here; the CNI config carries the subnet, as with containerd
        // when its CNI config template is not used.
        logger.info("runtime config update", metadata: ["podCIDR": "\(request.runtimeConfig.networkConfig.podCidr)"])
        return Runtime_V1_UpdateRuntimeConfigResponse()
    }

    public func runtimeConfig(request: Runtime_V1_RuntimeConfigRequest, context: ServerContext) async throws -> Runtime_V1_RuntimeConfigResponse {
        var response = Runtime_V1_RuntimeConfigResponse()
        response.linux.cgroupDriver = .cgroupfs
        return response
    }

    public func streamPodSandboxes(request: Runtime_V1_StreamPodSandboxesRequest, response: RPCWriter<Runtime_V1_StreamPodSandboxesResponse>, context: ServerContext) async throws {
        throw Self.unsupported("StreamPodSandboxes")
    }

    public func streamContainers(request: Runtime_V1_StreamContainersRequest, response: RPCWriter<Runtime_V1_StreamContainersResponse>, context: ServerContext) async throws {
        throw Self.unsupported("StreamContainers")
    }

    public func streamContainerStats(request: Runtime_V1_StreamContainerStatsRequest, response: RPCWriter<Runtime_V1_StreamContainerStatsResponse>, context: ServerContext) async throws {
        throw Self.unsupported("StreamContainerStats")
    }

    public func streamPodSandboxStats(request: Runtime_V1_StreamPodSandboxStatsRequest, response: RPCWriter<Runtime_V1_StreamPodSandboxStatsResponse>, context: ServerContext) async throws {
        throw Self.unsupported("StreamPodSandboxStats")
    }

    public func streamPodSandboxMetrics(request: Runtime_V1_StreamPodSandboxMetricsRequest, response: RPCWriter<Runtime_V1_StreamPodSandboxMetricsResponse>, context: ServerContext) async throws {
        throw Self.unsupported("StreamPodSandboxMetrics")
    }

    public func checkpointContainer(request: Runtime_V1_CheckpointContainerRequest, context: ServerContext) async throws -> Runtime_V1_CheckpointContainerResponse {
        throw Self.unsupported("CheckpointContainer")
    }

    public func checkpointPod(request: Runtime_V1_CheckpointPodRequest, context: ServerContext) async throws -> Runtime_V1_CheckpointPodResponse {
        throw Self.unsupported("CheckpointPod")
    }

    public func restorePod(request: Runtime_V1_RestorePodRequest, context: ServerContext) async throws -> Runtime_V1_RestorePodResponse {
        throw Self.unsupported("RestorePod")
    }

    public func getContainerEvents(request: Runtime_V1_GetEventsRequest, response: RPCWriter<Runtime_V1_ContainerEventResponse>, context: ServerContext) async throws {
        throw Self.unsupported("GetContainerEvents")
    }

    public func listMetricDescriptors(request: Runtime_V1_ListMetricDescriptorsRequest, context: ServerContext) async throws -> Runtime_V1_ListMetricDescriptorsResponse {
        Runtime_V1_ListMetricDescriptorsResponse()
    }

    public func listPodSandboxMetrics(request: Runtime_V1_ListPodSandboxMetricsRequest, context: ServerContext) async throws -> Runtime_V1_ListPodSandboxMetricsResponse {
        Runtime_V1_ListPodSandboxMetricsResponse()
    }

    public func updatePodSandboxResources(request: Runtime_V1_UpdatePodSandboxResourcesRequest, context: ServerContext) async throws -> Runtime_V1_UpdatePodSandboxResourcesResponse {
        throw Self.unsupported("UpdatePodSandboxResources")
    }

    private static func unsupported(_ method: String) -> RPCError {
        RPCError(code: .unimplemented, message: "\(method) is not implemented by swiftlet runtime")
    }
}

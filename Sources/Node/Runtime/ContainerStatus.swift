import CRI
import Foundation
import GRPCCore
import Images
import LinuxSystem
import Logging
import OCI

extension ContainerRuntime {
    /// CRI `ContainerStatus`: state with timestamps, exit code and reason (Completed / Error / OOMKilled),
    /// image, mounts, log path. The image is named as containerd's CRI plugin names it: the image's first repo tag
    /// while the store still has the image under one (the kubelet creates containers from the image ID and shows
    /// this in the pod's status), otherwise the image spec the container was created with.
    public func containerStatus(_ id: String, verbose: Bool) async throws -> Runtime_V1_ContainerStatusResponse {
        let record = try container(id)
        var response = Runtime_V1_ContainerStatusResponse()
        response.status = status(of: record)
        if let tag = await images.image(record.imageID)?.repoTags.first {
            var image = Runtime_V1_ImageSpec()
            image.image = tag
            response.status.image = image
        }
        if verbose {
            let pid = self.pid(ofBundle: containerDirectory(record.id)) ?? 0
            response.info["info"] = "{\"pid\":\(pid),\"sandboxID\":\"\(record.sandboxID)\"}"
        }
        return response
    }

    /// CRI `ListContainers` with its filter (id prefix, state, sandbox id, label selector). Each container's image is
    /// the spec it was created with (the kubelet's: the image ID, and the pod's string as `userSpecifiedImage`), as
    /// containerd lists it.
    public func listContainers(_ filter: Runtime_V1_ContainerFilter?) -> [Runtime_V1_Container] {
        containers.values.sorted { $0.createdAt < $1.createdAt }.compactMap { record in
            let config = record.containerConfig
            var container = Runtime_V1_Container()
            container.id = record.id
            container.podSandboxID = record.sandboxID
            container.metadata = config.metadata
            container.image = config.image
            container.imageRef = record.imageID
            container.imageID = record.imageID
            container.state = state(of: record)
            container.createdAt = record.createdAt
            container.labels = config.labels
            container.annotations = config.annotations
            if let filter {
                if !filter.id.isEmpty, !record.id.hasPrefix(filter.id) { return nil }
                if !filter.podSandboxID.isEmpty, !record.sandboxID.hasPrefix(filter.podSandboxID) { return nil }
                if filter.hasState, filter.state.state != container.state { return nil }
                if !filter.labelSelector.allSatisfy({ config.labels[$0.key] == $0.value }) { return nil }
            }
            return container
        }
    }

    func state(of record: ContainerRecord) -> Runtime_V1_ContainerState {
        if exit(ofBundle: containerDirectory(record.id)) != nil { return .containerExited }
        return record.startedAt == nil ? .containerCreated : .containerRunning
    }

    func status(of record: ContainerRecord) -> Runtime_V1_ContainerStatus {
        let config = record.containerConfig
        var status = Runtime_V1_ContainerStatus()
        status.id = record.id
        status.metadata = config.metadata
        status.state = state(of: record)
        status.createdAt = record.createdAt
        status.startedAt = record.startedAt ?? 0
        if let exit = exit(ofBundle: containerDirectory(record.id)) {
            status.finishedAt = exit.finishedAt
            status.exitCode = exit.exitCode
            status.reason = exit.reason
            if record.startedAt == nil { status.reason = "Error"; status.message = "container was never started" }
        }
        status.image = config.image
        status.imageRef = record.imageRepoDigest ?? record.imageID
        status.imageID = record.imageID
        status.labels = config.labels
        status.annotations = config.annotations
        status.mounts = config.mounts
        status.logPath = record.logPath ?? ""
        return status
    }
}

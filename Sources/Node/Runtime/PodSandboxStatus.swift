import CRI
import Foundation
import GRPCCore
import LinuxSystem
import Logging
import OCI

extension ContainerRuntime {
    /// CRI `PodSandboxStatus`: state, creation time, the network status (IPs) and the namespace options.
    public func podSandboxStatus(_ id: String, verbose: Bool) throws -> Runtime_V1_PodSandboxStatusResponse {
        let record = try sandbox(id)
        var response = Runtime_V1_PodSandboxStatusResponse()
        response.status = status(of: record)
        if verbose { response.info["info"] = verboseInfo(record) }
        return response
    }

    /// The verbose `info` JSON, shaped like containerd's where it overlaps (`pid`, `netns`, `runtimeHandler`, read by
    /// `crictl inspectp` users): the infra container's pid, or 0 without one — then `namespaces` names the pinned
    /// ipc/uts files to enter instead (with the netns, everything `nsenter` needs).
    private func verboseInfo(_ record: PodSandboxRecord) -> String {
        var info: [String: Any] = ["netns": record.networkNamespace ?? "", "runtimeHandler": record.runtimeHandler,
                                   "infraContainer": record.hasInfraContainer]
        if let pinned = record.pinned {
            info["pid"] = 0
            var namespaces: [String: String] = [:]
            if let ipc = pinned.ipc { namespaces["ipc"] = ipc }
            if let uts = pinned.uts { namespaces["uts"] = uts }
            info["namespaces"] = namespaces
        } else {
            info["pid"] = pid(ofBundle: sandboxDirectory(record.id) + "/bundle") ?? 0
        }
        let data = (try? JSONSerialization.data(withJSONObject: info, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// CRI `ListPodSandbox` with its filter (id prefix, state, label selector).
    public func listPodSandbox(_ filter: Runtime_V1_PodSandboxFilter?) -> [Runtime_V1_PodSandbox] {
        sandboxes.values.sorted { $0.createdAt < $1.createdAt }.compactMap { record in
            let config = record.sandboxConfig
            var sandbox = Runtime_V1_PodSandbox()
            sandbox.id = record.id
            sandbox.metadata = config.metadata
            sandbox.state = record.state == .ready ? .sandboxReady : .sandboxNotready
            sandbox.createdAt = record.createdAt
            sandbox.labels = config.labels
            sandbox.annotations = config.annotations
            sandbox.runtimeHandler = record.runtimeHandler
            if let filter {
                if !filter.id.isEmpty, !record.id.hasPrefix(filter.id) { return nil }
                if filter.hasState, filter.state.state != sandbox.state { return nil }
                if !filter.labelSelector.allSatisfy({ config.labels[$0.key] == $0.value }) { return nil }
            }
            return sandbox
        }
    }

    func status(of record: PodSandboxRecord) -> Runtime_V1_PodSandboxStatus {
        let config = record.sandboxConfig
        var status = Runtime_V1_PodSandboxStatus()
        status.id = record.id
        status.metadata = config.metadata
        status.state = record.state == .ready ? .sandboxReady : .sandboxNotready
        status.createdAt = record.createdAt
        if let ip = record.ip {
            status.network.ip = ip
            status.network.additionalIps = record.additionalIPs.map { address in
                var ip = Runtime_V1_PodIP()
                ip.ip = address
                return ip
            }
        }
        status.linux.namespaces.options = config.linux.securityContext.namespaceOptions
        status.labels = config.labels
        status.annotations = config.annotations
        status.runtimeHandler = record.runtimeHandler
        return status
    }
}

import CRI
import Foundation
import SwiftProtobuf

/// What the runtime remembers about a container, persisted as `containers/<id>/container.json`; the
/// container monitor adds `exit.json` beside it when the container ends.
struct ContainerRecord: Codable, Sendable {
    var id: String
    var sandboxID: String
    /// The CRI `ContainerConfig` as sent, in protobuf bytes.
    var config: Data
    /// The image as the kubelet named it, and the image id (`sha256:…`) it resolved to.
    var image: String
    var imageID: String
    var imageRepoDigest: String?
    var createdAt: Int64
    var startedAt: Int64?
    var logPath: String?
    var stopSignal: Int32
    var cgroupsPath: String

    var containerConfig: Runtime_V1_ContainerConfig {
        (try? Runtime_V1_ContainerConfig(serializedBytes: config)) ?? Runtime_V1_ContainerConfig()
    }

    var metadata: Runtime_V1_ContainerMetadata { containerConfig.metadata }

    /// containerd's reservation key: `k8s_<container>_<pod>_<namespace>_<uid>_<attempt>`.
    static func reservedName(_ metadata: Runtime_V1_ContainerMetadata, sandbox: Runtime_V1_PodSandboxMetadata) -> String {
        "k8s_\(metadata.name)_\(sandbox.name)_\(sandbox.namespace)_\(sandbox.uid)_\(metadata.attempt)"
    }
}

/// How a container ended, as the monitor (`swiftlet-shim`) wrote it to `exit.json`.
struct ContainerExit: Codable, Sendable {
    var exitCode: Int32
    var signal: Int32
    /// Unix nanoseconds.
    var finishedAt: Int64
    var oomKilled: Bool

    /// The CRI reason the kubelet shows: `OOMKilled`, `Completed` or `Error`.
    var reason: String { oomKilled ? "OOMKilled" : exitCode == 0 ? "Completed" : "Error" }
}

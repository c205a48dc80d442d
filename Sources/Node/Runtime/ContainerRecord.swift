import CRI
import Foundation
import Synchronization
import SwiftProtobuf

/// What the runtime remembers about a container, persisted as `containers/<id>/container.json`; the
/// container monitor adds `exit.json` beside it when the container ends.
struct ContainerRecord: Codable, Sendable {
    var id: String
    var sandboxID: String
    /// The CRI `ContainerConfig` as sent, in protobuf bytes.
    var config: Data { didSet { decodedConfig = DecodedMessage() } }
    /// The image as the kubelet named it, and the image id (`sha256:…`) it resolved to.
    var image: String
    var imageID: String
    var imageRepoDigest: String?
    /// The chain IDs of the image layers its root filesystem is mounted from, leased in the image store while the
    /// container exists (nil in records written before leases: then the image's, if it is still there).
    var layers: [String]?
    var createdAt: Int64
    var startedAt: Int64?
    var logPath: String?
    var stopSignal: Int32
    var cgroupsPath: String
    /// `config` decoded once, shared by the record's copies (not persisted).
    var decodedConfig = DecodedMessage<Runtime_V1_ContainerConfig>()

    private enum CodingKeys: String, CodingKey {
        case id, sandboxID, config, image, imageID, imageRepoDigest, layers, createdAt, startedAt, logPath, stopSignal, cgroupsPath
    }

    var containerConfig: Runtime_V1_ContainerConfig { decodedConfig(config) }

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

/// A record's protobuf `config` decoded once and shared by the record's copies: ListContainers, ListPodSandbox and
/// the status calls read the config of every container and sandbox, ten times a second while thirty pods start.
final class DecodedMessage<M: SwiftProtobuf.Message & Sendable>: Sendable {
    private let value = Mutex<M?>(nil)

    init() {}

    /// `bytes` decoded (an empty message when they do not decode), from the first call on without decoding again.
    func callAsFunction(_ bytes: Data) -> M {
        if let cached = value.withLock({ $0 }) { return cached }
        let decoded = (try? M(serializedBytes: bytes)) ?? M()
        value.withLock { $0 = decoded }
        return decoded
    }
}

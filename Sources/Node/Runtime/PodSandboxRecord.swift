import CRI
import Foundation
import SwiftProtobuf

/// What the runtime remembers about a pod sandbox, persisted as `sandboxes/<id>/sandbox.json` so a
/// restarted daemon answers Status/List exactly as before.
struct PodSandboxRecord: Codable, Sendable {
    enum State: String, Codable, Sendable { case ready, notReady }

    var id: String
    /// The CRI `PodSandboxConfig` as sent, in protobuf bytes.
    var config: Data { didSet { decodedConfig = DecodedMessage() } }
    var createdAt: Int64
    var state: State
    /// The sandbox's network namespace (`/var/run/netns/cni-…`), nil for host-network pods or once stopped.
    var networkNamespace: String?
    var ip: String?
    var additionalIPs: [String] = []
    var runtimeHandler: String
    /// The pod's ipc/uts namespaces pinned in the sandbox directory when no infra container holds them (nil: an
    /// infra container does, as for every record written before pinning existed).
    var pinned: PinnedNamespaces?
    /// The chain IDs of the pause image layers the infra container's root is mounted from, leased in the image store
    /// while the sandbox exists (nil without an infra container, and in records written before leases).
    var infraLayers: [String]?
    /// `config` decoded once, shared by the record's copies (not persisted).
    var decodedConfig = DecodedMessage<Runtime_V1_PodSandboxConfig>()

    private enum CodingKeys: String, CodingKey {
        case id, config, createdAt, state, networkNamespace, ip, additionalIPs, runtimeHandler, pinned, infraLayers
    }

    /// The bind-mounted namespace files of a sandbox without an infra container; nil where the pod uses the
    /// node's namespace (host IPC; host network, which means the node's UTS namespace too).
    struct PinnedNamespaces: Codable, Sendable, Equatable {
        var ipc: String?
        var uts: String?
    }

    /// An infra ("pause") container holds the pod's namespaces: the pod shares its PID namespace (or the
    /// runtime runs every pod that way).
    var hasInfraContainer: Bool { pinned == nil }

    var sandboxConfig: Runtime_V1_PodSandboxConfig { decodedConfig(config) }

    var metadata: Runtime_V1_PodSandboxMetadata { sandboxConfig.metadata }

    /// Where the cgroups of sandboxes whose client chose no cgroup parent go (crictl, hack/bench/cri; the kubelet
    /// always chooses one).
    static let defaultCgroupParent = "/swiftlet"

    /// The cgroup parent the kubelet chose for the pod (cgroupfs path), ``defaultCgroupParent`` when it chose none.
    var cgroupParent: String {
        let parent = sandboxConfig.linux.cgroupParent
        return parent.isEmpty ? Self.defaultCgroupParent : parent
    }

    /// The infra container's cgroup (none without one); each container gets `<cgroupParent>/<container id>` beside it.
    var cgroupsPath: String { cgroupParent + "/" + id }

    var hostNetwork: Bool { sandboxConfig.linux.securityContext.namespaceOptions.network == .node }

    /// containerd's reservation key for a sandbox name: `k8s_POD_<name>_<namespace>_<uid>_<attempt>`.
    static func reservedName(_ metadata: Runtime_V1_PodSandboxMetadata) -> String {
        "k8s_POD_\(metadata.name)_\(metadata.namespace)_\(metadata.uid)_\(metadata.attempt)"
    }
}

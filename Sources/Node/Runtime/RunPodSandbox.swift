import CNI
import CRI
import Foundation
import GRPCCore
import Images
import LinuxSystem
import Logging
import OCI
import SwiftProtobuf

extension ContainerRuntime {
    /// CRI `RunPodSandbox`: reserves the name, creates the network namespace and attaches it through the
    /// CNI chain (port mappings as the `portMappings` capability), writes hostname/hosts/resolv.conf and
    /// mounts the shared /dev/shm. A pod sharing its PID namespace gets an infra ("pause") container holding
    /// its ipc/uts/pid namespaces; any other pod's ipc/uts namespaces are made here and pinned by bind mounts
    /// in the sandbox directory (CRI-O's `drop_infra_ctr`): no runc process, no image, no monitor. Any failure
    /// undoes what was done.
    ///
    /// The network is attached while the infra container's root is mounted and `runc run --detach` runs
    /// (the pause process only needs the namespace to exist); RunPodSandbox returns when both are done.
    public func runPodSandbox(_ config: Runtime_V1_PodSandboxConfig, runtimeHandler: String) async throws -> String {
        let metadata = config.metadata
        guard !metadata.name.isEmpty, !metadata.namespace.isEmpty, !metadata.uid.isEmpty else {
            throw RuntimeError.invalidArgument("sandbox config must include metadata with name, namespace and uid")
        }
        // Only the handlers there is a runtime for (runc, also the default): nothing is made for any other.
        try RuntimeConfiguration.requireSandboxRuntime(for: runtimeHandler)
        let name = PodSandboxRecord.reservedName(metadata)
        if let holder = reservedNames[name] {
            throw RuntimeError(.alreadyExists, "failed to reserve sandbox name \"\(name)\": name \"\(name)\" is reserved for \"\(holder)\"")
        }
        let id = Self.newID()
        reservedNames[name] = id
        let directory = sandboxDirectory(id)
        var record = PodSandboxRecord(
            id: id, config: try config.serializedBytes(), createdAt: Self.now(), state: .notReady,
            runtimeHandler: runtimeHandler)
        let options = config.linux.securityContext.namespaceOptions
        let pins = configuration.dropInfraContainer && options.pid != .pod
            ? Self.namespacePins(options, hostNetwork: record.hostNetwork, directory: directory) : nil
        var createdNetworkNamespace: String?
        var attachedNetwork: NetworkConfigList?
        var networkAttachment: Task<(NetworkConfigList, CNIResult), any Error>?
        var permit: StartAdmission.Permit?
        let clock = ContinuousClock(), began = clock.now
        do {
            var sysctls: SandboxSysctls?
            if let pins {
                sysctls = try SandboxSysctls(config.linux.sysctls, ownIPC: pins[.ipc] != nil, ownNetwork: !record.hostNetwork,
                                             ownUTS: pins[.uts] != nil)
                record.pinned = .init(ipc: pins[.ipc], uts: pins[.uts])
            }
            let pause = pins == nil ? try await resolveImage(configuration.pauseImage, pullIfMissing: true, leasedTo: id) : nil
            // The sandbox image is pinned, as containerd pins it, so the kubelet's image garbage collection keeps it.
            if let pause, !pause.pinned { try? await images.setPinned(pause.id, true) }
            record.infraLayers = pause?.layers
            permit = await admission.acquire(.sandbox)
            let netnsName = record.hostNetwork ? nil : "cni-" + UUID().uuidString.lowercased()
            if let netnsName {
                record.networkNamespace = NetworkNamespace.path(named: netnsName)
                createdNetworkNamespace = netnsName
            }
            // The files, mounts and namespaces touch no runtime state: they are made on a thread of their own, so the
            // actor serves other sandboxes and the kubelet's List/Status calls meanwhile (thirty sandboxes starting
            // at once queued behind each other's tens of milliseconds of file and mount work).
            let shmSize = options.ipc != .node ? configuration.sandboxShmSize : nil
            let hostNetwork = record.hostNetwork, pinnedSysctls = sysctls?.pinned ?? []
            try await DedicatedThread.offload {
                Result {
                    try Self.prepareSandbox(config, hostNetwork: hostNetwork, directory: directory, shmSize: shmSize, netnsName: netnsName,
                                            infraBundle: pins == nil)
                    try Self.pinNamespaces(pins ?? [:], hostname: config.hostname, sysctls: pinnedSysctls)
                }
            }.get()
            if netnsName != nil {
                networkAttachment = Task.detached { [cni, directory = configuration.cniConfigDirectory, loopback = loopbackAttachment(for: record),
                                                     pod = attachment(for: record)] in
                    try await Self.attachNetwork(cni, configDirectory: directory, loopback: loopback, pod: pod)
                }
            }
            if let pause {
                let spec = pauseSpec(config, record: record, image: pause.config)
                let layers = images.layerPaths(of: pause), bundle = directory + "/bundle", writableLayer = writableLayer(id)
                try await DedicatedThread.offload {
                    Result {
                        try Self.mountRootfs(layers: layers, imageID: pause.id, bundle: bundle, writableLayer: writableLayer)
                        try Self.writeAtomically(JSONEncoder().encode(spec), to: bundle + "/config.json")
                    }
                }.get()
                // The infra container is created and started by one runc process.
                _ = try await shim.create(.init(id: id, bundle: directory + "/bundle", logPath: nil, logMaximumSize: 0,
                                                memoryCgroup: nil, start: true))
            }
            if let networkAttachment {
                let (network, result) = try await networkAttachment.value
                attachedNetwork = network
                let addresses = result.ips.map { $0.address.address.description }
                record.ip = addresses.first
                record.additionalIPs = Array(addresses.dropFirst())
            }
            if let network = sysctls?.network, !network.isEmpty, let path = record.networkNamespace {
                try await NetworkNamespace.open(path: path).perform {
                    for setting in network { try Self.setSysctl(setting) }
                }
            }
            if let permit { await admission.release(permit) }
            record.state = .ready
            sandboxes[id] = record
            try persist(record)
            logger.info("sandbox running", metadata: ["sandbox": "\(id)", "pod": "\(metadata.namespace)/\(metadata.name)", "ip": "\(record.ip ?? "host")",
                                                      "infra": "\(record.hasInfraContainer ? "container" : "none (pinned namespaces)")",
                                                      "tookMs": "\(Self.milliseconds(clock.now - began))"])
            return id
        } catch {
            if let permit { await admission.release(permit) }
            // The network may still be attaching: wait for it, so its DEL comes after its ADD.
            if attachedNetwork == nil, let networkAttachment, case .success(let (network, _)) = await networkAttachment.result {
                attachedNetwork = network
            }
            if pins == nil { try? await runc.delete(id, force: true) }
            if let network = attachedNetwork { try? await cni.delete(network, attachment(for: record)) }
            if createdNetworkNamespace != nil, let loopback = try? NetworkConfigList.loopback() {
                try? await cni.delete(loopback, loopbackAttachment(for: record))
            }
            if let netns = createdNetworkNamespace { try? NetworkNamespace.delete(named: netns) }
            for path in (pins ?? [:]).values { try? PinnedNamespace.remove(path) }
            try? Mount.unmount(directory + "/shm", detach: true)
            try? removeBundle(directory + "/bundle", writableLayer: writableLayer(id))
            await releaseImage(of: id)
            try? FileManager.default.removeItem(atPath: directory)
            sandboxes[id] = nil
            reservedNames[name] = nil
            throw Self.sandboxError(error, name: metadata.name)
        }
    }

    /// Where a sandbox without an infra container pins its namespaces: `ns/ipc` unless the pod uses the node's IPC,
    /// `ns/uts` unless it uses the node's network (and so its hostname).
    static func namespacePins(_ options: Runtime_V1_NamespaceOption, hostNetwork: Bool, directory: String) -> [PinnedNamespace.Kind: String] {
        var pins: [PinnedNamespace.Kind: String] = [:]
        if options.ipc != .node { pins[.ipc] = directory + "/ns/ipc" }
        if !hostNetwork { pins[.uts] = directory + "/ns/uts" }
        return pins
    }

    /// The sandbox directory (with a `bundle` folder for an infra container), hostname/hosts/resolv.conf, the shared
    /// /dev/shm (`shmSize`, nil when the pod uses the node's IPC) and the network namespace `netnsName` (nil for host
    /// network).
    private static func prepareSandbox(_ config: Runtime_V1_PodSandboxConfig, hostNetwork: Bool, directory: String, shmSize: Int?,
                                       netnsName: String?, infraBundle: Bool) throws {
        try FileManager.default.createDirectory(atPath: infraBundle ? directory + "/bundle" : directory, withIntermediateDirectories: true)
        try SandboxFiles.write(config, hostNetwork: hostNetwork, into: directory)
        if let shmSize {
            try FileManager.default.createDirectory(atPath: directory + "/shm", withIntermediateDirectories: true)
            try Mount.tmpfs(at: directory + "/shm", size: shmSize)
        }
        if let netnsName { _ = try NetworkNamespace.create(named: netnsName) }
    }

    /// Creates and pins the namespaces in `pins` with the pod's hostname (in a UTS namespace of its own) and the
    /// sysctls that belong to them.
    private static func pinNamespaces(_ pins: [PinnedNamespace.Kind: String], hostname: String, sysctls: [SandboxSysctls.Setting]) throws {
        try PinnedNamespace.create(pins) {
            if pins[.uts] != nil, !hostname.isEmpty { try PinnedNamespace.setHostname(hostname) }
            for setting in sysctls { try setSysctl(setting) }
        }
    }

    /// Sets one sysctl on the calling thread (inside the namespaces it belongs to), failing as runc words it.
    private static func setSysctl(_ setting: SandboxSysctls.Setting) throws {
        do {
            try Sysctl.write(setting.key, setting.value)
        } catch {
            throw RuntimeError(.unknown, "failed to set sysctl \(setting.key)=\(setting.value): \(error)")
        }
    }

    /// Unpins a sandbox's ipc/uts namespaces (idempotent; the paths are the sandbox directory's whatever its record says).
    func unpinNamespaces(_ id: String) throws {
        for kind in PinnedNamespace.Kind.allCases {
            try PinnedNamespace.remove(sandboxDirectory(id) + "/ns/" + kind.rawValue)
        }
    }

    /// `lo` first, through containerd's built-in loopback network, then the pod network (the config
    /// directory's default network); returns that network and its result.
    private static func attachNetwork(
        _ cni: CNIRuntime, configDirectory: String, loopback: NetworkAttachment, pod: NetworkAttachment
    ) async throws -> (NetworkConfigList, CNIResult) {
        _ = try await cni.add(.loopback(), loopback)
        let network = try ConfigDirectory(path: configDirectory).defaultNetwork()
        return (network, try await cni.add(network, pod))
    }

    /// The CNI attachment of a sandbox: `eth0` in its namespace, the Kubernetes CNI_ARGS, its port mappings.
    func attachment(for record: PodSandboxRecord) -> NetworkAttachment {
        let config = record.sandboxConfig
        let ports: [JSONValue] = config.portMappings.filter { $0.hostPort > 0 }.map { mapping in
            let protocolName = switch mapping.protocol {
            case .udp: "udp"
            case .sctp: "sctp"
            default: "tcp"
            }
            var entry: [String: JSONValue] = [
                "hostPort": .integer(Int64(mapping.hostPort)), "containerPort": .integer(Int64(mapping.containerPort)),
                "protocol": .string(protocolName),
            ]
            if !mapping.hostIp.isEmpty { entry["hostIP"] = .string(mapping.hostIp) }
            return .object(entry)
        }
        return NetworkAttachment(
            containerID: record.id, netns: record.networkNamespace ?? "", ifName: "eth0",
            args: [("IgnoreUnknown", "1"), ("K8S_POD_NAMESPACE", config.metadata.namespace), ("K8S_POD_NAME", config.metadata.name),
                   ("K8S_POD_INFRA_CONTAINER_ID", record.id), ("K8S_POD_UID", config.metadata.uid)],
            capabilityArgs: ports.isEmpty ? [:] : ["portMappings": .array(ports)])
    }

    /// The loopback attachment: `lo` in the sandbox's namespace.
    func loopbackAttachment(for record: PodSandboxRecord) -> NetworkAttachment {
        NetworkAttachment(containerID: record.id, netns: record.networkNamespace ?? "", ifName: "lo")
    }

    /// The infra container (pods sharing their PID namespace): the image's entrypoint holding the pod's ipc/uts/pid namespaces, with the
    /// sandbox's hostname and sysctls, no capabilities and the RuntimeDefault seccomp filter.
    nonisolated func pauseSpec(_ config: Runtime_V1_PodSandboxConfig, record: PodSandboxRecord, image: ImageConfig) -> RuntimeSpec {
        let options = config.linux.securityContext.namespaceOptions
        let arguments = image.entrypoint + image.cmd
        var spec = RuntimeSpec(process: .init(args: arguments.isEmpty ? ["/pause"] : arguments), root: .init(path: "rootfs", readonly: true))
        spec.process.env = image.env.isEmpty ? ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] : image.env
        spec.process.capabilities = RuntimeSpec.Capabilities([])
        spec.process.noNewPrivileges = true
        spec.process.oomScoreAdj = oomScore.clamped(-998)
        if config.linux.securityContext.hasRunAsUser {
            spec.process.user.uid = UInt32(truncatingIfNeeded: config.linux.securityContext.runAsUser.value)
        }
        spec.mounts = ContainerSpecBuilder.standardMounts(readOnlySys: true)
        spec.linux.namespaces = [.init(type: "mount")]
        if let netns = record.networkNamespace { spec.linux.namespaces.append(.init(type: "network", path: netns)) }
        if options.ipc != .node { spec.linux.namespaces.append(.init(type: "ipc")) }
        if !record.hostNetwork {
            spec.linux.namespaces.append(.init(type: "uts"))
            spec.hostname = config.hostname
        }
        if options.pid != .node { spec.linux.namespaces.append(.init(type: "pid")) }
        spec.linux.cgroupsPath = record.cgroupsPath
        spec.linux.sysctl = config.linux.sysctls.isEmpty ? nil : config.linux.sysctls
        spec.linux.resources = SandboxResources.resources(config.linux.resources, devices: [RuntimeSpec.DeviceRule(allow: false, access: "rwm")])
        spec.linux.maskedPaths = ContainerSpecBuilder.maskedPaths
        spec.linux.readonlyPaths = ContainerSpecBuilder.readonlyPaths
        spec.linux.seccomp = SeccompProfiles.runtimeDefault(capabilities: [])
        return spec
    }

    /// Wraps a failure with containerd's wording and the right gRPC code (bad CNI config or a missing
    /// image keep theirs).
    static func sandboxError(_ error: any Error, name: String) -> RuntimeError {
        switch error {
        case let error as RuntimeError: return error
        case let error as CNIError:
            return RuntimeError(.unknown, "failed to setup network for sandbox \"\(name)\": \(error.msg)\(error.details.map { ": " + $0 } ?? "")")
        case let error as ImageError: return RuntimeError(.notFound, "failed to get sandbox image: \(error)")
        default: return RuntimeError(.unknown, "failed to create sandbox \"\(name)\": \(error)")
        }
    }
}

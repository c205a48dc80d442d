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
    /// CNI chain (port mappings as the `portMappings` capability), writes hostname/hosts/resolv.conf,
    /// mounts the shared /dev/shm and starts the infra container. Any failure undoes what was done.
    ///
    /// The network is attached while the infra container's root is mounted and `runc run --detach` runs
    /// (the pause process only needs the namespace to exist); RunPodSandbox returns when both are done.
    public func runPodSandbox(_ config: Runtime_V1_PodSandboxConfig, runtimeHandler: String) async throws -> String {
        let metadata = config.metadata
        guard !metadata.name.isEmpty, !metadata.namespace.isEmpty, !metadata.uid.isEmpty else {
            throw RuntimeError.invalidArgument("sandbox config must include metadata with name, namespace and uid")
        }
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
        var createdNetworkNamespace: String?
        var attachedNetwork: NetworkConfigList?
        var networkAttachment: Task<(NetworkConfigList, CNIResult), any Error>?
        var permit: StartAdmission.Permit?
        do {
            let pause = try await resolveImage(configuration.pauseImage, pullIfMissing: true)
            permit = await admission.acquire(.sandbox)
            let netnsName = record.hostNetwork ? nil : "cni-" + UUID().uuidString.lowercased()
            if let netnsName {
                record.networkNamespace = NetworkNamespace.path(named: netnsName)
                createdNetworkNamespace = netnsName
            }
            // The files, mounts and namespace touch no runtime state: they are made on a thread of their own, so the
            // actor serves other sandboxes and the kubelet's List/Status calls meanwhile (thirty sandboxes starting
            // at once queued behind each other's tens of milliseconds of file and mount work).
            let shmSize = config.linux.securityContext.namespaceOptions.ipc != .node ? configuration.sandboxShmSize : nil
            let hostNetwork = record.hostNetwork
            try await DedicatedThread.offload {
                Result { try Self.prepareSandbox(config, hostNetwork: hostNetwork, directory: directory, shmSize: shmSize, netnsName: netnsName) }
            }.get()
            if netnsName != nil {
                networkAttachment = Task.detached { [cni, directory = configuration.cniConfigDirectory, loopback = loopbackAttachment(for: record),
                                                     pod = attachment(for: record)] in
                    try await Self.attachNetwork(cni, configDirectory: directory, loopback: loopback, pod: pod)
                }
            }
            let spec = pauseSpec(config, record: record, image: pause.config)
            let layers = images.layerPaths(of: pause), bundle = directory + "/bundle"
            try await DedicatedThread.offload {
                Result {
                    try Self.mountRootfs(layers: layers, imageID: pause.id, bundle: bundle)
                    try Self.writeAtomically(JSONEncoder().encode(spec), to: bundle + "/config.json")
                }
            }.get()
            // The infra container is created and started by one runc process.
            _ = try await shim.create(.init(id: id, bundle: directory + "/bundle", logPath: nil, logMaximumSize: 0,
                                            memoryCgroup: nil, start: true))
            if let networkAttachment {
                let (network, result) = try await networkAttachment.value
                attachedNetwork = network
                let addresses = result.ips.map { $0.address.address.description }
                record.ip = addresses.first
                record.additionalIPs = Array(addresses.dropFirst())
            }
            if let permit { await admission.release(permit) }
            record.state = .ready
            sandboxes[id] = record
            try persist(record)
            logger.info("sandbox running", metadata: ["sandbox": "\(id)", "pod": "\(metadata.namespace)/\(metadata.name)", "ip": "\(record.ip ?? "host")"])
            return id
        } catch {
            if let permit { await admission.release(permit) }
            // The network may still be attaching: wait for it, so its DEL comes after its ADD.
            if attachedNetwork == nil, let networkAttachment, case .success(let (network, _)) = await networkAttachment.result {
                attachedNetwork = network
            }
            try? await runc.delete(id, force: true)
            if let network = attachedNetwork { try? await cni.delete(network, attachment(for: record)) }
            if createdNetworkNamespace != nil, let loopback = try? NetworkConfigList.loopback() {
                try? await cni.delete(loopback, loopbackAttachment(for: record))
            }
            if let netns = createdNetworkNamespace { try? NetworkNamespace.delete(named: netns) }
            try? Mount.unmount(directory + "/shm", detach: true)
            try? removeBundle(directory + "/bundle")
            try? FileManager.default.removeItem(atPath: directory)
            sandboxes[id] = nil
            reservedNames[name] = nil
            throw Self.sandboxError(error, name: metadata.name)
        }
    }

    /// The sandbox directory's bundle folder, hostname/hosts/resolv.conf, the shared /dev/shm (`shmSize`, nil when the
    /// pod uses the node's IPC) and the network namespace `netnsName` (nil for host network).
    private static func prepareSandbox(_ config: Runtime_V1_PodSandboxConfig, hostNetwork: Bool, directory: String, shmSize: Int?,
                                       netnsName: String?) throws {
        try FileManager.default.createDirectory(atPath: directory + "/bundle", withIntermediateDirectories: true)
        try SandboxFiles.write(config, hostNetwork: hostNetwork, into: directory)
        if let shmSize {
            try FileManager.default.createDirectory(atPath: directory + "/shm", withIntermediateDirectories: true)
            try Mount.tmpfs(at: directory + "/shm", size: shmSize)
        }
        if let netnsName { _ = try NetworkNamespace.create(named: netnsName) }
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

    /// The infra container: the image's entrypoint holding the pod's ipc/uts/pid namespaces, with the
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

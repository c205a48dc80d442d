#if canImport(Glibc)
import GRPCCore
import Glibc
#endif
import CRI
import Foundation
import Images
import LinuxSystem
import OCI

/// Builds the OCI runtime spec (`config.json`) of an application container from what the kubelet sent
/// (CRI `ContainerConfig`), the image's config and the sandbox it joins — the job of containerd's
/// `containerSpec`: process, user, capabilities, seccomp, mounts, namespaces, cgroup resources.
struct ContainerSpecBuilder {
    var config: Runtime_V1_ContainerConfig
    var sandbox: PodSandboxRecord
    /// The sandbox's directory holding `hosts`, `resolv.conf`, `hostname` and `shm/`.
    var sandboxDirectory: String
    var image: ImageConfig
    /// The mounted root filesystem (bundle-relative `rootfs` is what runc sees).
    var rootfs: String
    /// The sandbox's namespaces the container joins.
    var shared: SharedNamespaces
    var oomScore: OOMScoreClamp

    /// The namespace files of a sandbox (pinned by bind mounts, or an infra container's `/proc/<pid>/ns/…`); nil
    /// where the sandbox has none of its own (the node's IPC or UTS namespace; a PID namespace not shared).
    struct SharedNamespaces: Sendable, Equatable {
        var ipc: String?
        var uts: String?
        var pid: String?
        /// The PID namespace of the container a `NamespaceMode` TARGET container joins (an ephemeral container's
        /// target), `/proc/<its pid>/ns/pid`.
        var target: String?
    }

    func build() throws -> RuntimeSpec {
        let security = config.linux.securityContext
        var spec = RuntimeSpec(process: .init(args: try arguments()), root: .init(path: "rootfs", readonly: security.readonlyRootfs ? true : nil))
        spec.hostname = nil
        spec.process.env = environment()
        if config.tty {
            // A terminal for the container's process, handed to its monitor through runc's console socket; TERM as
            // containerd sets it (oci.WithTTY).
            spec.process.terminal = true
            if !spec.process.env.contains(where: { $0.hasPrefix("TERM=") }) { spec.process.env.append("TERM=xterm") }
        }
        spec.process.cwd = config.workingDir.isEmpty ? (image.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/") : config.workingDir
        spec.process.user = try UserResolver(rootfs: rootfs).resolve(security: security, imageUser: image.user ?? "")
        spec.process.noNewPrivileges = security.noNewPrivs ? true : nil
        let capabilities = security.privileged
            ? Capabilities.all
            : try Capabilities.resolve(add: security.capabilities.addCapabilities, drop: security.capabilities.dropCapabilities)
        spec.process.capabilities = RuntimeSpec.Capabilities(capabilities)
        if !security.capabilities.addAmbientCapabilities.isEmpty {
            spec.process.capabilities?.ambient = security.capabilities.addAmbientCapabilities.map { $0.hasPrefix("CAP_") ? $0 : "CAP_" + $0 }
        }
        spec.process.oomScoreAdj = oomScore.clamped(Int(config.linux.resources.oomScoreAdj))
        spec.annotations = config.annotations.isEmpty ? nil : config.annotations

        spec.mounts = try mounts(privileged: security.privileged)
        spec.linux.namespaces = try namespaces(security.namespaceOptions)
        spec.linux.resources = SandboxResources.resources(config.linux.resources, devices: try devices(&spec, privileged: security.privileged))
        if !security.privileged {
            spec.linux.maskedPaths = security.maskedPaths.isEmpty ? Self.maskedPaths : security.maskedPaths
            spec.linux.readonlyPaths = security.readonlyPaths.isEmpty ? Self.readonlyPaths : security.readonlyPaths
            spec.linux.seccomp = try seccomp(security, capabilities: Set(capabilities))
        }
        return spec
    }

    /// `command` replaces the image's entrypoint and `args` its cmd, as Docker and containerd combine them.
    private func arguments() throws -> [String] {
        let arguments: [String]
        if !config.command.isEmpty {
            arguments = config.command + config.args
        } else {
            arguments = image.entrypoint + (config.args.isEmpty ? image.cmd : config.args)
        }
        guard !arguments.isEmpty else {
            throw RuntimeError.invalidArgument("no command specified: the image has no entrypoint or cmd and the container config none")
        }
        return arguments
    }

    /// The image's environment overridden by the config's, plus HOSTNAME and a default PATH.
    private func environment() -> [String] {
        var order: [String] = []
        var values: [String: String] = [:]
        func set(_ key: String, _ value: String) {
            if values[key] == nil { order.append(key) }
            values[key] = value
        }
        if !image.env.contains(where: { $0.hasPrefix("PATH=") }) {
            set("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        }
        set("HOSTNAME", sandbox.sandboxConfig.hostname)
        for entry in image.env {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            set(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        for entry in config.envs { set(entry.key, entry.value) }
        return order.map { "\($0)=\(values[$0] ?? "")" }
    }

    private func namespaces(_ options: Runtime_V1_NamespaceOption) throws -> [RuntimeSpec.Namespace] {
        var namespaces = [RuntimeSpec.Namespace(type: "mount")]
        if options.network != .node, let netns = sandbox.networkNamespace {
            namespaces.append(.init(type: "network", path: netns))
        }
        if options.ipc != .node, let ipc = shared.ipc { namespaces.append(.init(type: "ipc", path: ipc)) }
        if sandbox.sandboxConfig.linux.securityContext.namespaceOptions.network != .node, let uts = shared.uts {
            namespaces.append(.init(type: "uts", path: uts))
        }
        switch options.pid {
        case .node: break
        case .pod:
            guard let pid = shared.pid else {
                throw RuntimeError(.failedPrecondition, "sandbox \(sandbox.id) does not share its PID namespace (its NamespaceOption.pid is not POD)")
            }
            namespaces.append(.init(type: "pid", path: pid))
        case .target:
            guard let target = shared.target else {
                throw RuntimeError.invalidArgument("NamespaceOption.pid is TARGET but no target container's PID namespace was resolved")
            }
            namespaces.append(.init(type: "pid", path: target))
        default: namespaces.append(.init(type: "pid"))
        }
        return namespaces
    }

    /// The standard filesystems, the sandbox's files (unless the kubelet mounts its own), then the CRI mounts.
    private func mounts(privileged: Bool) throws -> [RuntimeSpec.Mount] {
        var mounts = Self.standardMounts(readOnlySys: !privileged)
        let requested = Set(config.mounts.map(\.containerPath))
        let shareIPC = config.linux.securityContext.namespaceOptions.ipc != .node
        for (file, destination) in [("hosts", "/etc/hosts"), ("resolv.conf", "/etc/resolv.conf"), ("hostname", "/etc/hostname")]
        where !requested.contains(destination) {
            mounts.append(.init(destination: destination, type: "bind", source: sandboxDirectory + "/" + file, options: ["rbind", "rprivate", "rw"]))
        }
        if !requested.contains("/dev/shm") {
            mounts.append(shareIPC
                ? .init(destination: "/dev/shm", type: "bind", source: sandboxDirectory + "/shm", options: ["rbind", "rprivate", "rw"])
                : .init(destination: "/dev/shm", type: "bind", source: "/dev/shm", options: ["rbind", "rprivate", "rw"]))
        }
        for mount in config.mounts {
            guard !mount.containerPath.isEmpty, mount.containerPath.hasPrefix("/") else {
                throw RuntimeError.invalidArgument("mount container path \"\(mount.containerPath)\" must be absolute")
            }
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: mount.hostPath, isDirectory: &isDirectory) {
                // containerd creates a missing bind source as a directory.
                try FileManager.default.createDirectory(atPath: mount.hostPath, withIntermediateDirectories: true)
            }
            let propagation = switch mount.propagation {
            case .propagationBidirectional: "rshared"
            case .propagationHostToContainer: "rslave"
            default: "rprivate"
            }
            mounts.append(.init(destination: mount.containerPath, type: "bind", source: mount.hostPath,
                                options: ["rbind", propagation, mount.readonly ? "ro" : "rw"]))
        }
        return mounts
    }

    /// CRI devices become device nodes plus cgroup allow rules; everything else stays denied (privileged
    /// containers get every device).
    private func devices(_ spec: inout RuntimeSpec, privileged: Bool) throws -> [RuntimeSpec.DeviceRule] {
        if privileged { return [RuntimeSpec.DeviceRule(allow: true, access: "rwm")] }
        var rules = [RuntimeSpec.DeviceRule(allow: false, access: "rwm")]
        var nodes: [RuntimeSpec.Device] = []
        for device in config.devices {
            let node: DeviceNode
            do {
                node = try DeviceNode(path: device.hostPath)
            } catch {
                throw RuntimeError.invalidArgument("device \(device.hostPath): \(error)")
            }
            nodes.append(RuntimeSpec.Device(path: device.containerPath, type: node.kind.rawValue, major: node.major, minor: node.minor, fileMode: node.mode))
            rules.append(RuntimeSpec.DeviceRule(allow: true, type: node.kind.rawValue, major: node.major, minor: node.minor,
                                                access: device.permissions.isEmpty ? "rwm" : device.permissions))
        }
        spec.linux.devices = nodes.isEmpty ? nil : nodes
        return rules
    }

    private func seccomp(_ security: Runtime_V1_LinuxContainerSecurityContext, capabilities: Set<String>) throws -> RuntimeSpec.Seccomp? {
        if security.hasSeccomp {
            switch security.seccomp.profileType {
            case .unconfined: return nil
            case .localhost: return try SeccompProfiles.localhost(path: security.seccomp.localhostRef)
            default: return SeccompProfiles.runtimeDefault(capabilities: capabilities)
            }
        }
        switch security.seccompProfilePath {
        case "", "unconfined": return nil
        case "runtime/default", "docker/default": return SeccompProfiles.runtimeDefault(capabilities: capabilities)
        case let path where path.hasPrefix("localhost/"): return try SeccompProfiles.localhost(path: String(path.dropFirst("localhost/".count)))
        case let other: throw RuntimeError.invalidArgument("unsupported seccomp profile \"\(other)\"")
        }
    }

    /// What every container mounts, as runc's and containerd's defaults have it.
    static func standardMounts(readOnlySys: Bool) -> [RuntimeSpec.Mount] {
        [
            .init(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            .init(destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            .init(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", readOnlySys ? "ro" : "rw"]),
            .init(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
        ]
    }

    static let maskedPaths = [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]
    static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
}

import CRI
import Foundation
import GRPCCore
import Images
import LinuxSystem
import Logging
import OCI
import SwiftProtobuf

extension ContainerRuntime {
    /// CRI `CreateContainer`: reserves the name, mounts the image as the container's root, writes the OCI
    /// spec and has a monitor run `runc create`; the container waits in state Created for StartContainer.
    public func createContainer(
        sandboxID: String, _ config: Runtime_V1_ContainerConfig, sandboxConfig: Runtime_V1_PodSandboxConfig
    ) async throws -> String {
        let sandbox = try self.sandbox(sandboxID)
        guard sandbox.state == .ready else {
            throw RuntimeError(.failedPrecondition, "sandbox container \"\(sandbox.id)\" is not running")
        }
        guard !config.metadata.name.isEmpty else { throw RuntimeError.invalidArgument("container config must include metadata with a name") }
        guard !config.image.image.isEmpty else { throw RuntimeError.invalidArgument("container config must name an image") }
        var shared = try sharedNamespaces(of: sandbox)
        let namespaceOptions = config.linux.securityContext.namespaceOptions
        if namespaceOptions.pid == .target {
            shared.target = try targetPIDNamespace(namespaceOptions.targetID, sandboxID: sandbox.id)
        }
        let name = ContainerRecord.reservedName(config.metadata, sandbox: sandbox.metadata)
        if let holder = reservedNames[name] {
            throw RuntimeError(.alreadyExists, "failed to reserve container name \"\(name)\": name \"\(name)\" is reserved for \"\(holder)\"")
        }
        let id = Self.newID()
        reservedNames[name] = id
        let bundle = containerDirectory(id)
        var permit: StartAdmission.Permit?
        do {
            let image = try await resolveImage(config.image.image, leasedTo: id)
            let builder = ContainerSpecBuilder(
                config: config, sandbox: sandbox, sandboxDirectory: sandboxDirectory(sandbox.id), image: image.config,
                rootfs: bundle + "/rootfs", shared: shared, oomScore: oomScore)
            let logPath = Self.logPath(directory: sandboxConfig.logDirectory.isEmpty ? sandbox.sandboxConfig.logDirectory : sandboxConfig.logDirectory,
                                       file: config.logPath)
            let record = ContainerRecord(
                id: id, sandboxID: sandbox.id, config: try config.serializedBytes(), image: config.image.image, imageID: image.id,
                imageRepoDigest: image.repoDigests.first, layers: image.layers, createdAt: Self.now(), logPath: logPath,
                stopSignal: Self.signalNumber(image.config.stopSignal) ?? SIGTERM, cgroupsPath: sandbox.cgroupParent + "/" + id)
            // The root's mount, the spec (which reads the image's /etc/passwd and /etc/group) and the files touch no
            // runtime state: they are made on a thread of their own, so the actor serves the other pods' calls meanwhile.
            let layers = images.layerPaths(of: image), imageID = image.id, writableLayer = writableLayer(id)
            let recordPath = containerDirectory(id) + "/container.json"
            permit = await admission.acquire(.container)
            let clock = ContinuousClock(), began = clock.now
            try await DedicatedThread.offload {
                Result {
                    try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)
                    try Self.mountRootfs(layers: layers, imageID: imageID, bundle: bundle, writableLayer: writableLayer)
                    var spec = try builder.build()
                    spec.linux.cgroupsPath = record.cgroupsPath
                    try Self.writeAtomically(JSONEncoder().encode(spec), to: bundle + "/config.json")
                    if let logPath {
                        try FileManager.default.createDirectory(atPath: (logPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    }
                    try Self.writeAtomically(JSONEncoder().encode(record), to: recordPath)
                }
            }.get()
            let prepared = clock.now
            _ = try await shim.create(.init(id: id, bundle: bundle, logPath: logPath, logMaximumSize: configuration.containerLogMaxSize,
                                            memoryCgroup: Cgroupfs.memoryDirectory(record.cgroupsPath), stdin: config.stdin, terminal: config.tty))
            if let permit { await admission.release(permit) }
            containers[id] = record
            // Where the time went: the root's mount, the spec and files; the monitor's `runc create`.
            logger.info("container created", metadata: ["container": "\(id)", "name": "\(config.metadata.name)", "sandbox": "\(sandbox.id)",
                                                        "prepareMs": "\(Self.milliseconds(prepared - began))",
                                                        "runcCreateMs": "\(Self.milliseconds(clock.now - prepared))"])
            return id
        } catch {
            if let permit { await admission.release(permit) }
            try? await runc.delete(id, force: true)
            try? removeBundle(bundle, writableLayer: writableLayer(id))
            await releaseImage(of: id)
            containers[id] = nil
            reservedNames[name] = nil
            throw error
        }
    }

    /// The namespace files a sandbox's containers join: the pinned ipc/uts ones, or the infra container's
    /// (`/proc/<pid>/ns/…`, its pid namespace too).
    func sharedNamespaces(of sandbox: PodSandboxRecord) throws -> ContainerSpecBuilder.SharedNamespaces {
        if let pinned = sandbox.pinned { return .init(ipc: pinned.ipc, uts: pinned.uts, pid: nil) }
        guard let pid = pid(ofBundle: sandboxDirectory(sandbox.id) + "/bundle") else {
            throw RuntimeError(.failedPrecondition, "sandbox \(sandbox.id) has no running infra container")
        }
        return .init(ipc: "/proc/\(pid)/ns/ipc", uts: "/proc/\(pid)/ns/uts", pid: "/proc/\(pid)/ns/pid")
    }

    /// The PID namespace a `NamespaceMode` TARGET container joins: that of container `targetID`, which must be in
    /// the same sandbox and running (containerd's validateTargetContainer, with its messages).
    func targetPIDNamespace(_ targetID: String, sandboxID: String) throws -> String {
        guard let target = try? container(targetID) else {
            throw RuntimeError(.notFound, "invalid target container: container \"\(targetID)\" does not exist")
        }
        guard target.sandboxID == sandboxID else {
            throw RuntimeError(.failedPrecondition,
                               "invalid target container: container \"\(targetID)\" (sandbox \(target.sandboxID)) does not belong to sandbox \(sandboxID)")
        }
        let state = state(of: target)
        guard state == .containerRunning, let pid = pid(ofBundle: containerDirectory(target.id)) else {
            throw RuntimeError(.failedPrecondition, "invalid target container: container \"\(targetID)\" is not running - in state \(Self.stateName(state))")
        }
        return "/proc/\(pid)/ns/pid"
    }

    /// A container state as CRI's enum names it (`CONTAINER_EXITED`), as containerd prints it.
    static func stateName(_ state: Runtime_V1_ContainerState) -> String {
        switch state {
        case .containerCreated: "CONTAINER_CREATED"
        case .containerRunning: "CONTAINER_RUNNING"
        case .containerExited: "CONTAINER_EXITED"
        default: "CONTAINER_UNKNOWN"
        }
    }

    /// A duration in milliseconds with one decimal, for logs.
    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(format: "%.1f", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }

    /// `<log_directory>/<log_path>` when the kubelet asked for a log, as CRI specifies.
    static func logPath(directory: String, file: String) -> String? {
        guard !file.isEmpty else { return nil }
        if file.hasPrefix("/") { return file }
        guard !directory.isEmpty else { return nil }
        return directory + "/" + file
    }

    /// `SIGTERM`, `TERM`, `15` → the signal number.
    static func signalNumber(_ name: String?) -> Int32? {
        guard let name, !name.isEmpty else { return nil }
        if let number = Int32(name) { return number }
        let bare = name.uppercased().hasPrefix("SIG") ? String(name.uppercased().dropFirst(3)) : name.uppercased()
        let table: [String: Int32] = ["HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "KILL": SIGKILL, "USR1": SIGUSR1,
                                      "USR2": SIGUSR2, "TERM": SIGTERM, "STOP": SIGSTOP, "WINCH": 28, "PWR": 30]
        return table[bare]
    }
}

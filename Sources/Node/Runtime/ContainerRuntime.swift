import CNI
import CRI
import Foundation
import GRPCCore
import Images
import LinuxSystem
import Logging
import OCI

/// The runtime behind the CRI server: pod sandboxes (a network namespace set up through CNI plus ipc/uts
/// namespaces pinned by bind mounts, or an infra container holding them when the pod shares its PID namespace)
/// and their containers, run by runc under one `swiftlet-shim` monitor each.
///
/// Everything it knows is in files under the state directory (`sandboxes/<id>/sandbox.json`,
/// `containers/<id>/container.json`, the monitors' `exit.json`), so a restarted daemon picks up running
/// containers without touching them. Calls on different sandboxes interleave at every `await` (runc and
/// CNI run as subprocesses); names are reserved before the first one so a duplicate can never slip in.
public actor ContainerRuntime {
    public let configuration: RuntimeConfiguration
    public let images: ImageStore
    let runc: Runc
    let shim: ShimLauncher
    /// Sandbox and container starts admitted two per CPU, started pods' containers first.
    let admission = StartAdmission(width: 2 * ProcessInfo.processInfo.activeProcessorCount)
    let cni: CNIRuntime
    let logger: Logger
    let oomScore: OOMScoreClamp
    /// Exec requests granted by `Exec` and waiting for the streaming server.
    public let streaming = StreamingSessions()

    var sandboxes: [String: PodSandboxRecord] = [:]
    var containers: [String: ContainerRecord] = [:]
    /// Exits already read from the bundles' `exit.json`, by bundle path (dropped with the record).
    var exits: [String: ContainerExit] = [:]
    /// containerd-style reserved names (`k8s_POD_…`, `k8s_<container>_…`) → the id holding them.
    var reservedNames: [String: String] = [:]

    public init(configuration: RuntimeConfiguration, images: ImageStore, logger: Logger) async throws {
        self.configuration = configuration
        self.images = images
        self.logger = logger
        runc = Runc(path: configuration.runcPath, root: configuration.runcRoot)
        shim = ShimLauncher(shimPath: configuration.shimPath, runcPath: configuration.runcPath, runcRoot: configuration.runcRoot)
        // Our own plugins found on the CNI path run in-process (no plugin process starts per sandbox), their
        // host-side steps on dedicated threads in this process's namespace.
        cni = CNIRuntime(pluginDirectories: configuration.cniPluginDirectories,
                         cache: ResultCache(directory: configuration.state + "/cni"),
                         exec: BuiltinPluginExec(builtins: BuiltinPluginExec.swiftletPlugins, hostNamespace: try NetworkNamespace.current()))
        oomScore = OOMScoreClamp(logger: logger)
        for directory in [configuration.state + "/sandboxes", configuration.state + "/containers", configuration.root + "/writable-layers",
                          configuration.runcRoot] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let (sandboxes, containers) = Self.load(state: configuration.state, logger: logger)
        Self.removeUnfinishedSandboxes(state: configuration.state, known: Set(sandboxes.keys), logger: logger)
        Self.removeOrphanedWritableLayers(configuration, logger: logger)
        for kind in ["sandboxes", "containers"] {
            let legacy = configuration.root + "/" + kind
            guard let ids = try? FileManager.default.contentsOfDirectory(atPath: legacy), !ids.isEmpty else { continue }
            logger.warning("records below the root from before --state are not read: their pods are unknown to this runtime (drain a node before upgrading it)",
                           metadata: ["directory": "\(legacy)", "entries": "\(ids.count)"])
        }
        self.sandboxes = sandboxes
        self.containers = containers
        for record in sandboxes.values { reservedNames[PodSandboxRecord.reservedName(record.metadata)] = record.id }
        for record in containers.values {
            if let sandbox = sandboxes[record.sandboxID] {
                reservedNames[ContainerRecord.reservedName(record.metadata, sandbox: sandbox.metadata)] = record.id
            }
        }
        await Self.restoreImageLeases(images, sandboxes: sandboxes, containers: containers, pauseImage: configuration.pauseImage)
        logger.info("runtime state loaded", metadata: ["sandboxes": "\(sandboxes.count)", "containers": "\(containers.count)"])
    }

    /// Leases again, in the image store, the image layers under every root filesystem the records say is there, so
    /// removing an image cannot delete them. Records written before leases name no layers: theirs are the layers of
    /// the image they were made from, when it is still there.
    private static func restoreImageLeases(_ images: ImageStore, sandboxes: [String: PodSandboxRecord], containers: [String: ContainerRecord],
                                           pauseImage: String) async {
        for record in containers.values {
            var layers = record.layers
            if layers == nil { layers = await images.image(record.imageID)?.layers }
            if let layers { await images.lease(record.id, layers: layers) }
        }
        for record in sandboxes.values where record.hasInfraContainer {
            var layers = record.infraLayers
            if layers == nil { layers = await images.image(pauseImage)?.layers }
            if let layers { await images.lease(record.id, layers: layers) }
        }
    }

    /// Reads every persisted record; unreadable ones are logged and skipped (their directories stay for
    /// inspection).
    private static func load(state: String, logger: Logger) -> ([String: PodSandboxRecord], [String: ContainerRecord]) {
        func records<R: Decodable>(_ kind: String, _ file: String) -> [R] {
            let directory = state + "/" + kind
            let ids = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return ids.compactMap { id in
                let path = "\(directory)/\(id)/\(file)"
                guard let data = FileManager.default.contents(atPath: path) else { return nil }
                do {
                    return try JSONDecoder().decode(R.self, from: data)
                } catch {
                    logger.warning("skipping unreadable runtime record", metadata: ["path": "\(path)", "error": "\(error)"])
                    return nil
                }
            }
        }
        let sandboxes: [PodSandboxRecord] = records("sandboxes", "sandbox.json")
        let containers: [ContainerRecord] = records("containers", "container.json")
        return (Dictionary(uniqueKeysWithValues: sandboxes.map { ($0.id, $0) }),
                Dictionary(uniqueKeysWithValues: containers.map { ($0.id, $0) }))
    }

    /// A sandbox is recorded once RunPodSandbox succeeded: a directory without a record is one a killed daemon left
    /// half made. Its mounts (pinned namespaces, /dev/shm, an infra root) would otherwise stay for good.
    private static func removeUnfinishedSandboxes(state: String, known: Set<String>, logger: Logger) {
        let directory = state + "/sandboxes"
        for id in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where !known.contains(id) {
            let sandbox = directory + "/" + id
            guard !FileManager.default.fileExists(atPath: sandbox + "/sandbox.json") else { continue }
            do {
                for kind in PinnedNamespace.Kind.allCases { try PinnedNamespace.remove(sandbox + "/ns/" + kind.rawValue) }
                try Mount.unmount(sandbox + "/shm", detach: true)
                try Mount.unmount(sandbox + "/bundle/rootfs", detach: true)
                try FileManager.default.removeItem(atPath: sandbox)
                logger.warning("removed an unfinished sandbox", metadata: ["sandbox": "\(id)"])
            } catch {
                logger.warning("cannot remove an unfinished sandbox", metadata: ["sandbox": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// A writable layer whose sandbox or container has no directory in the state is one a reboot (which empties the
    /// state) or a daemon killed while creating it left behind: nothing can use it again, and on disk it would stay for
    /// good. One whose state directory is there stays (a record may still be written, or its mount still held).
    private static func removeOrphanedWritableLayers(_ configuration: RuntimeConfiguration, logger: Logger) {
        let directory = configuration.root + "/writable-layers"
        for id in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let owners = [configuration.state + "/sandboxes/" + id, configuration.state + "/containers/" + id]
            guard !owners.contains(where: { FileManager.default.fileExists(atPath: $0) }) else { continue }
            do {
                try FileManager.default.removeItem(atPath: directory + "/" + id)
                logger.info("removed an orphaned writable layer", metadata: ["id": "\(id)"])
            } catch {
                logger.warning("cannot remove an orphaned writable layer", metadata: ["id": "\(id)", "error": "\(error)"])
            }
        }
    }

    // MARK: Paths and persistence

    func sandboxDirectory(_ id: String) -> String { configuration.state + "/sandboxes/" + id }
    func containerDirectory(_ id: String) -> String { configuration.state + "/containers/" + id }
    /// The overlay upper and work directories of container (or infra container) `id`, on the persistent root.
    func writableLayer(_ id: String) -> String { configuration.root + "/writable-layers/" + id }

    func persist(_ record: PodSandboxRecord) throws {
        try Self.writeAtomically(JSONEncoder().encode(record), to: sandboxDirectory(record.id) + "/sandbox.json")
    }

    func persist(_ record: ContainerRecord) throws {
        try Self.writeAtomically(JSONEncoder().encode(record), to: containerDirectory(record.id) + "/container.json")
    }

    static func writeAtomically(_ data: Data, to path: String) throws {
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// How the container (or a sandbox's infra container) in `bundle` ended, once its monitor wrote it. An exit is
    /// final, so it is read from disk once (List and Status calls ask for every container's state).
    func exit(ofBundle bundle: String) -> ContainerExit? {
        if let known = exits[bundle] { return known }
        guard let data = FileManager.default.contents(atPath: bundle + "/exit.json"),
              let exit = try? JSONDecoder().decode(ContainerExit.self, from: data) else { return nil }
        exits[bundle] = exit
        return exit
    }

    /// The pid runc recorded for the container in `bundle`.
    func pid(ofBundle bundle: String) -> Int32? {
        (try? String(contentsOfFile: bundle + "/pid", encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// A container id like containerd's: 64 hex digits.
    static func newID() -> String {
        (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    static func now() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1_000_000_000)
    }

    /// Finds a sandbox by full id or unique prefix, as crictl lets users type them.
    func sandbox(_ id: String) throws -> PodSandboxRecord {
        if let record = sandboxes[id] { return record }
        let matches = id.isEmpty ? [] : sandboxes.values.filter { $0.id.hasPrefix(id) }
        guard matches.count == 1, let record = matches.first else {
            throw RuntimeError.notFound("an error occurred when try to find sandbox \"\(id)\": not found")
        }
        return record
    }

    /// Finds a container by full id or unique prefix.
    func container(_ id: String) throws -> ContainerRecord {
        if let record = containers[id] { return record }
        let matches = id.isEmpty ? [] : containers.values.filter { $0.id.hasPrefix(id) }
        guard matches.count == 1, let record = matches.first else {
            throw RuntimeError.notFound("an error occurred when try to find container \"\(id)\": not found")
        }
        return record
    }
}

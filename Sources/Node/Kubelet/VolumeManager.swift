import Foundation
import KubeAPI
import LinuxSystem
import Logging

/// A pod's volume set up on the node: where it is, and whether every mount of it is read-only (a claim's `readOnly`).
struct PodVolume: Sendable, Equatable {
    var path: String
    var readOnly = false
}

/// Sets up a pod's volumes under `<root>/pods/<uid>/volumes/<plugin>/<name>` as the kubelet does and
/// keeps ConfigMap/Secret contents current: files are written into a fresh `..<timestamp>` directory and
/// the `..data` symlink is swapped atomically, so a container never sees a half-updated set.
struct VolumeManager: Sendable {
    let rootDirectory: String
    let objects: PodObjects
    let logger: Logger
    /// The node's cpu and memory, what a downwardAPI file of an unset limit reads as.
    var nodeCapacity: [String: Quantity] = [:]

    func podDirectory(_ uid: String) -> String { "\(rootDirectory)/pods/\(uid)" }

    /// The pod's volumes by name, where they are on the node; failures name the volume (`FailedMount` upstream). A
    /// claim's volume is its bound PersistentVolume's hostPath or local path.
    func setUp(_ pod: Pod) async throws -> [String: PodVolume] {
        let uid = pod.metadata.uid ?? ""
        let namespace = pod.metadata.namespace ?? "default"
        var paths: [String: String] = [:]
        var readOnly: Set<String> = []
        let ownership = pod.spec?.securityContext.flatMap(VolumeOwnership.init)
        for volume in pod.spec?.volumes ?? [] {
            // A claim's volume: a persistentVolumeClaim source, or the `<pod>-<volume>` claim of an ephemeral volume.
            let claim = volume.persistentVolumeClaim.map { (name: $0.claimName, readOnly: $0.readOnly == true, ephemeral: false) }
                ?? volume.ephemeral.map { _ in (name: pod.ephemeralClaimName(volume), readOnly: false, ephemeral: true) }
            if let source = claim {
                do {
                    let bound = try await objects.boundVolume(claim: source.name, namespace: namespace, ephemeralFor: source.ephemeral ? pod : nil)
                    let path = try Self.nodePath(of: bound)
                    // Upstream's local volume plugin gives a writable local volume the pod's fsGroup on its first
                    // mount (hostPath volumes keep their owner).
                    if bound.spec?.local != nil, !source.readOnly, let ownership, !ownership.rootConforms(path, readOnly: false) {
                        do {
                            try ownership.apply(to: path, readOnly: false)
                        } catch {
                            throw ContainerConfigError(message: "MountVolume.SetUp failed for volume \"\(bound.metadata.name ?? "")\" : \(error)")
                        }
                    }
                    paths[volume.name] = path
                } catch let error as ContainerConfigError {
                    // Upstream's WaitForAttachAndMount: none of the pod's volumes is mounted while one cannot be processed.
                    let all = "[" + (pod.spec?.volumes ?? []).map(\.name).joined(separator: " ") + "]"
                    throw ContainerConfigError(message: "Unable to attach or mount volumes: unmounted volumes=\(all), unattached volumes=\(all), failed to process volumes=[\(volume.name)]: \(error.message)")
                }
                if source.readOnly { readOnly.insert(volume.name) }
                continue
            }
            do {
                if let emptyDir = volume.emptyDir {
                    let path = "\(podDirectory(uid))/volumes/kubernetes.io~empty-dir/\(volume.name)"
                    let created = !FileManager.default.fileExists(atPath: path)
                    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                    if emptyDir.medium == "Memory", !Mount.isMountPoint(path) {
                        try Mount.volumeTmpfs(at: path, size: memoryVolumeSize(pod, sizeLimit: emptyDir.sizeLimit))
                    } else if emptyDir.medium != "Memory" {
                        // Upstream's setupDir: every container may write, whatever user it runs as.
                        try GroupOwnership.setPermissionBits(path, 0o777)
                    }
                    // As upstream sets an emptyDir up once: its ownership is applied when it is made (or when its root
                    // no longer conforms), not walked through whatever the pod wrote at every sync.
                    if let ownership, created || !ownership.rootConforms(path, readOnly: false) {
                        try ownership.apply(to: path, readOnly: false)
                    }
                    paths[volume.name] = path
                } else if let hostPath = volume.hostPath {
                    try Self.checkHostPath(hostPath)
                    paths[volume.name] = hostPath.path
                } else if let source = volume.configMap, let name = source.name {
                    let path = "\(podDirectory(uid))/volumes/kubernetes.io~configmap/\(volume.name)"
                    guard let data = try await objects.configMap(name, for: pod) else {
                        if source.optional == true { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true); paths[volume.name] = path; continue }
                        throw ContainerConfigError(message: "configmap \"\(name)\" not found")
                    }
                    try AtomicWriter(directory: path).write(Self.project(data, items: source.items), mode: source.defaultMode ?? 0o644)
                    try ownership?.apply(to: path, readOnly: true)
                    paths[volume.name] = path
                } else if let source = volume.secret, let name = source.secretName {
                    let path = "\(podDirectory(uid))/volumes/kubernetes.io~secret/\(volume.name)"
                    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                    // Secrets never touch the node's disk: a tmpfs per volume, as upstream.
                    if !Mount.isMountPoint(path) { try Mount.volumeTmpfs(at: path, size: memoryVolumeSize(pod, sizeLimit: nil)) }
                    guard let data = try await objects.secret(name, for: pod) else {
                        if source.optional == true { paths[volume.name] = path; continue }
                        throw ContainerConfigError(message: "secret \"\(name)\" not found")
                    }
                    try AtomicWriter(directory: path).write(Self.project(data, items: source.items), mode: source.defaultMode ?? 0o644)
                    try ownership?.apply(to: path, readOnly: true)
                    paths[volume.name] = path
                } else if let source = volume.downwardAPI {
                    let path = "\(podDirectory(uid))/volumes/kubernetes.io~downward-api/\(volume.name)"
                    try AtomicWriter(directory: path).write(try downwardFiles(source.items ?? [], pod: pod), mode: source.defaultMode ?? 0o644)
                    try ownership?.apply(to: path, readOnly: true)
                    paths[volume.name] = path
                } else if let source = volume.projected {
                    let path = "\(podDirectory(uid))/volumes/kubernetes.io~projected/\(volume.name)"
                    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                    // Projections may hold Secrets: a tmpfs, like a secret volume.
                    if !Mount.isMountPoint(path) { try Mount.volumeTmpfs(at: path, size: memoryVolumeSize(pod, sizeLimit: nil)) }
                    try AtomicWriter(directory: path).write(try await projectedFiles(source.sources ?? [], pod: pod), mode: source.defaultMode ?? 0o644)
                    try ownership?.apply(to: path, readOnly: true)
                    paths[volume.name] = path
                } else {
                    throw ContainerConfigError(message: "volume type not supported by this kubelet")
                }
            } catch {
                throw ContainerConfigError(message: "MountVolume.SetUp failed for volume \"\(volume.name)\" : \(error)")
            }
        }
        return paths.reduce(into: [:]) { volumes, entry in volumes[entry.key] = PodVolume(path: entry.value, readOnly: readOnly.contains(entry.key)) }
    }

    /// How large a memory-backed volume's tmpfs is (upstream's `calculateEmptyDirMemorySize`, SizeMemoryBackedVolumes
    /// on): the node's memory, or the pod's memory limit when every container has one and it is smaller, or the
    /// volume's `sizeLimit` when smaller still; nil, the kernel's default, when the node's memory is unknown.
    func memoryVolumeSize(_ pod: Pod, sizeLimit: Quantity?) -> Int64? {
        guard var size = nodeCapacity["memory"], size > .zero else { return sizeLimit.map(\.value) }
        let containers = (pod.spec?.containers ?? []) + (pod.spec?.initContainers ?? [])
        if containers.allSatisfy({ $0.resources?.limits?["memory"] != nil }),
           let limit = QuotaUsage.podLimits(pod.spec)["memory"], limit > .zero, limit <= size {
            size = limit
        }
        if let sizeLimit, sizeLimit > .zero, sizeLimit <= size { size = sizeLimit }
        return size.value
    }

    /// The files of a downwardAPI volume or projection: each item's field or resource value.
    private func downwardFiles(_ items: [DownwardAPIVolumeFile], pod: Pod) throws -> [String: Data] {
        let downward = DownwardAPI(pod: pod, nodeCapacity: nodeCapacity)
        var files: [String: Data] = [:]
        for item in items {
            if let field = item.fieldRef {
                files[item.path] = Data(try downward.field(field.fieldPath).utf8)
            } else if let resource = item.resourceFieldRef {
                let containers = (pod.spec?.containers ?? []) + (pod.spec?.initContainers ?? [])
                guard let container = containers.first(where: { $0.name == resource.containerName }) else {
                    throw ContainerConfigError(message: "resourceFieldRef of \(item.path) names no container of the pod (\(resource.containerName ?? ""))")
                }
                files[item.path] = Data(try downward.resource(resource, of: container).utf8)
            }
        }
        return files
    }

    /// The union of a projected volume's sources (ConfigMaps, Secrets, downward API, service-account tokens),
    /// later sources winning.
    private func projectedFiles(_ sources: [VolumeProjection], pod: Pod) async throws -> [String: Data] {
        var files: [String: Data] = [:]
        for source in sources {
            if let map = source.configMap, let name = map.name {
                if let data = try await objects.configMap(name, for: pod) {
                    files.merge(Self.project(data, items: map.items)) { _, new in new }
                } else if map.optional != true {
                    throw ContainerConfigError(message: "configmap \"\(name)\" not found")
                }
            } else if let secret = source.secret, let name = secret.name {
                if let data = try await objects.secret(name, for: pod) {
                    files.merge(Self.project(data, items: secret.items)) { _, new in new }
                } else if secret.optional != true {
                    throw ContainerConfigError(message: "secret \"\(name)\" not found")
                }
            } else if let downward = source.downwardAPI {
                files.merge(try downwardFiles(downward.items ?? [], pod: pod)) { _, new in new }
            } else if let projection = source.serviceAccountToken {
                // A token bound to the pod, refreshed at 80% of its lifetime (each refresh of the volume asks).
                files[projection.path] = Data(try await objects.tokens.token(for: projection, pod: pod).utf8)
            } else {
                throw ContainerConfigError(message: "projected volume source not supported by this kubelet")
            }
        }
        return files
    }

    /// Unmounts tmpfs volumes, removes the pod's directory and forgets the objects it referred to.
    func tearDown(podUID uid: String) {
        objects.release(podUID: uid)
        let volumes = podDirectory(uid) + "/volumes"
        for plugin in (try? FileManager.default.contentsOfDirectory(atPath: volumes)) ?? [] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: "\(volumes)/\(plugin)")) ?? [] {
                try? Mount.unmount("\(volumes)/\(plugin)/\(name)", detach: true)
            }
        }
        try? FileManager.default.removeItem(atPath: podDirectory(uid))
    }

    /// `items` picks keys and renames them; without it every key is a file.
    static func project(_ data: [String: Data], items: [KeyToPath]?) -> [String: Data] {
        guard let items else { return data }
        var files: [String: Data] = [:]
        for item in items { if let value = data[item.key] { files[item.path] = value } }
        return files
    }

    /// hostPath `type` checks (DirectoryOrCreate and FileOrCreate create what is missing).
    static func checkHostPath(_ source: HostPathVolumeSource) throws {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory)
        switch source.type ?? "" {
        case "DirectoryOrCreate":
            if !exists { try FileManager.default.createDirectory(atPath: source.path, withIntermediateDirectories: true) }
        case "Directory":
            guard exists, isDirectory.boolValue else { throw ContainerConfigError(message: "hostPath type check failed: \(source.path) is not a directory") }
        case "FileOrCreate":
            if !exists, !FileManager.default.createFile(atPath: source.path, contents: nil) {
                throw ContainerConfigError(message: "hostPath type FileOrCreate: cannot create \(source.path): \(String(cString: strerror(errno)))")
            }
        case "File":
            guard exists, !isDirectory.boolValue else { throw ContainerConfigError(message: "hostPath type check failed: \(source.path) is not a file") }
        default:
            break
        }
    }
}

/// The kubelet's atomic writer for projected files: `<dir>/..<timestamp>/<files>`, `..data` → that
/// directory, and `<dir>/<file>` → `..data/<file>` for each top-level name.
struct AtomicWriter {
    let directory: String

    func write(_ files: [String: Data], mode: Int32) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let dataLink = directory + "/..data"
        if let current = try? manager.destinationOfSymbolicLink(atPath: dataLink), holds(current, files) { return }
        let stamp = "..\(Int(Date().timeIntervalSince1970 * 1_000_000))"
        let target = directory + "/" + stamp
        for (path, content) in files {
            let file = target + "/" + path
            try manager.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try content.write(to: URL(fileURLWithPath: file))
            try manager.setAttributes([.posixPermissions: Int(mode)], ofItemAtPath: file)
        }
        try manager.createDirectory(atPath: target, withIntermediateDirectories: true)
        let old = try? manager.destinationOfSymbolicLink(atPath: dataLink)
        let temporary = directory + "/..data_tmp"
        try? manager.removeItem(atPath: temporary)
        try manager.createSymbolicLink(atPath: temporary, withDestinationPath: stamp)
        guard rename(temporary, dataLink) == 0 else { throw SystemError.lastError("rename", context: dataLink) }
        let names = Set(files.keys.map { String($0.split(separator: "/").first ?? "") })
        for name in names where !manager.fileExists(atPath: directory + "/" + name) {
            try manager.createSymbolicLink(atPath: directory + "/" + name, withDestinationPath: "..data/" + name)
        }
        for entry in try manager.contentsOfDirectory(atPath: directory) where !entry.hasPrefix("..") && !names.contains(entry) {
            try? manager.removeItem(atPath: directory + "/" + entry)
        }
        if let old, old != stamp { try? manager.removeItem(atPath: directory + "/" + old) }
    }

    /// Whether the `..<timestamp>` directory `stamp` already holds exactly `files`.
    private func holds(_ stamp: String, _ files: [String: Data]) -> Bool {
        let base = directory + "/" + stamp
        for (path, content) in files where FileManager.default.contents(atPath: base + "/" + path) != content { return false }
        let present = (FileManager.default.enumerator(atPath: base)?.allObjects as? [String] ?? []).filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: base + "/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        return Set(present) == Set(files.keys)
    }
}

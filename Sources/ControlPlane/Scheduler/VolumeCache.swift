import KubeAPI

/// The scheduler's view of storage for the VolumeBinding filter: claims, volumes and classes from its watches, and
/// the volumes it has chosen for claims of pods whose binding is in flight (upstream's assume cache), so the next
/// pod does not pick the same volume.
struct VolumeCache: Sendable {
    /// Claims by `namespace/name`.
    var claims: [String: PersistentVolumeClaim] = [:]
    var volumes: [String: PersistentVolume] = [:]
    var classes: [String: StorageClass] = [:]
    /// Volume name → key of the claim it was chosen for, until the volume's watch shows the binding.
    var assumed: [String: String] = [:]

    static func key(namespace: String, name: String) -> String { "\(namespace)/\(name)" }
    static func key(_ claim: PersistentVolumeClaim) -> String { key(namespace: claim.metadata.namespace ?? "", name: claim.metadata.name ?? "") }

    mutating func setVolume(_ volume: PersistentVolume) {
        guard let name = volume.metadata.name else { return }
        volumes[name] = volume
        // The API server has the volume's claim now (or it was released): the assumption is no longer needed.
        if let claimKey = assumed[name], let ref = volume.spec?.claimRef,
           Self.key(namespace: ref.namespace ?? "", name: ref.name ?? "") == claimKey {
            assumed[name] = nil
        }
    }

    mutating func removeVolume(named name: String) {
        volumes[name] = nil
        assumed[name] = nil
    }

    /// Whether the binder has finished with the claim (volume named and bind-completed).
    func isFullyBound(_ key: String) -> Bool { claims[key]?.isBound ?? false }
}

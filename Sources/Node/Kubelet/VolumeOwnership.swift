import KubeAPI
import LinuxSystem

/// A pod's `fsGroup` applied to the volumes the kubelet manages (emptyDir, configMap, secret, downwardAPI,
/// projected), as upstream's `SetVolumeOwnership`: every file and directory gets the group, read (and, for a
/// writable volume, write) permission for it, directories the setgid bit and search permission, so files created
/// later inherit the group. Symlinks change group only. With `fsGroupChangePolicy: OnRootMismatch` nothing is walked
/// while the volume's root already has the group and those permissions.
struct VolumeOwnership: Sendable {
    let ownership: GroupOwnership
    let onRootMismatchOnly: Bool

    /// Nil without an `fsGroup`.
    init?(_ security: PodSecurityContext) {
        guard let fsGroup = security.fsGroup, let group = UInt32(exactly: fsGroup) else { return nil }
        ownership = GroupOwnership(group: group)
        onRootMismatchOnly = security.fsGroupChangePolicy == "OnRootMismatch"
    }

    /// Upstream's `rwMask` and `roMask`: what the group gets on a writable and a read-only volume.
    static func mask(readOnly: Bool) -> UInt32 { readOnly ? 0o440 : 0o660 }

    /// Gives `root` and everything under it to the group; `readOnly` for volumes containers only read (the
    /// projected kinds).
    func apply(to root: String, readOnly: Bool) throws {
        if onRootMismatchOnly, rootConforms(root, readOnly: readOnly) { return }
        try ownership.apply(to: root, permissions: Self.mask(readOnly: readOnly))
    }

    /// Whether the volume's root already has the group and its permissions (OnRootMismatch's test).
    func rootConforms(_ root: String, readOnly: Bool) -> Bool {
        ownership.conforms(root, permissions: Self.mask(readOnly: readOnly))
    }
}

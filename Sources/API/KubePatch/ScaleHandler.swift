import KubeAPI

/// Carries `metadata.managedFields` between an object with `spec.replicas` (Deployment, ReplicaSet, StatefulSet)
/// and its autoscaling/v1 `Scale`, as apimachinery's `managedfields.ScaleHandler` does for the scale subresource:
/// a write through `/scale` is field-managed on the Scale (so an apply there conflicts with whoever owns the
/// parent's replicas), and the result is folded back into the parent's entries.
///
/// ```swift
/// let handler = ScaleHandler(parentManagedFields: deployment[path: ["metadata", "managedFields"]], parentAPIVersion: "apps/v1")
/// scale["metadata"]?["managedFields"] = try handler.toSubresource()
/// let applied = try FieldManager(kind: "Scale", subresource: "scale").apply(config, to: scale, …)
/// deployment["metadata"]?["managedFields"] = try handler.toParent(applied[path: ["metadata", "managedFields"]])
/// ```
public struct ScaleHandler: Sendable {
    /// The API version of `Scale`.
    public static let scaleAPIVersion = "autoscaling/v1"
    /// `spec.replicas`, the one field a Scale writes, in the parent and in the Scale alike.
    static let replicas = FieldSet([[.field("spec"), .field("replicas")]])

    let parentEntries: FieldManager.Managers
    let parentAPIVersion: String

    /// `parentManagedFields` is the parent's `metadata.managedFields` array (or nil); `parentAPIVersion` its version
    /// (`apps/v1`), which the entries a Scale write adds are recorded in.
    public init(parentManagedFields: JSONValue?, parentAPIVersion: String) throws(PatchError) {
        parentEntries = try FieldManager.decode(parentManagedFields)
        self.parentAPIVersion = parentAPIVersion
    }

    /// The Scale's managedFields: every parent entry owning `spec.replicas`, reduced to it, in autoscaling/v1
    /// (upstream's `ToSubresource`).
    public func toSubresource() -> JSONValue {
        var scale = FieldManager.Managers()
        for entry in parentEntries.values where entry.fields.contains([.field("spec"), .field("replicas")]) {
            var reduced = entry
            reduced.apiVersion = Self.scaleAPIVersion
            reduced.fields = Self.replicas
            scale[reduced.identity] = reduced
        }
        return Self.encode(scale)
    }

    /// The parent's managedFields after a Scale write left the Scale with `scaleManagedFields` (upstream's
    /// `ToParent`): entries without `spec.replicas` stay; a parent entry owning it keeps it only if the Scale still
    /// lists that manager (else the write took it); Scale managers the parent did not have join with `spec.replicas`
    /// in the parent's version.
    public func toParent(_ scaleManagedFields: JSONValue?) throws(PatchError) -> JSONValue {
        var scale = try FieldManager.decode(scaleManagedFields)
        var parent = FieldManager.Managers()
        for (id, entry) in parentEntries {
            guard entry.fields.contains([.field("spec"), .field("replicas")]) else {
                parent[id] = entry
                continue
            }
            if scale.removeValue(forKey: scaleIdentity(of: entry)) != nil {
                parent[id] = entry
            } else {
                var rest = entry
                rest.fields = entry.fields.subtracting(Self.replicas)
                parent[id] = rest
            }
        }
        for entry in scale.values where entry.fields.contains([.field("spec"), .field("replicas")]) {
            var added = entry
            added.apiVersion = parentAPIVersion
            added.fields = Self.replicas
            parent[added.identity] = added
        }
        return Self.encode(parent)
    }

    /// The identity a parent entry has among the Scale's entries (an updater's carries the Scale's version).
    private func scaleIdentity(of entry: ManagerEntry) -> ManagerEntry.Identity {
        var reduced = entry
        reduced.apiVersion = Self.scaleAPIVersion
        return reduced.identity
    }

    private static func encode(_ managers: FieldManager.Managers) -> JSONValue {
        .array(managers.values.filter { !$0.fields.isEmpty }.sorted(by: ManagerEntry.ordered).map(\.json))
    }
}

import Foundation

/// apps/v1 `ControllerRevision`: one immutable snapshot of a controller's state, by which the DaemonSet controller
/// (and StatefulSets upstream) keeps its rollout history. `data` holds the patch that restores the snapshot (for a
/// DaemonSet, `{"spec":{"template":{…,"$patch":"replace"}}}`) and `revision` orders the snapshots; kubectl's
/// `rollout history` and `rollout undo` read them and patch the owner.
public struct ControllerRevision: KubeObject {
    public static let resource = ResourceInfo(group: "apps", version: "v1", plural: "controllerrevisions", singular: "controllerrevision", kind: "ControllerRevision", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// The serialized state (a `runtime.RawExtension`, which carries any JSON).
    public var data: JSONValue?
    /// The revision number; required upstream, so it is always encoded.
    public var revision: Int64

    public init(metadata: ObjectMeta = ObjectMeta(), data: JSONValue? = nil, revision: Int64 = 0) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.data = data
        self.revision = revision
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, data, revision }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        data = try c.decodeIfPresent(JSONValue.self, forKey: .data)
        revision = try c.decodeIfPresent(Int64.self, forKey: .revision) ?? 0
    }
}

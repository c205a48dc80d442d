import KubeAPI

/// One change seen by a watch: upstream's ADDED, MODIFIED, DELETED and BOOKMARK event types.
///
/// ERROR events are not values of this type: a watch stream throws them (`KubeClientError.gone` for a 410
/// Status, `KubeClientError.api` otherwise), since the server ends the stream after one anyway.
public enum WatchEvent<K: KubeObject>: Sendable, Equatable {
    case added(K)
    case modified(K)
    case deleted(K)
    /// A progress marker: every change up to `resourceVersion` has been delivered. Only with `allowBookmarks`.
    case bookmark(resourceVersion: String)

    /// The object of ADDED, MODIFIED and DELETED.
    public var object: K? {
        switch self {
        case .added(let o), .modified(let o), .deleted(let o): o
        case .bookmark: nil
        }
    }

    /// The resourceVersion the event brings the watcher to.
    public var resourceVersion: String? {
        switch self {
        case .added(let o), .modified(let o), .deleted(let o): o.metadata.resourceVersion
        case .bookmark(let rv): rv
        }
    }

    /// The wire name of the event type.
    public var type: String {
        switch self {
        case .added: "ADDED"
        case .modified: "MODIFIED"
        case .deleted: "DELETED"
        case .bookmark: "BOOKMARK"
        }
    }
}

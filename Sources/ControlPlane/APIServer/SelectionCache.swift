import KubeAPI
import Synchronization

/// What label and field selectors look at in one object: its labels and its kind's selectable field values.
struct SelectedValues: Sendable {
    let labels: [String: String]
    let fields: [String: String]

    init(_ object: some KubeObject) {
        labels = object.metadata.labels ?? [:]
        fields = FieldSelector.fieldValues(of: object)
    }
}

/// The ``SelectedValues`` of recently written or watched object versions of one kind, shared by the kind's watches.
///
/// A watch with a selector must know whether each changed object matched before and after the change. Every such
/// watch decoding both versions itself cost the server two full decodes per event and watcher (each node's kubelet
/// watches pods with a `spec.nodeName` selector: 18 % of the server's CPU on a three-node lab starting pods). A
/// version is identified by its key and modification revision, so what one watcher (or the write that stored it)
/// derived serves every other. Bounded: the oldest versions are forgotten first; a watcher far behind decodes again.
/// Writes remember their versions only while the kind has watches with selectors, so a kind nobody watches that way
/// (Events, Leases) keeps nothing.
final class SelectionCache: Sendable {
    private let versions: VersionCache<SelectedValues>
    private let selectingWatches = Atomic<Int>(0)

    init(capacity: Int = 2048) {
        versions = VersionCache(capacity: capacity)
    }

    /// Whether any watch with a selector is open on the kind (writes then remember their versions).
    var isWatched: Bool { selectingWatches.load(ordering: .relaxed) > 0 }

    /// A watch with a selector opened; `watchEnded()` when it closes.
    func watchStarted() { selectingWatches.add(1, ordering: .relaxed) }

    /// A watch with a selector closed; the last one to close empties the cache.
    func watchEnded() {
        guard selectingWatches.subtract(1, ordering: .relaxed).newValue == 0 else { return }
        versions.removeAll()
    }

    /// The values of the version of `key` stored at `revision`, if known.
    func values(key: String, revision: Int64) -> SelectedValues? {
        versions.value(key: key, revision: revision)
    }

    /// Remembers the values of the version of `key` stored at `revision`, forgetting the oldest version when full.
    func remember(_ values: SelectedValues, key: String, revision: Int64) {
        versions.remember(values, key: key, revision: revision)
    }

    /// How many versions are remembered.
    var count: Int { versions.count }
}

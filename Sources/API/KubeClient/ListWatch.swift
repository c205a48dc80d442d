import KubeAPI

/// What a `Reflector` needs from the API: a full LIST and a WATCH from a resourceVersion.
///
/// `ListWatch` is the real one; tests substitute scripted ones to drive the reflector through expired and
/// dropped watches.
public protocol ListerWatcher<Object>: Sendable {
    associatedtype Object: KubeObject
    /// Lists every object (all pages); the result's `metadata.resourceVersion` is where the watch starts.
    func list() async throws(KubeClientError) -> ObjectList<Object>
    /// Watches changes after `resourceVersion`, with bookmarks.
    func watch(resourceVersion: String) -> AsyncThrowingStream<WatchEvent<Object>, any Error>
}

/// LIST and WATCH of one kind through a `KubeClient`, in one namespace or all, optionally filtered by selectors.
public struct ListWatch<K: KubeObject>: ListerWatcher {
    public let client: KubeClient
    /// `nil` for all namespaces.
    public var namespace: String?
    public var labelSelector: String?
    public var fieldSelector: String?
    /// LIST page size (upstream's reflector uses 500).
    public var pageSize: Int
    /// Watches are ended by the server after a random time in this range, as upstream's reflector asks
    /// (5–10 min), so load spreads and dead connections are noticed.
    public var watchTimeout: ClosedRange<Int>

    public init(client: KubeClient, namespace: String? = nil, labelSelector: String? = nil,
                fieldSelector: String? = nil, pageSize: Int = 500, watchTimeout: ClosedRange<Int> = 300...600) {
        self.client = client
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.pageSize = pageSize
        self.watchTimeout = watchTimeout
    }

    public func list() async throws(KubeClientError) -> ObjectList<K> {
        try await client.list(K.self, namespace: namespace,
                              options: ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector, limit: pageSize))
    }

    public func watch(resourceVersion: String) -> AsyncThrowingStream<WatchEvent<K>, any Error> {
        client.watch(K.self, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector,
                     resourceVersion: resourceVersion, allowBookmarks: true,
                     timeout: .seconds(Int.random(in: watchTimeout)))
    }
}

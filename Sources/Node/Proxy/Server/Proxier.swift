/// A backend that programs Services and their endpoints into the kernel (upstream's `proxy.Provider`):
/// ``NFTablesProxier`` or ``IPTablesProxier``.
///
///     let proxier: any Proxier = IPTablesProxier(iptables: IPTables(), configuration: configuration, logger: logger)
///     let result = try await proxier.syncRules(services: services, endpoints: endpoints, node: node)
///     print(result.isFull, result.summary)
public protocol Proxier: Actor {
    /// Successful full and partial syncs so far.
    var fullSyncCount: Int { get }
    var partialSyncCount: Int { get }

    /// Brings the kernel's rules in line with the snapshots; on failure the previous rules stay in place.
    @discardableResult
    func syncRules(services: ServicePortMap, endpoints: EndpointsMap, node: NodeInfo) async throws(ProxyError) -> SyncResult

    /// The same, told which service ports may differ from the snapshots of this proxier's previous call
    /// (added, changed or removed; the change trackers' ``ServiceChangeTracker/takeChanges()`` and
    /// ``EndpointsChangeTracker/takeChanges()``), so a partial sync need not compare the others. `nil`:
    /// not known, compare everything. A backend may ignore it (the default does).
    @discardableResult
    func syncRules(services: ServicePortMap, endpoints: EndpointsMap, node: NodeInfo, changed: Set<ServicePortName>?) async throws(ProxyError)
        -> SyncResult

    /// Makes the next sync a full one (as the periodic safety net does).
    func requestFullSync() async

    /// Removes everything this backend programmed (a throwaway node shutting down).
    func cleanup() async throws(ProxyError)
}

extension Proxier {
    @discardableResult
    public func syncRules(services: ServicePortMap, endpoints: EndpointsMap, node: NodeInfo, changed: Set<ServicePortName>?) async throws(ProxyError)
        -> SyncResult {
        try await syncRules(services: services, endpoints: endpoints, node: node)
    }
}

/// What one sync did, in words both backends share.
public struct SyncResult: Sendable, Hashable {
    /// Whether everything was rewritten (first sync, periodic safety net, recovery after a failure).
    public var isFull: Bool
    /// A one-line account for logs.
    public var summary: String
    /// Whether the sync changed how traffic is handled (false: the rules already matched, or it only removed
    /// leftovers no rule refers to any more — chains flushed by an earlier sync). The sync runner gives the token of
    /// a sync that programmed nothing back.
    public var programmed: Bool
    /// Whether what the sync sent, and the kernel's work on it, grew with the change alone: an nftables partial
    /// sync, whose transaction names only the chains, sets and elements that changed. (A full sync rewrites
    /// everything, and an `iptables-restore` of even one chain has the kernel replace its whole table.) The sync
    /// runner charges such a sync a fraction of the rate limit's token (``SyncRunner/incrementalCost``).
    public var incremental: Bool

    public init(isFull: Bool, summary: String, programmed: Bool, incremental: Bool = false) {
        self.isFull = isFull
        self.summary = summary
        self.programmed = programmed
        self.incremental = incremental
    }
}

/// Both families' proxiers behind one ``Proxier`` (upstream's `metaproxier`): each sync runs the IPv4 one,
/// then the IPv6 one, with the same snapshots (each programs only its family's addresses). A failure of
/// one does not keep the other from syncing; the first error is thrown so the runner retries.
///
///     let proxier = DualStackProxier([ipv4, ipv6])
///     try await proxier.syncRules(services: services, endpoints: endpoints, node: node)
public actor DualStackProxier: Proxier {
    public let proxiers: [any Proxier]

    public init(_ proxiers: [any Proxier]) { self.proxiers = proxiers }

    /// Syncs that succeeded in every family, full (any family rewrote its table) and partial.
    public private(set) var fullSyncCount = 0
    public private(set) var partialSyncCount = 0

    @discardableResult
    public func syncRules(services: ServicePortMap, endpoints: EndpointsMap, node: NodeInfo) async throws(ProxyError) -> SyncResult {
        try await syncRules(services: services, endpoints: endpoints, node: node, changed: nil)
    }

    /// Each family's proxier gets the same `changed`: both were handed the previous snapshots too.
    @discardableResult
    public func syncRules(services: ServicePortMap, endpoints: EndpointsMap, node: NodeInfo, changed: Set<ServicePortName>?) async throws(ProxyError)
        -> SyncResult {
        var results: [SyncResult] = []
        var failure: ProxyError?
        for proxier in proxiers {
            do {
                results.append(try await proxier.syncRules(services: services, endpoints: endpoints, node: node, changed: changed))
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        let result = SyncResult(isFull: results.contains(where: \.isFull), summary: results.map(\.summary).joined(separator: "; "),
                                programmed: results.contains(where: \.programmed),
                                incremental: results.allSatisfy { $0.incremental || !$0.programmed })
        if result.isFull { fullSyncCount += 1 } else { partialSyncCount += 1 }
        return result
    }

    public func requestFullSync() async {
        for proxier in proxiers { await proxier.requestFullSync() }
    }

    public func cleanup() async throws(ProxyError) {
        var failure: ProxyError?
        for proxier in proxiers {
            do { try await proxier.cleanup() } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }
}

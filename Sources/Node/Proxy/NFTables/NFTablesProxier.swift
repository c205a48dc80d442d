#if canImport(Glibc)
import Glibc
#endif
import Logging
import NFTables
import Synchronization

/// Programs services into the proxy's own nftables table through netlink batches (never an `nft`
/// process), incrementally.
///
/// It remembers what the kernel holds (an ``NFTablesModel``); each ``sync(services:endpoints:node:)``
/// builds the wanted model and sends only the difference, in one transaction. Before a partial sync it
/// asks the socket's ``NetfilterMonitor`` whether anyone else changed its own table (changes to other
/// tables, such as a CNI plugin's, do not count; without a monitor any move of the ruleset generation
/// does): if so, or the last commit failed, or ``ProxyConfiguration/fullSyncPeriod`` has passed, it
/// rewrites the whole table in place instead (still one transaction; the ClientIP affinity sets of
/// endpoints that remain keep their entries). A failed transaction leaves the previous rules in place;
/// the error is logged, counted and thrown so the caller retries.
///
///     let socket = try namespace.run { try NetfilterSocket(options: NFTablesProxier.socketOptions) }
///     let proxier = NFTablesProxier(socket: socket, configuration: .init(clusterCIDRs: ["10.244.0.0/16"]), logger: logger)
///     let plan = try await proxier.sync(services: services, endpoints: endpoints, node: node)
public actor NFTablesProxier {
    /// Socket limits that keep any realistic sync in one kernel transaction.
    /// Socket limits that keep any realistic sync in one kernel transaction, and a change monitor, so only
    /// changes by others to the proxy's own table force a full resync.
    public static let socketOptions = NetfilterSocket.Options(maxBatchBytes: 1 << 30, maxBatchMessages: 1 << 24, monitorsChanges: true)

    /// How long a chain stays flushed before it is deleted (upstream waits so older kernels have let go of
    /// references from removed map elements).
    public static let staleChainDelay: Duration = .seconds(1)

    public let configuration: ProxyConfiguration
    public let layout: NFTablesLayout
    private let socket: NetfilterSocket
    private let metrics: ProxyMetrics
    private let health: ProxyHealth
    private let conntrack: ConntrackCleaner?
    private let sharedGeneration: RulesetGeneration
    private let logger: Logger
    private let clock = ContinuousClock()

    /// Chains flushed and waiting to be deleted.
    public var staleChainNames: [String] { staleChains.keys.sorted() }
    /// The ruleset generation right after our last commit.
    public private(set) var lastGeneration: UInt32?
    /// The plan of the last successful sync, without its transaction.
    public private(set) var lastPlan: NFTablesSyncPlan?
    /// Successful syncs so far, full and partial.
    public private(set) var fullSyncCount = 0
    public private(set) var partialSyncCount = 0
    /// How long the last sync spent building and diffing the model, and in the kernel (commit and
    /// generation reads).
    public private(set) var lastBuildDuration: Duration = .zero
    public private(set) var lastKernelDuration: Duration = .zero
    /// The whole of the last sync.
    public private(set) var lastSyncDuration: Duration = .zero
    /// Failed transactions so far.
    public private(set) var failureCount = 0
    private var staleChains: [String: ContinuousClock.Instant] = [:]
    private var needsFullSync = true
    /// The next full sync deletes and recreates the table instead of rewriting it in place.
    private var recreateTable = false
    private var lastFullSync: ContinuousClock.Instant?

    /// What each service port was built from, so unchanged ones cost a comparison. What it produced is
    /// not kept (rules are most of the memory at 10k services): a change rebuilds the old fragment from
    /// this to know what to take out.
    private struct CachedService {
        var service: ServicePortInfo
        var endpoints: [EndpointInfo]
        /// Where its endpoint choices are in the shared endpoint maps.
        var slot: DispatchSlot
    }

    /// Hands out dispatch slot numbers: the lowest freed one first, else the next unused.
    struct SlotAllocator: Sendable {
        private var free: [Int] = []  // descending, so the lowest is last
        private(set) var next = 0

        mutating func take() -> Int {
            if let number = free.popLast() { return number }
            next += 1
            return next - 1
        }

        mutating func free(_ numbers: [Int]) {
            guard !numbers.isEmpty else { return }
            free = (free + numbers).sorted(by: >)
        }

        /// Endpoint maps the slots handed out so far need.
        var mapCount: Int { (next + DispatchSlot.servicesPerMap - 1) / DispatchSlot.servicesPerMap }
    }

    /// What every cached fragment depends on besides its own service.
    private struct BuilderKey: Equatable {
        var clusterCIDRs: [String]
        var nodePortAddresses: [String]
        var zone: String?
    }

    private var cache: [ServicePortName: CachedService] = [:]
    private var cachedFixed: NFTablesModel?
    private var slots = SlotAllocator()
    private var desiredReferences: [String: [Value: Int]] = [:]
    private var cachedBuilderKey: BuilderKey?
    /// The map elements of the last successful sync (what partial syncs diff against; the rules are rebuilt
    /// per changed service instead of kept), uniquely referenced so a sync patches them in place.
    private var desiredElements: [String: [Value: SetElement]]?
    /// How many elements each set held after the last sync (what a full sync reserves room for).
    private var lastElementCounts: [String: Int]?

    /// - Parameters:
    ///   - family: `.ip` or `.ip6`: the table this proxier owns; services and endpoints of the other family
    ///     are left to the other family's proxier (see ``DualStackProxier``).
    ///   - conntrack: deletes stale UDP conntrack entries after each sync (in the namespace the rules are in);
    ///     `nil` skips that.
    ///   - generation: the ruleset generation after the last commit of any proxier sharing it: the ip and ip6
    ///     proxiers of one node commit to the same ruleset, and must not take each other's commits for
    ///     outside interference.
    public init(socket: NetfilterSocket, family: Family = .ip, configuration: ProxyConfiguration = ProxyConfiguration(),
                metrics: ProxyMetrics = ProxyMetrics(), health: ProxyHealth = ProxyHealth(), conntrack: ConntrackCleaner? = nil,
                generation: RulesetGeneration = RulesetGeneration(), logger: Logger) {
        self.conntrack = conntrack
        self.sharedGeneration = generation
        self.socket = socket
        self.configuration = configuration
        self.layout = NFTablesLayout(tableName: configuration.tableName, family: family, mark: configuration.masqueradeMark)
        self.metrics = metrics
        self.health = health
        self.logger = logger
        socket.monitor?.watch(layout.table)
        let loopback = configuration.nodePortAddresses.filter(Self.isLoopback)
        if !loopback.isEmpty {
            logger.warning("localhost NodePorts are not supported in nftables mode; ignoring loopback node-port addresses",
                           metadata: ["addresses": "\(loopback)"])
        }
    }

    /// Makes the next sync a full one.
    public func requestFullSync() { needsFullSync = true }

    /// The model the given state should produce (no kernel access).
    public func desiredModel(services: ServicePortMap, endpoints: EndpointsMap, node: NodeInfo) -> NFTablesModel {
        builder(for: node).build(services: services, endpoints: endpoints)
    }

    private func builderKey(for node: NodeInfo) -> BuilderKey {
        BuilderKey(clusterCIDRs: configuration.clusterCIDRs.isEmpty ? node.podCIDRs : configuration.clusterCIDRs,
                   nodePortAddresses: Array(Set(node.addresses + configuration.nodePortAddresses).filter { !Self.isLoopback($0) }).sorted(),
                   zone: node.zone)
    }

    /// Whether `address` is a loopback address: the nftables mode never serves NodePorts there (as upstream's:
    /// that would need `route_localnet`).
    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::1/")
    }

    private func builder(for node: NodeInfo) -> NFTablesRuleBuilder {
        let key = builderKey(for: node)
        return NFTablesRuleBuilder(layout: layout, clusterCIDRs: key.clusterCIDRs, nodePortAddresses: key.nodePortAddresses, zone: key.zone)
    }

    /// Brings the table in line with `services`, `endpoints` and `node`; returns what was sent.
    ///
    /// Only service ports whose definition or endpoints differ from the last sync are rebuilt and
    /// compared, so the cost of a partial sync follows the size of the change. With `changed` (the service
    /// ports added, changed or removed since the previous call, as the change trackers'
    /// `takeChanges()` report them) a partial sync looks at those alone and never walks the others; without
    /// it, it compares every service port with what it was built from (cheap, but O(services)). A full
    /// sync (the first, after a failure, on outside interference or the periodic one) ignores `changed`.
    @discardableResult
    public func sync(services: ServicePortMap, endpoints: EndpointsMap, node: NodeInfo,
                     changed: Set<ServicePortName>? = nil) throws(ProxyError) -> NFTablesSyncPlan {
        let started = clock.now
        let key = builderKey(for: node)
        let builder = NFTablesRuleBuilder(layout: layout, clusterCIDRs: key.clusterCIDRs, nodePortAddresses: key.nodePortAddresses, zone: key.zone)

        // A full sync builds the whole model; a partial one only the fragments of the service ports that
        // changed, before (rebuilt from what they were built from) and after, on top of the map elements.
        let reuse = key == cachedBuilderKey && desiredElements != nil && cachedFixed != nil
        var full = needsFullSync || !reuse || lastFullSync.map { started - $0 >= configuration.fullSyncPeriod } ?? true
        if !full, try tableChangedByOthers() {
            metrics.recordGenerationMismatch()
            full = true
        }
        var cache = full ? [:] : self.cache
        self.cache = [:]
        // Dispatch slots: a full sync hands them out afresh; a partial one gives new services free ones and
        // frees those of removed services after the commit (never reused within one transaction).
        var slots = full ? SlotAllocator() : self.slots
        var freed: [Int] = []
        var desired: NFTablesModel
        var before = NFTablesModel()
        var touched = NFTablesSyncPlan.Touched()
        if full {
            desired = NFTablesModel()
            // Room for what the last sync held (or an estimate), so the big sets are not rehashed while growing.
            desired.reserveCapacity(elements: lastElementCounts ?? builder.estimatedElementCounts(services: services, endpoints: endpoints))
        } else {
            desired = NFTablesModel(elements: desiredElements!, references: desiredReferences)
            desiredElements = nil  // uniquely referenced while patched
            desiredReferences = [:]
        }
        func update(_ name: ServicePortName, _ service: ServicePortInfo) {
            let list = endpoints[name]
            let cachedEntry = cache[name]
            if let cached = cachedEntry, cached.service == service {
                // Snapshots rebuilt from the trackers hold equal lists in new buffers: compare once, then keep
                // the new buffer, so later syncs see the same storage and skip the element-wise comparison.
                if Self.sameStorage(cached.endpoints, list) { return }
                if cached.endpoints == list {
                    cache[name]?.endpoints = list
                    return
                }
            }
            let slot = cachedEntry?.slot ?? DispatchSlot(slots.take())
            let fragment = builder.fragment(for: service, endpoints: list, slot: slot)
            if let old = cachedEntry {
                let oldFragment = builder.fragment(for: old.service, endpoints: old.endpoints, slot: old.slot)
                desired.remove(oldFragment)
                before.merge(oldFragment)
                touched.formUnion(oldFragment)
            }
            desired.merge(fragment)
            if !full { touched.formUnion(fragment) }  // a full plan compares nothing
            cache[name] = CachedService(service: service, endpoints: list, slot: slot)
        }
        func remove(_ name: ServicePortName, _ old: CachedService) {
            let oldFragment = builder.fragment(for: old.service, endpoints: old.endpoints, slot: old.slot)
            desired.remove(oldFragment)
            before.merge(oldFragment)
            touched.formUnion(oldFragment)
            freed.append(old.slot.number)
            cache[name] = nil
        }
        var comparedAll = false
        func compareAll() {
            for (name, service) in services.ports { update(name, service) }
            // Every current service is cached now: only a cache larger than the services holds removed ones.
            if cache.count > services.count {
                for (name, old) in cache where services[name] == nil { remove(name, old) }
            }
        }
        if full {
            // Full syncs hand slots out in name order.
            for (name, service) in services.ports.sorted(by: { $0.key < $1.key }) { update(name, service) }
        } else if let changed {
            for name in changed {
                if let service = services[name] {
                    update(name, service)
                } else if let old = cache[name] {
                    remove(name, old)
                }
            }
            if cache.count != services.count {
                comparedAll = true
                // The caller's account missed an added or removed port: compare everything (still partial).
                logger.warning("changed service ports do not account for the services; comparing all of them",
                               metadata: ["changed": "\(changed.count)", "services": "\(services.count)", "cached": "\(cache.count)"])
                compareAll()
            }
        } else {
            compareAll()
        }
        // The fixed part, with as many endpoint maps as slots were ever handed out need (maps stay until a
        // full sync finds them unused).
        let fixed = builder.fixedPart(endpointMaps: slots.mapCount)
        if full {
            desired.merge(fixed)
        } else if fixed != cachedFixed {
            desired.remove(cachedFixed!)
            desired.merge(fixed)
            before.merge(cachedFixed!)
            touched.formUnion(cachedFixed!)
            touched.formUnion(fixed)
        }

        let built = clock.now
        let plan: NFTablesSyncPlan
        if full {
            plan = recreateTable
                ? NFTablesSyncPlan.recreate(desired, layout: layout)
                : NFTablesSyncPlan.full(desired, layout: layout, existing: try kernelTable())
        } else {
            plan = NFTablesSyncPlan.partial(from: before, to: desired, layout: layout, stale: staleChains,
                                            now: started, staleDelay: Self.staleChainDelay, touched: touched)
        }
        let planned = clock.now
        if !plan.isEmpty {
            do {
                if full, let monitor = socket.monitor {
                    // No notifications for our own rewrite of the whole table (the kernel builds none
                    // when nobody listens): they would cost time and overflow the monitor's buffer.
                    try monitor.withoutNotifications(rewriting: layout.table, generation: socket.generation) { () throws(NFTablesError) in
                        try socket.commit(plan.transaction)
                    }
                } else {
                    try socket.commit(plan.transaction)
                }
            } catch {
                needsFullSync = true
                // A full sync that failed to rewrite the table in place (e.g. someone redefined one of its
                // base chains) recreates it next time.
                if full { recreateTable = true }
                throw failed("commit the \(plan.isFull ? "full" : "partial") sync (\(plan.summary))", error)
            }
            do {
                lastGeneration = try socket.generation()
                sharedGeneration.value = lastGeneration
            } catch {
                needsFullSync = true
                throw failed("read the ruleset generation after committing", error)
            }
        }

        let committed = clock.now
        lastBuildDuration = (built - started) + (planned - built)
        lastKernelDuration = committed - planned

        // Record what the kernel now holds.
        if full {
            staleChains = [:]
            lastFullSync = started
            needsFullSync = false
            recreateTable = false
            fullSyncCount += 1
        } else {
            for name in plan.flushedChains { staleChains[name] = started }
            for name in plan.deletedChains { staleChains[name] = nil }
            for name in touched.chains where staleChains[name] != nil && desired.chains[name] != nil { staleChains[name] = nil }
            partialSyncCount += 1
        }
        lastElementCounts = desired.elements.mapValues(\.count)
        desiredElements = desired.elements
        desiredReferences = desired.references
        self.cache = cache
        slots.free(freed)
        self.slots = slots
        cachedFixed = fixed
        cachedBuilderKey = key
        var summary = plan
        summary.transaction = Transaction()  // keep the account, not the (possibly huge) batch
        lastPlan = summary
        conntrack?.cleanUp(services: services, endpoints: endpoints, changed: full || comparedAll ? nil : changed)

        let duration = clock.now - started
        lastSyncDuration = duration
        metrics.recordSync(full: full, duration: duration)
        health.updated()
        if !plan.isEmpty {
            logger.debug("synced proxy rules", metadata: ["plan": "\(plan.summary)", "duration": "\(duration)",
                                                         "services": "\(services.count)"])
        }
        return plan
    }

    /// Whether two lists share one buffer (so are equal without looking at their elements).
    static func sameStorage(_ a: [EndpointInfo], _ b: [EndpointInfo]) -> Bool {
        a.count == b.count && a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
    }

    /// Hands the memory of a full sync's batch (hundreds of MiB at 10k services, freed by now) back to the
    /// system: glibc keeps freed heap pages otherwise, and the proxy's RSS would stay at its peak.
    static func returnFreedMemory() {
        if let trim = dlsym(nil, "malloc_trim") {
            _ = unsafeBitCast(trim, to: (@convention(c) (Int) -> Int32).self)(0)
        }
    }

    /// Whether someone else changed our table since our last commit. With a ``NetfilterMonitor`` (the
    /// proxier's socket options open one) only changes to this table count: commits to other tables (a
    /// CNI plugin's masquerade or portmap table) move the global generation but not this answer. Without
    /// one, any generation change since our last commit counts.
    private func tableChangedByOthers() throws(ProxyError) -> Bool {
        let generation: UInt32
        do {
            generation = try socket.generation()
        } catch {
            throw failed("read the ruleset generation", error)
        }
        guard lastGeneration != nil else { return true }
        if let monitor = socket.monitor {
            let changed: Bool
            do {
                changed = try monitor.takeChanges(to: layout.table, upTo: generation)
            } catch {
                throw failed("read nf_tables notifications", error)
            }
            if changed {
                logger.info("table changed by someone else, resyncing the whole table",
                            metadata: ["table": "\(layout.table.family) \(layout.table.name)", "generation": "\(generation)"])
            }
            return changed
        }
        guard generation != sharedGeneration.value else { return false }
        logger.info("ruleset changed by someone else, resyncing the whole table",
                    metadata: ["table": "\(layout.table.name)", "expected": "\(lastGeneration.map(String.init) ?? "-")",
                               "found": "\(generation)"])
        return true
    }

    /// The names and definitions of the chains and sets our table holds now (two dumps, no rules), which
    /// a full sync deletes or keeps.
    private func kernelTable() throws(ProxyError) -> NFTablesSyncPlan.KernelTable {
        do {
            guard try socket.tables(family: layout.table.family).contains(where: { $0.name == layout.table.name }) else {
                return .missing
            }
            var table = NFTablesSyncPlan.KernelTable(exists: true)
            for chain in try socket.chains(in: layout.table) { table.chains[chain.name] = chain }
            for set in try socket.sets(in: layout.table) { table.sets[set.name] = set }
            return table
        } catch {
            throw failed("list the chains and sets of table \(layout.table.name)", error)
        }
    }

    /// Deletes the proxy's table (nothing else), e.g. when switching modes. Missing is fine.
    public func cleanup() throws(ProxyError) {
        var tx = Transaction()
        tx.add(layout.table)
        tx.delete(layout.table)
        do {
            try socket.commit(tx)
        } catch {
            throw failed("delete table \(layout.table.name)", error)
        }
        desiredElements = nil
        cache = [:]
        needsFullSync = true
        staleChains = [:]
    }

    /// Logs and counts a kernel failure and wraps it.
    private func failed(_ what: String, _ error: NFTablesError) -> ProxyError {
        failureCount += 1
        metrics.recordFailure()
        logger.error("nftables sync failed", metadata: [
            "table": "\(layout.table.family) \(layout.table.name)", "operation": "\(what)",
            "errno": "\(error.errno)", "error": "\(error)",
        ])
        return ProxyError(.kernel, "could not \(what)", cause: error)
    }
}

/// The ruleset generation (`NFT_MSG_GETGEN`) right after the last commit of the proxiers sharing this object.
public final class RulesetGeneration: Sendable {
    private let state = Mutex<UInt32?>(nil)
    public init() {}
    public var value: UInt32? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}

extension NFTablesProxier: Proxier {
    public func syncRules(services: ServicePortMap, endpoints: EndpointsMap, node: NodeInfo) async throws(ProxyError) -> SyncResult {
        try await syncRules(services: services, endpoints: endpoints, node: node, changed: nil)
    }

    public func syncRules(services: ServicePortMap, endpoints: EndpointsMap, node: NodeInfo, changed: Set<ServicePortName>?) async throws(ProxyError)
        -> SyncResult {
        let result = try syncResult(services: services, endpoints: endpoints, node: node, changed: changed)
        // The full sync's model and batch are gone now: give their pages back.
        if result.isFull { NFTablesProxier.returnFreedMemory() }
        return result
    }

    private func syncResult(services: ServicePortMap, endpoints: EndpointsMap, node: NodeInfo,
                            changed: Set<ServicePortName>?) throws(ProxyError) -> SyncResult {
        let plan = try sync(services: services, endpoints: endpoints, node: node, changed: changed)
        return SyncResult(isFull: plan.isFull, summary: plan.summary, programmed: plan.changesTraffic, incremental: !plan.isFull)
    }
}

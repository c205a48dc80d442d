import LinuxSystem
import Logging

/// Programs services in upstream kube-proxy's iptables layout with `iptables-restore --noflush`, as
/// upstream does (a subprocess), writing only what changed.
///
/// It remembers the rules it last wrote (an ``IPTablesModel``). The first sync, one after a failure and
/// one every ``ProxyConfiguration/fullSyncPeriod`` are full: every chain of ours is rewritten, chains of
/// ours that nobody wants any more (listed with ``IPTables/chainNames(table:backend:)``) are deleted, and
/// the jump rules in the built-in chains are ensured. Other syncs write only the chains whose rules changed
/// and delete the chains of services and endpoints that went away, in one restore — on iptables-nft in
/// several when the text is big (``IPTablesSyncPlan/RestoreLimit``: leaves first, each state in between
/// consistent). A failed restore changes nothing of its own input (each table is one transaction); the
/// error is logged with iptables' stderr, counted and thrown so the caller retries, and the next sync is a
/// full one.
///
///     let proxier = IPTablesProxier(iptables: IPTables(namespace: node), configuration: .init(clusterCIDRs: ["10.244.0.0/16"]), logger: logger)
///     let plan = try await proxier.sync(services: services, endpoints: endpoints, node: node)
public actor IPTablesProxier {
    public typealias Table = IPTablesModel.Table

    public let configuration: ProxyConfiguration
    public let iptables: IPTables
    private let metrics: ProxyMetrics
    private let health: ProxyHealth
    private let conntrack: ConntrackCleaner?
    private let logger: Logger
    private let clock = ContinuousClock()

    /// What the kernel holds, as far as we know; `nil` until the first successful sync and after a failure.
    public private(set) var kernelModel: IPTablesModel?
    /// The plan of the last successful sync.
    public private(set) var lastPlan: IPTablesSyncPlan?
    public private(set) var fullSyncCount = 0
    public private(set) var partialSyncCount = 0
    /// Failed syncs so far.
    public private(set) var failureCount = 0
    /// How long the last sync spent building and diffing, and in iptables commands.
    public private(set) var lastBuildDuration: Duration = .zero
    public private(set) var lastCommandDuration: Duration = .zero
    private var needsFullSync = true
    private var lastFullSync: ContinuousClock.Instant?

    /// What each service port was built from and what it produced, so unchanged ones cost a comparison.
    private struct CachedService {
        var service: ServicePortInfo
        var endpoints: [EndpointInfo]
        var fragment: IPTablesRuleBuilder.Fragment
    }

    /// What every cached fragment depends on besides its own service.
    private struct BuilderKey: Equatable {
        var clusterCIDRs: [String]
        var nodePortAddresses: [String]
        var largeCluster: Bool
        var zone: String?
    }

    private var cache: [ServicePortName: CachedService] = [:]
    /// The names in `cache`, sorted.
    private var sortedNames: [ServicePortName] = []
    private var cachedBuilderKey: BuilderKey?
    /// The endpoints of the services in `cache` (what decides upstream's large-cluster mode).
    private var cachedEndpointTotal = 0

    /// - Parameters:
    ///   - conntrack: deletes stale UDP conntrack entries after each sync (in the namespace the rules are
    ///     in); `nil` skips that.
    ///   - restoreLimit: how much one `iptables-restore` is given; `nil`: chosen from the backend
    ///     (``IPTablesSyncPlan/RestoreLimit/nfTables`` for iptables-nft, no limit for legacy).
    public init(iptables: IPTables, configuration: ProxyConfiguration = ProxyConfiguration(), metrics: ProxyMetrics = ProxyMetrics(),
                health: ProxyHealth = ProxyHealth(), conntrack: ConntrackCleaner? = nil,
                restoreLimit: IPTablesSyncPlan.RestoreLimit? = nil, logger: Logger) {
        self.iptables = iptables
        self.restoreLimitOverride = restoreLimit
        self.configuration = configuration
        self.metrics = metrics
        self.health = health
        self.conntrack = conntrack
        self.logger = logger
    }

    /// Makes the next sync a full one.
    public func requestFullSync() { needsFullSync = true }

    private var routeLocalnetSet = false

    /// Sets `net.ipv4.conf.all.route_localnet=1` where the rules are (upstream does so for localhost
    /// NodePorts: without it the kernel drops packets from 127.0.0.0/8 routed to a pod).
    private func enableRouteLocalnet() throws(ProxyError) {
        let key = "net.ipv4.conf.all.route_localnet"
        do {
            if let namespace = iptables.namespace {
                if try Sysctl.read(key, in: namespace) != "1" { try Sysctl.write(key, "1", in: namespace) }
            } else if try Sysctl.read(key) != "1" {
                try Sysctl.write(key, "1")
            }
        } catch {
            metrics.recordFailure()
            logger.error("could not set route_localnet", metadata: ["sysctl": "\(key)", "error": "\(error)"])
            throw ProxyError(.kernel, "could not set \(key)=1 for localhost NodePorts", cause: error)
        }
        logger.info("Setting route_localnet=1 to allow node-ports on localhost; to change this either disable localhost NodePorts (--iptables-localhost-nodeports=false) or set nodePortAddresses (--nodeport-addresses) to filter loopback addresses",
                    metadata: ["sysctl": "\(key)"])
        routeLocalnetSet = true
    }

    /// The endpoints of the service ports in `services` (upstream counts those of the services it programs).
    private static func endpointTotal(services: ServicePortMap, endpoints: EndpointsMap) -> Int {
        services.ports.keys.reduce(0) { $0 + endpoints[$1].count }
    }

    private func builder(for node: NodeInfo, endpointTotal total: Int) -> (IPTablesRuleBuilder, BuilderKey) {
        let key = BuilderKey(clusterCIDRs: configuration.clusterCIDRs.isEmpty ? node.podCIDRs : configuration.clusterCIDRs,
                             nodePortAddresses: Array(Set(node.addresses + configuration.nodePortAddresses)).sorted(),
                             largeCluster: total > IPTablesRuleBuilder.largeClusterEndpointsThreshold, zone: node.zone)
        return (IPTablesRuleBuilder(clusterCIDRs: key.clusterCIDRs, nodePortAddresses: key.nodePortAddresses, mark: configuration.masqueradeMark,
                                    ipv6: iptables.command == "ip6tables", localhostNodePorts: configuration.localhostNodePorts,
                                    largeCluster: key.largeCluster, zone: key.zone), key)
    }

    /// The rules the given state should produce (no kernel access).
    public func desiredModel(services: ServicePortMap, endpoints: EndpointsMap, node: NodeInfo) -> IPTablesModel {
        builder(for: node, endpointTotal: Self.endpointTotal(services: services, endpoints: endpoints)).0.build(services: services, endpoints: endpoints)
    }

    /// The endpoint total after the change `changed` describes, from the last sync's, if `changed` accounts
    /// for every service port added or removed since (the cache then ends up as big as `services`); `nil`
    /// if it does not, or there is no last sync to start from.
    private func endpointTotal(after changed: Set<ServicePortName>, services: ServicePortMap, endpoints: EndpointsMap) -> Int? {
        guard kernelModel != nil, cachedBuilderKey != nil else { return nil }
        var count = cache.count
        var total = cachedEndpointTotal
        for name in changed {
            if let old = cache[name] {
                count -= 1
                total -= old.endpoints.count
            }
            if services[name] != nil {
                count += 1
                total += endpoints[name].count
            }
        }
        return count == services.count ? total : nil
    }

    /// Brings the rules in line with `services`, `endpoints` and `node`; returns what was written.
    ///
    /// Only service ports whose definition or endpoints differ from the last sync are rebuilt, and the
    /// shared chains (`KUBE-SERVICES`, `KUBE-NODEPORTS`, …) are reassembled only when one of those changed
    /// its lines there or service ports came or went. With `changed` (the service ports added, changed or
    /// removed since the previous call, as the change trackers' `takeChanges()` report them) a partial sync
    /// looks at those alone and never walks the others; without it, or when it does not account for the
    /// ports added and removed, it compares every service port with what it was built from (O(services)).
    /// A full sync (the first, after a failure, the periodic one) ignores `changed`.
    @discardableResult
    public func sync(services: ServicePortMap, endpoints: EndpointsMap, node: NodeInfo,
                     changed: Set<ServicePortName>? = nil) async throws(ProxyError) -> IPTablesSyncPlan {
        let started = clock.now
        let periodic = lastFullSync.map { started - $0 >= configuration.fullSyncPeriod } ?? true
        // Told what changed, for a sync that will be partial: the endpoint total follows from the last one's.
        var onlyChanged: Set<ServicePortName>?
        var total: Int?
        if let changed, !needsFullSync, !periodic {
            total = endpointTotal(after: changed, services: services, endpoints: endpoints)
            if total != nil {
                onlyChanged = changed
            } else if kernelModel != nil {
                logger.warning("changed service ports do not account for the services; comparing all of them",
                               metadata: ["changed": "\(changed.count)", "services": "\(services.count)", "cached": "\(cache.count)"])
            }
        }
        let endpointTotal = total ?? Self.endpointTotal(services: services, endpoints: endpoints)
        let (builder, key) = builder(for: node, endpointTotal: endpointTotal)
        let reuse = key == cachedBuilderKey && kernelModel != nil
        let full = needsFullSync || !reuse || periodic
        if full { onlyChanged = nil }
        // Patch the last model in place (taken out of the property so it stays uniquely referenced).
        var patch = Patch(desired: IPTablesModel())
        if reuse { patch.desired = kernelModel! }
        kernelModel = nil
        var cache = reuse ? self.cache : [:]
        self.cache = [:]

        // Per-service chains: rebuild only the service ports whose definition or endpoints changed.
        var namesChanged = !reuse
        // Whether a rebuilt service port's lines in the shared chains differ.
        var sharedChanged = false
        func update(_ name: ServicePortName, _ service: ServicePortInfo) {
            let list = endpoints[name]
            if let cached = cache[name], cached.service == service, cached.endpoints == list { return }
            let fragment = builder.fragment(for: service, endpoints: list)
            if let old = cache[name] {
                for chain in old.fragment.chains.keys { patch.replace(.nat, chain, with: nil) }
                if old.fragment.shared != fragment.shared { sharedChanged = true }
            } else {
                namesChanged = true
            }
            for (chain, rules) in fragment.chains { patch.replace(.nat, chain, with: rules) }
            cache[name] = CachedService(service: service, endpoints: list, fragment: fragment)
        }
        func remove(_ name: ServicePortName, _ old: CachedService) {
            namesChanged = true
            for chain in old.fragment.chains.keys { patch.replace(.nat, chain, with: nil) }
            cache[name] = nil
        }
        if let onlyChanged {
            for name in onlyChanged {
                if let service = services[name] {
                    update(name, service)
                } else if let old = cache[name] {
                    remove(name, old)
                }
            }
        } else {
            for (name, service) in services.ports { update(name, service) }
            // The cache holds every service now; more entries than services means some went.
            if cache.count > services.count {
                for (name, old) in cache where services[name] == nil { remove(name, old) }
            }
        }
        // Fixed and shared chains: cheap to rebuild, compared line by line, in service name order (sorted
        // again only when services came or went). They depend only on the builder (the same when reused)
        // and on the service ports' shared lines, so they are left as they are when neither changed.
        if namesChanged { sortedNames = services.ports.keys.sorted() }
        if namesChanged || sharedChanged {
            var fixedAndShared = builder.fixedPart()
            builder.assembleShared(sortedNames.lazy.compactMap { cache[$0]?.fragment }, into: &fixedAndShared)
            for (table, chains) in fixedAndShared.chains {
                for (name, rules) in chains { patch.replace(table, name, with: rules) }
            }
        }

        let desired = patch.desired
        var plan: IPTablesSyncPlan
        var commandTime: Duration = .zero
        var existing: [Table: [String]] = [:]
        if full {
            let listed = clock.now
            existing = try await existingChains()
            commandTime += clock.now - listed
        }
        let limit = await restoreLimit()
        if full {
            plan = IPTablesSyncPlan.full(desired, stale: existing, limit: limit)
        } else {
            plan = IPTablesSyncPlan.partial(from: patch.before, to: desired, candidates: patch.candidates, limit: limit)
        }
        let built = clock.now
        for (index, input) in plan.restoreInputs.enumerated() {
            do {
                try await iptables.restore(input)
            } catch {
                needsFullSync = true
                let part = plan.restoreInputs.count > 1 ? ", input \(index + 1) of \(plan.restoreInputs.count)" : ""
                throw failed("iptables-restore (\(plan.summary)\(part))", error, partial: !plan.isFull)
            }
        }
        if full {
            if builder.servesLocalhostNodePorts && !routeLocalnetSet { try enableRouteLocalnet() }
            for jump in builder.jumps {
                do {
                    try await iptables.ensureRule(table: jump.table.rawValue, chain: jump.chain, jump.arguments)
                } catch {
                    needsFullSync = true
                    throw failed("ensure the jump from \(jump.table.rawValue) \(jump.chain)", error, partial: false)
                }
            }
        }
        let committed = clock.now
        commandTime += committed - built
        lastCommandDuration = commandTime
        lastBuildDuration = committed - started - commandTime

        if full {
            lastFullSync = started
            needsFullSync = false
            fullSyncCount += 1
        } else {
            partialSyncCount += 1
        }
        kernelModel = desired
        self.cache = cache
        cachedBuilderKey = key
        cachedEndpointTotal = endpointTotal
        var summary = plan
        summary.restoreInputs = []
        lastPlan = summary
        conntrack?.cleanUp(services: services, endpoints: endpoints, changed: onlyChanged)

        let duration = clock.now - started
        metrics.recordSync(full: full, duration: duration)
        health.updated()
        if !plan.isEmpty {
            logger.debug("synced proxy rules", metadata: ["plan": "\(plan.summary)", "duration": "\(duration)", "services": "\(services.count)"])
        }
        return plan
    }

    /// Removes everything the iptables mode writes — the jumps from the built-in chains, then the fixed and
    /// per-service chains — e.g. when the nftables mode takes over (upstream's cleanup of the other mode's
    /// leftovers). Nothing there is fine. The next sync is a full one.
    public func cleanup() async throws(ProxyError) {
        kernelModel = nil
        cache = [:]
        needsFullSync = true
        // No chain of ours, no jump to one: nothing to do (and no iptables -C against missing targets).
        let plan = IPTablesSyncPlan.deletion(of: try await existingChains(includingFixed: true), limit: await restoreLimit())
        guard !plan.isEmpty else { return }
        for jump in IPTablesRuleBuilder.jumps + IPTablesRuleBuilder.localnetFirewallJumps {
            do {
                try await iptables.deleteRule(table: jump.table.rawValue, chain: jump.chain, jump.arguments)
            } catch {
                throw failed("delete the jump from \(jump.table.rawValue) \(jump.chain)", error, partial: false)
            }
        }
        for input in plan.restoreInputs {
            do {
                try await iptables.restore(input)
            } catch {
                throw failed("delete the chains (\(plan.summary))", error, partial: false)
            }
        }
    }

    private var knownBackend: IPTables.Backend?
    private let restoreLimitOverride: IPTablesSyncPlan.RestoreLimit?

    /// The iptables backend, asked once; an `iptables -V` that fails counts as nf_tables (the default on
    /// Debian 12; were it legacy after all, cut restore inputs would only be slower, but stale chains of
    /// a previous run would go unseen, as the netlink dump finds no nf_tables chains).
    private func backend() async -> IPTables.Backend {
        if let knownBackend { return knownBackend }
        let backend: IPTables.Backend
        do {
            backend = try await iptables.backend()
        } catch {
            logger.warning("could not tell the iptables backend; assuming nf_tables", metadata: ["error": "\(error)"])
            backend = .nfTables
        }
        knownBackend = backend
        return backend
    }

    /// How big one restore input may be: iptables-nft is quadratic in the chains one `--noflush` input
    /// names (``IPTablesSyncPlan/RestoreLimit``); the legacy backend rewrites the whole table per restore,
    /// so it gets one input.
    private func restoreLimit() async -> IPTablesSyncPlan.RestoreLimit? {
        if let restoreLimitOverride { return restoreLimitOverride }
        return await backend() == .nfTables ? .nfTables : nil
    }

    /// The desired model being patched from the last one, remembering what each replaced chain held.
    private struct Patch {
        var desired: IPTablesModel
        /// The previous rules of the chains replaced (absent: the chain did not exist).
        var before = IPTablesModel()
        /// The chains replaced, by table.
        var candidates: [Table: Set<String>] = [:]

        mutating func replace(_ table: Table, _ chain: String, with rules: [String]?) {
            if candidates[table, default: []].insert(chain).inserted { before[table, chain] = desired[table, chain] }
            desired[table, chain] = rules
        }
    }

    /// Chains of ours (per-service prefixes, and the fixed ones too with `includingFixed`) the kernel has
    /// now (``IPTables/chainNames(table:backend:)``; full syncs and cleanup only).
    private func existingChains(includingFixed: Bool = false) async throws(ProxyError) -> [Table: [String]] {
        var found: [Table: [String]] = [:]
        let backend = await backend()
        for table in Table.allCases {
            let names: [String]
            do {
                names = try await iptables.chainNames(table: table.rawValue, backend: backend)
            } catch {
                throw failed("list the \(table.rawValue) chains", error, partial: false)
            }
            for name in names {
                if IPTablesChainName.perServicePrefixes.contains(where: { name.hasPrefix($0) })
                    || (includingFixed && IPTablesRuleBuilder.fixedChainNames.contains(name)) {
                    found[table, default: []].append(name)
                }
            }
        }
        return found
    }

    /// Logs and counts a failed command and wraps it.
    private func failed(_ what: String, _ error: IPTablesCommandError, partial: Bool) -> ProxyError {
        failureCount += 1
        metrics.recordRestoreFailure(partial: partial)
        logger.error("iptables sync failed", metadata: [
            "operation": "\(what)", "status": "\(error.status)", "stderr": "\(error.stderr)",
        ])
        return ProxyError(.command, "could not \(what)", cause: error)
    }
}

extension IPTablesProxier: Proxier {
    public func syncRules(services: ServicePortMap, endpoints: EndpointsMap, node: NodeInfo) async throws(ProxyError) -> SyncResult {
        try await syncRules(services: services, endpoints: endpoints, node: node, changed: nil)
    }

    public func syncRules(services: ServicePortMap, endpoints: EndpointsMap, node: NodeInfo, changed: Set<ServicePortName>?) async throws(ProxyError)
        -> SyncResult {
        let plan = try await sync(services: services, endpoints: endpoints, node: node, changed: changed)
        return SyncResult(isFull: plan.isFull, summary: plan.summary, programmed: !plan.isEmpty)
    }
}

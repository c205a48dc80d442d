import Foundation
import KubeAPI
import KubeClient
import Logging

/// Keeps every ResourceQuota's status current (upstream's `resourcequota-controller`): `status.hard` is `spec.hard`
/// and `status.used` what the namespace's objects use of each of those resources, counted as the quota admission
/// plugin charges them (`QuotaUsage`). A quota is recounted when its spec changes, when an object it counts is
/// deleted or changes what it uses (a pod that finishes frees its compute resources), and every five minutes
/// (upstream's `--resource-quota-sync-period`), so freed quota can be used again.
public struct ResourceQuotaController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "resourcequota-controller"
    /// Upstream's default `--resource-quota-sync-period`.
    static let resyncPeriod: Duration = .seconds(300)

    public var name: String { Self.controllerName }
    let client: KubeClient
    let quotas: Informer<ResourceQuota>
    let pods: Informer<Pod>
    let services: Informer<Service>
    let configMaps: Informer<ConfigMap>
    let secrets: Informer<Secret>
    let claims: Informer<PersistentVolumeClaim>
    let queue: WorkQueue
    let logger: Logger
    let metrics: ControllerMetrics

    /// Registers the quota handlers and the replenishment handlers of the kinds with their own evaluators.
    public init(context: ControllerContext) {
        client = context.client
        quotas = context.informers.informer(ResourceQuota.self)
        pods = context.informers.informer(Pod.self)
        services = context.informers.informer(Service.self)
        configMaps = context.informers.informer(ConfigMap.self)
        secrets = context.informers.informer(Secret.self)
        claims = context.informers.informer(PersistentVolumeClaim.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "resourcequota", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        let queue = queue, quotas = quotas
        // Only a change of what is enforced drives a recount: admission's own charges to status.used do not.
        quotas.addHandler(InformerHandler(onAdd: { await queue.add(Informer.key(for: $0)) }, onUpdate: { old, new in
            if old.spec?.hard != new.spec?.hard || old.spec?.scopes != new.spec?.scopes || old.spec?.scopeSelector != new.spec?.scopeSelector
                || new.status?.hard != new.spec?.hard {
                await queue.add(Informer.key(for: new))
            }
        }))
        pods.addHandler(Self.replenishing(quotas: quotas, queue: queue))
        services.addHandler(Self.replenishing(quotas: quotas, queue: queue))
        configMaps.addHandler(Self.replenishing(quotas: quotas, queue: queue))
        secrets.addHandler(Self.replenishing(quotas: quotas, queue: queue))
        claims.addHandler(Self.replenishing(quotas: quotas, queue: queue))
    }

    /// Upstream's replenishment: a deleted object, or one whose usage changed, re-syncs the quotas of its namespace
    /// that count its kind.
    static func replenishing<K: KubeObject>(quotas: Informer<ResourceQuota>, queue: WorkQueue) -> InformerHandler<K> {
        let enqueue: @Sendable (K) async -> Void = { object in
            for quota in quotas.list(namespace: object.metadata.namespace)
            where !QuotaUsage.matchingResources((quota.spec?.hard ?? [:]).keys, for: K.resource).isEmpty {
                await queue.add(Informer.key(for: quota))
            }
        }
        return InformerHandler(onUpdate: { old, new in
            if QuotaUsage.usage(of: old) != QuotaUsage.usage(of: new) { await enqueue(new) }
        }, onDelete: enqueue)
    }

    public func run(workers: Int) async {
        await withDiscardingTaskGroup { group in
            group.addTask { [quotas, queue] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.resyncPeriod)
                    for quota in quotas.list() { await queue.add(Informer.key(for: quota)) }
                }
            }
            await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await sync(key) }
            group.cancelAll()
        }
    }

    /// Recounts one quota and writes its status if it changed (a conflict with an admission charge retries).
    func sync(_ key: String) async throws {
        guard let quota = quotas.get(key), quota.metadata.deletionTimestamp == nil else { return }
        let hard = quota.spec?.hard ?? [:], used = try await usage(of: quota)
        let status = ResourceQuotaStatus(hard: hard.isEmpty ? nil : hard, used: used.isEmpty ? nil : used)
        guard status != quota.status else { return }
        var updated = quota
        updated.status = status
        _ = try await client.updateStatus(updated)
        logger.debug("updated quota usage", metadata: ["quota": "\(key)", "used": "\(QuotaUsage.prettyPrint(status.used ?? [:]))"])
    }

    /// What the quota's namespace uses of each resource in `spec.hard` (zero for those nothing uses).
    func usage(of quota: ResourceQuota) async throws -> [String: Quantity] {
        let hard = quota.spec?.hard ?? [:]
        let namespace = quota.metadata.namespace
        var used = hard.mapValues { _ in Quantity.zero }
        func count<K: KubeObject>(_ informer: Informer<K>) {
            guard !QuotaUsage.matchingResources(hard.keys, for: K.resource).isEmpty else { return }
            for object in informer.list(namespace: namespace) where QuotaUsage.inScopes(of: quota, object) {
                QuotaUsage.add(&used, QuotaUsage.mask(QuotaUsage.usage(of: object), hard.keys))
            }
        }
        count(pods)
        count(services)
        count(configMaps)
        count(secrets)
        count(claims)
        count(quotas)
        // Object counts of the other kinds (`count/deployments.apps`), listed when a quota names them.
        let informed: [ResourceInfo] = [Pod.resource, Service.resource, ConfigMap.resource, Secret.resource,
                                        PersistentVolumeClaim.resource, ResourceQuota.resource]
        for kind in KubeKinds.all where kind.resource.namespaced && !informed.contains(kind.resource) {
            let name = QuotaUsage.objectCountName(kind.resource)
            guard hard[name] != nil, QuotaUsage.scopeRequirements(of: quota).isEmpty else { continue }
            used[name] = Quantity(Int64(try await countObjects(kind, namespace: namespace)))
        }
        return QuotaUsage.mask(used, hard.keys)
    }

    private func countObjects(_ kind: any KubeObject.Type, namespace: String?) async throws -> Int {
        func count<K: KubeObject>(_ type: K.Type) async throws -> Int { try await client.list(K.self, namespace: namespace).items.count }
        return try await count(kind)
    }
}

import Foundation
import KubeAPI
import Logging
import ServiceLifecycle
import Store
import Synchronization

/// The ResourceQuota admission plugin (k8s.io/apiserver/pkg/admission/plugin/resourcequota): a create in a namespace
/// with quotas is refused (403) when a quota that counts the object would go over `status.hard`
/// (`exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2`), when a quota constrains cpu or memory and
/// a container names none (`failed quota: q: must specify …`), or while the controller has not yet counted a
/// constrained resource (`status unknown for quota: …`). Admitted, it charges the object to each quota's
/// `status.used` with a revision-checked write, as upstream does, so the next create sees it.
///
/// Updates are evaluated for the kinds whose usage an update can change, as upstream's evaluators that handle UPDATE:
/// a Service (its type, so `services.nodeports` and `services.loadbalancers`) and a PersistentVolumeClaim (its storage
/// request); only the growth (new usage minus old, never below zero) is checked and charged. Pods are charged on
/// create only (upstream evaluates pod updates only with InPlacePodVerticalScaling, off by default in 1.32), other
/// kinds' object counts likewise.
///
/// Check and charge are serialised per namespace on this server; the revision check keeps servers sharing a store
/// from both admitting against the same `used`. A quota whose write loses that check is read again and the object
/// checked against it anew, the quotas already charged left as they are (upstream's `checkQuotas` retry). Which
/// namespaces have quotas at all is followed from the store (as upstream's plugin reads its quota lister), so a write
/// in a namespace without one costs no store read; the quotas of a namespace that has some are read from the store
/// at each admitted write.
final class QuotaAdmission: Sendable {
    let store: any Store
    private let locks = KeyedLock()
    private let follower: StoreFollower
    /// The names of the quotas in each namespace that has any.
    private let quotaNames = Mutex<[String: Set<String>]>([:])

    init(store: any Store, logger: Logger) {
        self.store = store
        follower = StoreFollower(store: store, prefix: StoredObject.prefix(ResourceQuota.resource, namespace: nil), logger: logger)
    }

    /// Lists the quotas once (before the server serves).
    func load() async throws { try await follower.load(handlers) }

    /// Follows the quotas' creation and deletion until cancelled.
    func follow() async { await follower.follow(handlers) }

    private var handlers: StoreFollower.Handlers {
        StoreFollower.Handlers(
            reset: { [weak self] items, _ in
                var names: [String: Set<String>] = [:]
                for kv in items { if let (namespace, name) = Self.parse(kv.key) { names[namespace, default: []].insert(name) } }
                self?.quotaNames.withLock { $0 = names }
            },
            apply: { [weak self] event in
                guard let (namespace, name) = Self.parse(event.current.key) else { return }
                self?.quotaNames.withLock { names in
                    if event.kind == .delete {
                        names[namespace]?.remove(name)
                        if names[namespace]?.isEmpty == true { names[namespace] = nil }
                    } else {
                        names[namespace, default: []].insert(name)
                    }
                }
            })
    }

    /// `/registry/resourcequotas/<namespace>/<name>` → namespace and name.
    private static func parse(_ key: String) -> (String, String)? {
        let parts = key.dropFirst(StoredObject.prefix(ResourceQuota.resource, namespace: nil).count).split(separator: "/")
        return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
    }

    /// Admits `object`, about to be created, against its namespace's quotas; on a dry run checks without charging.
    func admitCreate(_ object: any KubeObject, dryRun: Bool) async throws {
        try await admit(object, old: nil, dryRun: dryRun)
    }

    /// Admits an update of `old` to `object` (main resource, not a subresource) for the kinds whose usage an update
    /// can change, charging the growth only; on a dry run checks without charging.
    func admitUpdate(_ object: any KubeObject, old: any KubeObject, dryRun: Bool) async throws {
        guard Self.evaluatesUpdates(type(of: object).resource) else { return }
        try await admit(object, old: old, dryRun: dryRun)
    }

    /// Upstream's evaluators whose `Handles` takes UPDATE (with default feature gates): services and claims.
    static func evaluatesUpdates(_ resource: ResourceInfo) -> Bool {
        resource.group.isEmpty && (resource.plural == "services" || resource.plural == "persistentvolumeclaims")
    }

    private func admit(_ object: any KubeObject, old: (any KubeObject)?, dryRun: Bool) async throws {
        guard type(of: object).resource.namespaced, let namespace = object.metadata.namespace,
              quotaNames.withLock({ $0[namespace] != nil }) else { return }
        try await locks.withLock(namespace) {
            var quotas = try await read(namespace, only: nil)
            for attempt in 0..<5 {
                let charged = try Self.charge(object, old: old, quotas: quotas)
                if dryRun { return }
                // Each quota is written on its own; one that lost to another writer is checked again below, the
                // others keep the charge they took.
                var lost: [String: String] = [:]
                for (kv, quota) in charged {
                    do {
                        _ = try await store.update(key: kv.key, value: try StoredObject.encode(quota), expectedRevision: kv.modRevision)
                    } catch StoreError.conflict {
                        lost[kv.key] = quota.metadata.name ?? ""
                    }
                }
                guard let name = lost.values.sorted().first else { return }
                if attempt == 4 {
                    throw Status.conflict(ResourceQuota.resource, name: name,
                                          message: "the object has been modified; please apply your changes to the latest version and try again")
                }
                quotas = try await read(namespace, only: Set(lost.keys))
            }
        }
    }

    /// The namespace's quotas as stored (those at `keys` only, when given).
    private func read(_ namespace: String, only keys: Set<String>?) async throws -> [(KeyValue, ResourceQuota)] {
        let page = try await store.list(prefix: StoredObject.prefix(ResourceQuota.resource, namespace: namespace), startAfter: nil, limit: 0, revision: nil)
        return page.items.compactMap { kv in
            guard keys?.contains(kv.key) ?? true else { return nil }
            return (try? KubeJSON.decode(ResourceQuota.self, from: kv.value)).map { (kv, $0) }
        }
    }

    /// Upstream's `checkRequest` for one object: the quotas whose `used` the object raises, with the new usage; throws
    /// the 403 that refuses it. `old` is the stored version an update replaces: then only the growth from its usage
    /// to the object's is charged (`SubtractWithNonNegativeResult`), and a write that grows nothing is free.
    static func charge(_ object: any KubeObject, old: (any KubeObject)? = nil, quotas: [(KeyValue, ResourceQuota)],
                       now: Date = Date()) throws -> [(KeyValue, ResourceQuota)] {
        let resource = type(of: object).resource
        func refuse(_ reason: String) -> Status { Status.forbidden(resource, name: object.metadata.name ?? "", reason) }
        var interesting: [(KeyValue, ResourceQuota)] = []
        for (kv, quota) in quotas where QuotaUsage.quota(quota, matches: object) {
            let quotaName = quota.metadata.name ?? ""
            let restricted = QuotaUsage.matchingResources((quota.status?.hard ?? [:]).keys, for: resource)
            if let pod = object as? Pod, let message = QuotaUsage.podConstraintViolation(pod, enforced: restricted) {
                throw refuse("failed quota: \(quotaName): \(message)")
            }
            let used = quota.status?.used ?? [:]
            if restricted.contains(where: { used[$0] == nil }) {
                throw refuse("status unknown for quota: \(quotaName), resources: \(restricted.sorted().joined(separator: ","))")
            }
            interesting.append((kv, quota))
        }
        var delta = QuotaUsage.usage(of: object, now: now)
        if let old {
            let previous = QuotaUsage.usage(of: old, now: now)
            for (name, amount) in delta {
                let grown = amount - (previous[name] ?? .zero)
                delta[name] = Quantity.zero < grown ? grown : .zero
            }
        }
        // Upstream's RemoveZeros: a name the write does not grow is neither checked nor charged.
        delta = delta.filter { !$0.value.isZero }
        guard !interesting.isEmpty, !delta.isEmpty else { return [] }
        var charged: [(KeyValue, ResourceQuota)] = []
        for (kv, quota) in interesting {
            let hard = quota.status?.hard ?? [:], used = quota.status?.used ?? [:]
            let requested = QuotaUsage.mask(delta, hard.keys)
            var newUsage = used
            QuotaUsage.add(&newUsage, requested)
            let exceeded = QuotaUsage.exceeded(QuotaUsage.mask(newUsage, requested.keys), hard)
            if !exceeded.isEmpty {
                throw refuse("exceeded quota: \(quota.metadata.name ?? ""), requested: \(QuotaUsage.prettyPrint(QuotaUsage.mask(requested, exceeded))), "
                    + "used: \(QuotaUsage.prettyPrint(QuotaUsage.mask(used, exceeded))), limited: \(QuotaUsage.prettyPrint(QuotaUsage.mask(hard, exceeded)))")
            }
            guard newUsage != used else { continue }
            var updated = quota
            updated.status = ResourceQuotaStatus(hard: hard, used: newUsage)
            charged.append((kv, updated))
        }
        return charged
    }
}

/// Runs the quota admission's follower with the server.
struct QuotaFollower: ServiceLifecycle.Service {
    let admission: QuotaAdmission

    func run() async throws {
        await cancelWhenGracefulShutdown { await admission.follow() }
    }
}

/// One holder at a time per key, waiters served in arrival order: what serialises a namespace's quota charges.
actor KeyedLock {
    private var held: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Runs `body` while holding `key`.
    nonisolated func withLock<T: Sendable>(_ key: String, _ body: @Sendable () async throws -> T) async throws -> T {
        await acquire(key)
        do {
            let result = try await body()
            await release(key)
            return result
        } catch {
            await release(key)
            throw error
        }
    }

    private func acquire(_ key: String) async {
        guard held.insert(key).inserted else {
            // release hands the key straight to the first waiter.
            await withCheckedContinuation { waiters[key, default: []].append($0) }
            return
        }
    }

    private func release(_ key: String) {
        guard var queue = waiters[key], !queue.isEmpty else {
            held.remove(key)
            return
        }
        let next = queue.removeFirst()
        waiters[key] = queue.isEmpty ? nil : queue
        next.resume()
    }
}

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
/// Check and charge are serialised per namespace on this server; the revision check keeps servers sharing a store
/// from both admitting against the same `used`. Which namespaces have quotas at all is followed from the store (as
/// upstream's plugin reads its quota lister), so a create in a namespace without one costs no store read; the quotas
/// of a namespace that has some are read from the store at each create.
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
        guard type(of: object).resource.namespaced, let namespace = object.metadata.namespace,
              quotaNames.withLock({ $0[namespace] != nil }) else { return }
        let prefix = StoredObject.prefix(ResourceQuota.resource, namespace: namespace)
        try await locks.withLock(namespace) {
            for attempt in 0..<5 {
                let page = try await store.list(prefix: prefix, startAfter: nil, limit: 0, revision: nil)
                let quotas = page.items.compactMap { kv in (try? KubeJSON.decode(ResourceQuota.self, from: kv.value)).map { (kv, $0) } }
                let charged = try Self.charge(object, quotas: quotas)
                if dryRun { return }
                do {
                    for (kv, quota) in charged {
                        _ = try await store.update(key: kv.key, value: try StoredObject.encode(quota), expectedRevision: kv.modRevision)
                    }
                    return
                } catch StoreError.conflict where attempt < 4 {
                    continue
                }
            }
        }
    }

    /// Upstream's `checkQuotas` for one object: the quotas whose `used` the object raises, with the new usage; throws
    /// the 403 that refuses it.
    static func charge(_ object: any KubeObject, quotas: [(KeyValue, ResourceQuota)], now: Date = Date()) throws -> [(KeyValue, ResourceQuota)] {
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
        let delta = QuotaUsage.usage(of: object, now: now)
        guard !interesting.isEmpty, delta.values.contains(where: { !$0.isZero }) else { return [] }
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

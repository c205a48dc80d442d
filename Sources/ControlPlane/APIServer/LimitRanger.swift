import Foundation
import KubeAPI
import Store
import Synchronization

/// The LimitRanger admission plugin (plugin/pkg/admission/limitranger): a new pod's containers get the `default`
/// limits and `defaultRequest` requests of the namespace's `Container` items where they name none (recorded in the
/// `kubernetes.io/limit-ranger` annotation), then the pod and its containers must keep within every item's
/// `min`, `max` and `maxLimitRequestRatio`; a claim's storage request, on create and on update (pods are admitted
/// on create only, as upstream's `SupportsAttributes`), within its item's `min` and `max`. The
/// LimitRanges are read straight from the store (a namespace has a handful), once per request: the plugin a request
/// admits with (`forRequest()`) keeps what its mutating half read for its validating half.
struct LimitRanger: Sendable {
    static let annotation = "kubernetes.io/limit-ranger"
    let store: any Store
    /// The LimitRanges this request has read, by namespace (nil: the server's plugin, which keeps none).
    private let reads: Reads?

    init(store: any Store) {
        self.init(store: store, reads: nil)
    }

    private init(store: any Store, reads: Reads?) {
        self.store = store
        self.reads = reads
    }

    /// The plugin for one request: a namespace's LimitRanges are read from the store by whichever half needs them
    /// first and reused by the other.
    func forRequest() -> LimitRanger { LimitRanger(store: store, reads: Reads()) }

    func limitRanges(in namespace: String) async throws -> [LimitRange] {
        if let read = reads?.ranges.withLock({ $0[namespace] }) { return read }
        let page = try await store.list(prefix: StoredObject.prefix(LimitRange.resource, namespace: namespace), startAfter: nil, limit: 0, revision: nil)
        let ranges = page.items.compactMap { try? KubeJSON.decode(LimitRange.self, from: $0.value, omittingManagedFields: true) }
        reads?.ranges.withLock { $0[namespace] = ranges }
        return ranges
    }

    /// One request's reads.
    private final class Reads: Sendable {
        let ranges = Mutex<[String: [LimitRange]]>([:])
    }

    /// The mutating half (`PodMutateLimitFunc`): fills defaults into each container, in each LimitRange's order.
    func defaultResources(of pod: inout Pod) async throws {
        guard let namespace = pod.metadata.namespace else { return }
        for limitRange in try await limitRanges(in: namespace) { Self.applyDefaults(limitRange, to: &pod) }
    }

    static func applyDefaults(_ limitRange: LimitRange, to pod: inout Pod) {
        var limits: [String: Quantity] = [:], requests: [String: Quantity] = [:]
        for item in limitRange.spec?.limits ?? [] where item.type == LimitRange.containerType {
            for (name, amount) in item.defaultRequest ?? [:] { requests[name] = amount }
            for (name, amount) in item.default ?? [:] { limits[name] = amount }
        }
        guard var spec = pod.spec else { return }
        var notes: [String] = []
        func merge(_ container: inout Container, _ kind: String) {
            var resources = container.resources ?? ResourceRequirements()
            var setLimits: [String] = [], setRequests: [String] = []
            var ownLimits = resources.limits ?? [:], ownRequests = resources.requests ?? [:]
            for (name, amount) in limits where ownLimits[name] == nil { ownLimits[name] = amount; setLimits.append(name) }
            for (name, amount) in requests where ownRequests[name] == nil { ownRequests[name] = amount; setRequests.append(name) }
            resources.limits = ownLimits.isEmpty ? nil : ownLimits
            resources.requests = ownRequests.isEmpty ? nil : ownRequests
            container.resources = resources
            if !setRequests.isEmpty { notes.append(setRequests.sorted().joined(separator: ", ") + " request for \(kind) \(container.name)") }
            if !setLimits.isEmpty { notes.append(setLimits.sorted().joined(separator: ", ") + " limit for \(kind) \(container.name)") }
        }
        for index in spec.containers.indices { merge(&spec.containers[index], "container") }
        if var initContainers = spec.initContainers {
            for index in initContainers.indices { merge(&initContainers[index], "init container") }
            spec.initContainers = initContainers
        }
        pod.spec = spec
        if !notes.isEmpty {
            var annotations = pod.metadata.annotations ?? [:]
            annotations[annotation] = "LimitRanger plugin set: " + notes.joined(separator: "; ")
            pod.metadata.annotations = annotations
        }
    }

    /// The validating half for pods (`PodValidateLimitFunc`): 403 with every violation of the first LimitRange
    /// that has any.
    func validate(_ pod: Pod) async throws {
        guard let namespace = pod.metadata.namespace else { return }
        for limitRange in try await limitRanges(in: namespace) {
            let errors = Self.violations(of: pod, limitRange)
            if !errors.isEmpty { throw Status.forbidden(Pod.resource, name: pod.metadata.name ?? "", Self.aggregate(errors)) }
        }
    }

    /// The validating half for claims (`PersistentVolumeClaimValidateLimitFunc`): the storage request within
    /// `min` and `max` of the `PersistentVolumeClaim` item.
    func validate(_ claim: PersistentVolumeClaim) async throws {
        guard let namespace = claim.metadata.namespace else { return }
        for limitRange in try await limitRanges(in: namespace) {
            var errors: [String] = []
            let requests = claim.spec?.resources?.requests ?? [:]
            for item in limitRange.spec?.limits ?? [] where item.type == LimitRange.claimType {
                for (name, bound) in (item.min ?? [:]).sorted(by: { $0.key < $1.key }) {
                    errors += Self.minimum(item.type, name, bound, requests: requests, limits: [:])
                }
                for (name, bound) in (item.max ?? [:]).sorted(by: { $0.key < $1.key }) {
                    if let request = requests[name] {
                        let (observed, enforced) = Self.comparable(request, bound)
                        if observed > enforced { errors.append("maximum \(name) usage per \(item.type) is \(bound), but request is \(request)") }
                    } else {
                        errors.append("maximum \(name) usage per \(item.type) is \(bound).  No request is specified")
                    }
                }
            }
            if !errors.isEmpty {
                throw Status.forbidden(PersistentVolumeClaim.resource, name: claim.metadata.name ?? "", Self.aggregate(errors))
            }
        }
    }

    /// Every violation of `limitRange` by the pod: each container against `Container` items, the pod's totals
    /// (without overhead) against `Pod` items.
    static func violations(of pod: Pod, _ limitRange: LimitRange) -> [String] {
        var errors: [String] = []
        let spec = pod.spec
        for item in limitRange.spec?.limits ?? [] {
            if item.type == LimitRange.containerType {
                for container in (spec?.containers ?? []) + (spec?.initContainers ?? []) {
                    errors += check(item, requests: container.resources?.requests ?? [:], limits: container.resources?.limits ?? [:])
                }
            }
            if item.type == LimitRange.podType {
                errors += check(item, requests: QuotaUsage.podRequests(spec, overhead: false), limits: QuotaUsage.podLimits(spec, overhead: false))
            }
        }
        return errors
    }

    private static func check(_ item: LimitRangeItem, requests: [String: Quantity], limits: [String: Quantity]) -> [String] {
        var errors: [String] = []
        for (name, bound) in (item.min ?? [:]).sorted(by: { $0.key < $1.key }) {
            errors += minimum(item.type, name, bound, requests: requests, limits: limits)
        }
        for (name, bound) in (item.max ?? [:]).sorted(by: { $0.key < $1.key }) {
            errors += maximum(item.type, name, bound, requests: requests, limits: limits)
        }
        for (name, bound) in (item.maxLimitRequestRatio ?? [:]).sorted(by: { $0.key < $1.key }) {
            errors += ratio(item.type, name, bound, requests: requests, limits: limits)
        }
        return errors
    }

    /// Upstream's `requestLimitEnforcedValues`: amounts in milli-units where none overflows, else whole units.
    static func comparable(_ a: Quantity, _ b: Quantity) -> (Int64, Int64) {
        let limit = Int64.max / 1000
        if a.value <= limit, b.value <= limit { return (a.milliValue, b.milliValue) }
        return (a.value, b.value)
    }

    static func minimum(_ type: String, _ name: String, _ bound: Quantity, requests: [String: Quantity], limits: [String: Quantity]) -> [String] {
        guard let request = requests[name] else { return ["minimum \(name) usage per \(type) is \(bound).  No request is specified"] }
        if comparable(request, bound).0 < comparable(request, bound).1 {
            return ["minimum \(name) usage per \(type) is \(bound), but request is \(request)"]
        }
        if let limit = limits[name], comparable(limit, bound).0 < comparable(limit, bound).1 {
            return ["minimum \(name) usage per \(type) is \(bound), but limit is \(limit)"]
        }
        return []
    }

    static func maximum(_ type: String, _ name: String, _ bound: Quantity, requests: [String: Quantity], limits: [String: Quantity]) -> [String] {
        guard let limit = limits[name] else { return ["maximum \(name) usage per \(type) is \(bound).  No limit is specified"] }
        if comparable(limit, bound).0 > comparable(limit, bound).1 {
            return ["maximum \(name) usage per \(type) is \(bound), but limit is \(limit)"]
        }
        if let request = requests[name], comparable(request, bound).0 > comparable(request, bound).1 {
            return ["maximum \(name) usage per \(type) is \(bound), but request is \(request)"]
        }
        return []
    }

    static func ratio(_ type: String, _ name: String, _ bound: Quantity, requests: [String: Quantity], limits: [String: Quantity]) -> [String] {
        guard let request = requests[name], request.milliValue != 0 else {
            return ["\(name) max limit to request ratio per \(type) is \(bound), but no request is specified or request is 0"]
        }
        guard let limit = limits[name], limit.milliValue != 0 else {
            return ["\(name) max limit to request ratio per \(type) is \(bound), but no limit is specified or limit is 0"]
        }
        let (observedLimit, observedRequest) = comparable(limit, request)
        let observed = Double(observedLimit) / Double(observedRequest)
        if observed > bound.approximateDouble {
            return ["\(name) max limit to request ratio per \(type) is \(bound), but provided ratio is \(String(format: "%f", observed))"]
        }
        return []
    }

    /// Upstream's `utilerrors.NewAggregate(...).Error()`: one message alone, several (each once) as `[a, b]`.
    static func aggregate(_ errors: [String]) -> String {
        var seen = Set<String>()
        let distinct = errors.filter { seen.insert($0).inserted }
        return distinct.count == 1 ? distinct[0] : "[" + distinct.joined(separator: ", ") + "]"
    }
}

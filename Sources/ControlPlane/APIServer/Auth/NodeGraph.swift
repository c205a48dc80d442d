import Foundation
import KubeAPI
import Logging
import Prometheus
import ServiceLifecycle
import Store
import Synchronization

/// The Node authorizer's graph, as upstream keeps it (plugin/pkg/auth/authorizer/node/graph.go): which node each
/// pod is bound to and what it uses — secrets, configmaps, persistent volume claims, its ServiceAccount, resource
/// claims — which claim each PersistentVolume is bound to (with the secrets the volume names), and which node each
/// VolumeAttachment attaches to (upstream's volumeattachment → node edge). It is built from one list of pods, one of
/// volumes and one of attachments and then follows a watch on each prefix (`StoreFollower`), so "may node N read
/// object O" is a dictionary look-up instead of a list of the namespace's pods; no other write in the cluster reaches
/// it.
///
/// A decision that would deny first waits (briefly) for the graph to reach the store's current revision, so a
/// kubelet never loses a race against the write that bound its pod: the graph has reached a revision when all
/// its watches have, and a watch on a prefix nothing writes to learns it has by asking the store for its progress.
final class NodeGraph: Sendable {
    /// An object a node may be related to: `resource` is the plural (`secrets`, `persistentvolumes`, …), `namespace`
    /// empty for cluster-scoped kinds.
    struct Reference: Hashable, Sendable, CustomStringConvertible {
        var resource: String
        var namespace: String
        var name: String

        var description: String { namespace.isEmpty ? "\(resource) \(name)" : "\(resource) \(namespace)/\(name)" }
    }

    /// A bound pod: its node and what it refers to.
    struct PodEntry: Sendable, Equatable {
        var node: String
        var references: Set<Reference>
    }

    /// A PersistentVolume: the claim it is bound to and the secrets its source names.
    struct VolumeEntry: Sendable, Equatable {
        var claim: Reference?
        var secrets: Set<Reference>
    }

    /// (node, object) — the key of the use counts.
    struct Edge: Hashable, Sendable {
        var node: String
        var object: Reference
    }

    struct State: Sendable {
        /// Bound pods by store key.
        var pods: [String: PodEntry] = [:]
        /// How many pods bound to the node refer to the object.
        var uses: [Edge: Int] = [:]
        /// PersistentVolumes by name.
        var volumes: [String: VolumeEntry] = [:]
        /// For each secret a volume names, the volumes that name it.
        var volumeSecrets: [Reference: Set<String>] = [:]
        /// VolumeAttachments by name: the node each attaches to (`spec.nodeName`).
        var attachments: [String: String] = [:]
    }

    static let podPrefix = "/registry/pods/"
    static let volumePrefix = "/registry/persistentvolumes/"
    static let attachmentPrefix = StoredObject.prefix(VolumeAttachment.resource, namespace: nil)

    private let state = Mutex(State())
    /// Decisions waiting for the graph to move: `step` counts its steps forward (each wakes every waiter).
    private let waiters = Mutex<(step: Int, next: Int, waiting: [Int: CheckedContinuation<Void, Never>])>((0, 0, [:]))
    let store: any Store
    let logger: Logger
    let metrics: APIMetrics?
    /// The followers of the pods', the volumes' and the attachments' prefixes.
    let pods: StoreFollower
    let volumes: StoreFollower
    let attachments: StoreFollower
    var followers: [StoreFollower] { [pods, volumes, attachments] }

    init(store: any Store, logger: Logger, metrics: APIMetrics? = nil) {
        self.store = store
        self.logger = logger
        self.metrics = metrics
        pods = StoreFollower(store: store, prefix: Self.podPrefix, logger: logger)
        volumes = StoreFollower(store: store, prefix: Self.volumePrefix, logger: logger)
        attachments = StoreFollower(store: store, prefix: Self.attachmentPrefix, logger: logger)
    }

    // MARK: Questions

    /// Whether `object` is related to `node` in the graph as it is now: a pod bound to the node uses it, or (for a
    /// PersistentVolume) it is bound to a claim such a pod uses, or (for a secret) such a volume names it, or (for a
    /// VolumeAttachment) it attaches to the node.
    func relates(_ node: String, to object: Reference) -> Bool {
        state.withLock { Self.relates(node, to: object, in: $0) }
    }

    static func relates(_ node: String, to object: Reference, in state: State) -> Bool {
        switch object.resource {
        case "volumeattachments":
            return state.attachments[object.name] == node
        case "persistentvolumes":
            guard let claim = state.volumes[object.name]?.claim else { return false }
            return state.uses[Edge(node: node, object: claim), default: 0] > 0
        case "secrets":
            if state.uses[Edge(node: node, object: object), default: 0] > 0 { return true }
            return state.volumeSecrets[object]?.contains { volume in
                relates(node, to: Reference(resource: "persistentvolumes", namespace: "", name: volume), in: state)
            } ?? false
        default:
            return state.uses[Edge(node: node, object: object), default: 0] > 0
        }
    }

    /// `relates`, and when it says no, again as the graph catches up with the store's current revision (at most
    /// `patience`), so a decision never rests on a graph older than a write the client already saw acknowledged. A
    /// relation found on the way answers at once; a denial waits until every follower has reached that revision.
    func relatesWhenCurrent(_ node: String, to object: Reference, patience: Duration = .seconds(2)) async -> Bool {
        if relates(node, to: object) { return true }
        guard let current = try? await store.currentRevision(), revision < current else { return false }
        return await wait(for: current, within: patience) { self.relates(node, to: object) }
    }

    /// The revision the graph reflects: every follower has reached it.
    var revision: Int64 { min(pods.reached, volumes.reached, attachments.reached) }

    /// The pods the graph holds (bound ones), the edges between nodes and objects, the volumes and the attachments —
    /// for tests and debugging.
    var counts: (pods: Int, edges: Int, volumes: Int, attachments: Int) {
        state.withLock { ($0.pods.count, $0.uses.count, $0.volumes.count, $0.attachments.count) }
    }

    // MARK: Building

    /// Lists every pod, PersistentVolume and VolumeAttachment and replaces the graph's with them.
    func load() async throws {
        let started = ContinuousClock.now
        for follower in followers { try await follower.load(handlers(for: follower)) }
        let sizes = self.counts
        logger.debug("node authorizer graph loaded", metadata: [
            "pods": "\(sizes.pods)", "volumes": "\(sizes.volumes)", "attachments": "\(sizes.attachments)", "revision": "\(revision)",
            "took": "\(ContinuousClock.now - started)",
        ])
    }

    /// What a follower does: a listing replaces the pods (and their edges), the volumes or the attachments, an event
    /// is applied, and a step forward wakes decisions waiting for the graph.
    private func handlers(for follower: StoreFollower) -> StoreFollower.Handlers {
        let prefix = follower === pods ? Self.podPrefix : follower === volumes ? Self.volumePrefix : Self.attachmentPrefix
        return StoreFollower.Handlers(
            reset: { [weak self] items, _ in
                var fresh = State()
                for kv in items { Self.apply(key: kv.key, value: kv.value, to: &fresh) }
                self?.state.withLock { state in
                    switch prefix {
                    case Self.podPrefix: (state.pods, state.uses) = (fresh.pods, fresh.uses)
                    case Self.volumePrefix: (state.volumes, state.volumeSecrets) = (fresh.volumes, fresh.volumeSecrets)
                    default: state.attachments = fresh.attachments
                    }
                }
            },
            apply: { [weak self] event in self?.apply(event) },
            advanced: { [weak self] _ in self?.stepped() })
    }

    /// Applies one store event of a pod or a volume. What a pod relates to is worked out outside the lock, and not at
    /// all for an update that leaves its spec (and its resource claim statuses) as they were — the kubelet's and the
    /// scheduler's status writes.
    func apply(_ event: WatchEvent) {
        let key = event.current.key
        let isPod = key.hasPrefix(Self.podPrefix), isVolume = key.hasPrefix(Self.volumePrefix)
        let isAttachment = key.hasPrefix(Self.attachmentPrefix)
        let started = ContinuousClock.now
        var change: Change?
        if isPod {
            let current = PodDocument(event.current.value)
            if event.kind == .delete {
                change = .pod(key, nil)
            } else if event.kind == .create || event.previous.map(PodDocument.init)?.relevant != current.relevant {
                change = .pod(key, current.entry(key: key))
            }
        } else if isVolume {
            let name = String(key.dropFirst(Self.volumePrefix.count))
            change = .volume(name, event.kind == .delete ? nil : (try? JSONValue(parsing: event.current.value)).map(Self.volumeEntry))
        } else if isAttachment {
            let name = String(key.dropFirst(Self.attachmentPrefix.count))
            change = .attachment(name, event.kind == .delete ? nil : Self.attachedNode(event.current.value))
        }
        if let change { state.withLock { Self.apply(change, to: &$0) } }
        if isPod || isVolume || isAttachment, let metrics {
            let operation = (event.kind == .delete ? "Delete" : "Add") + (isPod ? "Pod" : isVolume ? "PV" : "VolumeAttachment")
            metrics.recordNodeGraphAction(operation, duration: ContinuousClock.now - started)
        }
    }

    /// A pod's, a volume's or an attachment's new entry (nil: gone, or a pod no node runs, or an attachment to no
    /// node).
    enum Change {
        case pod(String, PodEntry?)
        case volume(String, VolumeEntry?)
        case attachment(String, String?)
    }

    private static func apply(key: String, value: Data, to state: inout State) {
        if key.hasPrefix(podPrefix) {
            apply(.pod(key, PodDocument(value).entry(key: key)), to: &state)
        } else if key.hasPrefix(volumePrefix) {
            apply(.volume(String(key.dropFirst(volumePrefix.count)), (try? JSONValue(parsing: value)).map(volumeEntry)), to: &state)
        } else if key.hasPrefix(attachmentPrefix) {
            apply(.attachment(String(key.dropFirst(attachmentPrefix.count)), attachedNode(value)), to: &state)
        }
    }

    /// The node a stored VolumeAttachment attaches to (`spec.nodeName`; nil when empty or unreadable).
    static func attachedNode(_ value: Data) -> String? {
        guard let spec = TopLevelJSON.members(["spec"], of: value)["spec"],
              let node = (try? JSONValue(parsing: spec))?["nodeName"]?.stringValue, !node.isEmpty else { return nil }
        return node
    }

    private static func apply(_ change: Change, to state: inout State) {
        switch change {
        case .pod(let key, let entry):
            let old = state.pods[key]
            guard old != entry else { return }
            if let old { unlink(old, in: &state) }
            state.pods[key] = entry
            if let entry { link(entry, in: &state) }
        case .volume(let name, let entry):
            if let old = state.volumes[name] {
                for secret in old.secrets {
                    state.volumeSecrets[secret]?.remove(name)
                    if state.volumeSecrets[secret]?.isEmpty == true { state.volumeSecrets[secret] = nil }
                }
            }
            state.volumes[name] = entry
            for secret in entry?.secrets ?? [] { state.volumeSecrets[secret, default: []].insert(name) }
        case .attachment(let name, let node):
            state.attachments[name] = node
        }
    }

    private static func link(_ entry: PodEntry, in state: inout State) {
        for object in entry.references { state.uses[Edge(node: entry.node, object: object), default: 0] += 1 }
    }

    private static func unlink(_ entry: PodEntry, in state: inout State) {
        for object in entry.references {
            let edge = Edge(node: entry.node, object: object)
            let remaining = state.uses[edge, default: 0] - 1
            state.uses[edge] = remaining > 0 ? remaining : nil
        }
    }

    /// What a pod bound to a node uses, from its spec (and the resource claims its status names); nil for a pod no
    /// node runs yet. The namespace and name come from its key.
    static func podEntry(key: String, spec: JSONValue, claimStatuses: [JSONValue]) -> PodEntry? {
        guard let node = spec["nodeName"]?.stringValue, !node.isEmpty else { return nil }
        let path = key.dropFirst(podPrefix.count).split(separator: "/", maxSplits: 1)
        let namespace = path.first.map(String.init) ?? "", podName = path.count == 2 ? String(path[1]) : ""
        var references: Set<Reference> = [
            Reference(resource: "serviceaccounts", namespace: namespace, name: spec["serviceAccountName"]?.stringValue ?? "default"),
        ]
        collect(spec, namespace: namespace, into: &references)
        // Generic ephemeral volumes: the claim is named after the pod and the volume.
        for volume in spec["volumes"]?.arrayValue ?? [] where volume["ephemeral"] != nil {
            if let name = volume["name"]?.stringValue {
                references.insert(Reference(resource: "persistentvolumeclaims", namespace: namespace, name: "\(podName)-\(name)"))
            }
        }
        // Dynamic resource allocation: claims named directly, or generated from a template (named in the status).
        for claim in (spec["resourceClaims"]?.arrayValue ?? []) + claimStatuses {
            if let name = claim["resourceClaimName"]?.stringValue, !name.isEmpty {
                references.insert(Reference(resource: "resourceclaims", namespace: namespace, name: name))
            }
        }
        return PodEntry(node: node, references: references)
    }

    /// The configmaps, secrets and claims a pod spec names (what `collect` finds).
    static func references(ofSpec spec: JSONValue, namespace: String) -> Set<Reference> {
        var references: Set<Reference> = []
        collect(spec, namespace: namespace, into: &references)
        return references
    }

    /// Walks a pod spec for the keys that name configmaps, secrets and claims, wherever they nest (volumes and
    /// projected sources, env and envFrom of init, regular and ephemeral containers, image pull secrets, volume
    /// plugins' `secretRef`s and azureFile's `secretName`).
    private static func collect(_ value: JSONValue, namespace: String, into references: inout Set<Reference>) {
        switch value {
        case .object(let members):
            for (key, member) in members {
                func add(_ resource: String, _ name: String?) {
                    if let name, !name.isEmpty { references.insert(Reference(resource: resource, namespace: namespace, name: name)) }
                }
                switch key {
                case "configMap", "configMapKeyRef", "configMapRef":
                    add("configmaps", member["name"]?.stringValue)
                case "secretKeyRef", "secretRef", "nodePublishSecretRef":
                    add("secrets", member["name"]?.stringValue)
                case "secret":
                    add("secrets", member["secretName"]?.stringValue ?? member["name"]?.stringValue)
                case "azureFile":
                    add("secrets", member["secretName"]?.stringValue)
                case "imagePullSecrets":
                    for item in member.arrayValue ?? [] { add("secrets", item["name"]?.stringValue) }
                case "persistentVolumeClaim":
                    add("persistentvolumeclaims", member["claimName"]?.stringValue)
                default:
                    break
                }
                collect(member, namespace: namespace, into: &references)
            }
        case .array(let items):
            for item in items { collect(item, namespace: namespace, into: &references) }
        default:
            break
        }
    }

    /// A volume's claim (from `spec.claimRef`, as upstream binds the edge) and the secrets its source names: any
    /// `…SecretRef`/`secretRef` (namespace defaulting to the claim's) and azureFile's `secretName`.
    static func volumeEntry(_ volume: JSONValue) -> VolumeEntry {
        let spec = volume["spec"]
        var claim: Reference?
        if let ref = spec?["claimRef"], let name = ref["name"]?.stringValue, let namespace = ref["namespace"]?.stringValue {
            claim = Reference(resource: "persistentvolumeclaims", namespace: namespace, name: name)
        }
        var secrets: Set<Reference> = []
        func walk(_ value: JSONValue) {
            switch value {
            case .object(let members):
                for (key, member) in members {
                    if key == "secretRef" || key.hasSuffix("SecretRef"), let name = member["name"]?.stringValue, !name.isEmpty {
                        let namespace = member["namespace"]?.stringValue ?? claim?.namespace ?? "default"
                        secrets.insert(Reference(resource: "secrets", namespace: namespace, name: name))
                    } else if key == "azureFile", let name = member["secretName"]?.stringValue, !name.isEmpty {
                        secrets.insert(Reference(resource: "secrets", namespace: member["secretNamespace"]?.stringValue ?? claim?.namespace ?? "default", name: name))
                    }
                    walk(member)
                }
            case .array(let items):
                items.forEach(walk)
            default:
                break
            }
        }
        if let spec { walk(spec) }
        return VolumeEntry(claim: claim, secrets: secrets)
    }

    /// The parts of a stored pod the graph depends on, found by a scan of the top-level members (no parse): its
    /// `spec`, and its `status` only when that names resource claims. A pod whose spec has no `"nodeName"` key is not
    /// parsed at all.
    struct PodDocument {
        var spec: Data?
        var claimStatus: Data?

        init(_ value: Data) {
            let members = TopLevelJSON.members(["spec", "status"], of: value)
            spec = members["spec"]
            claimStatus = members["status"].flatMap { TopLevelJSON.contains(#""resourceClaimStatuses""#, in: $0) ? $0 : nil }
        }

        /// Equal for two versions of a pod exactly when the graph sees no difference between them.
        var relevant: [Data?] { [spec, claimStatus] }

        func entry(key: String) -> PodEntry? {
            guard let spec, TopLevelJSON.contains(#""nodeName""#, in: spec), let parsed = try? JSONValue(parsing: spec) else { return nil }
            let statuses = claimStatus.flatMap { try? JSONValue(parsing: $0) }?["resourceClaimStatuses"]?.arrayValue ?? []
            return NodeGraph.podEntry(key: key, spec: parsed, claimStatuses: statuses)
        }
    }

    // MARK: Following the store

    /// Follows the store until cancelled: each follower re-watches from its last applied event when a watch ends
    /// and re-lists its prefix when that history is gone or the watch failed.
    func follow() async {
        await withTaskGroup(of: Void.self) { group in
            for follower in followers {
                group.addTask { await follower.follow(self.handlers(for: follower)) }
            }
        }
    }

    // MARK: Waiting for a revision

    /// Returns once the graph reflects `target`, or after `patience`, or when the task is cancelled.
    func reach(_ target: Int64, within patience: Duration) async {
        _ = await wait(for: target, within: patience) { false }
    }

    /// Waits until `found` holds or the graph reflects `target` (after `patience` or on cancellation: gives up), and
    /// returns `found()` then. A follower behind `target` is asked for its watch's progress: with nothing to deliver
    /// under its prefix, that alone moves it on.
    private func wait(for target: Int64, within patience: Duration, until found: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + patience
        var asked = false
        while true {
            let step = waiters.withLock { $0.step }
            if found() { return true }
            if revision >= target || ContinuousClock.now >= deadline || Task.isCancelled { return found() }
            if !asked {
                for follower in followers where follower.reached < target { await follower.requestProgress() }
                asked = true
            }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.nextStep(after: step) }
                group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Returns once the graph has moved past `step` (or the task is cancelled).
    private func nextStep(after step: Int) async {
        let id = waiters.withLock { w -> Int in
            w.next += 1
            return w.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = waiters.withLock { w -> Bool in
                    // Checked under the waiters' lock, which `stepped` takes to count a step.
                    if Task.isCancelled || w.step != step { return true }
                    w.waiting[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            waiters.withLock { $0.waiting.removeValue(forKey: id) }?.resume()
        }
    }

    /// Counts a step forward of the graph (an event, a list, a progress report) and wakes every waiter to look again.
    private func stepped() {
        let ready = waiters.withLock { w -> [CheckedContinuation<Void, Never>] in
            w.step &+= 1
            defer { w.waiting.removeAll() }
            return Array(w.waiting.values)
        }
        for continuation in ready { continuation.resume() }
    }
}

/// Keeps the Node authorizer's graph following the store while the server runs.
struct NodeGraphFollower: ServiceLifecycle.Service {
    let graph: NodeGraph

    func run() async throws {
        await cancelWhenGracefulShutdown { await graph.follow() }
    }
}

extension APIMetrics {
    /// Upstream's `node_authorizer_graph_actions_duration_seconds` by operation (AddPod, DeletePod, AddPV, DeletePV,
    /// AddVolumeAttachment, DeleteVolumeAttachment).
    func recordNodeGraphAction(_ operation: String, duration: Duration) {
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(metricName: "node_authorizer_graph_actions_duration", unitName: "seconds",
                                             helpText: "Histogram of duration of graph actions in node authorizer."),
            labels: [("operation", operation)],
            buckets: [0.0001, 0.0002, 0.0004, 0.0008, 0.0016, 0.0032, 0.0064, 0.0128, 0.0256, 0.0512, 0.1024, 0.2048].map { .nanoseconds(Int64($0 * 1e9)) }
        ).record(duration)
    }
}

/// Finds top-level members of a JSON object without parsing it: a scan that skips strings and nested values.
enum TopLevelJSON {
    /// The bytes of the values of the `names` members of the object in `data` (those present).
    static func members(_ names: Set<String>, of data: Data) -> [String: Data] {
        let wanted = Set(names.map { Array($0.utf8) })
        var found: [String: Data] = [:]
        data.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
            var i = skipSpace(b, 0)
            guard i < b.count, b[i] == UInt8(ascii: "{") else { return }
            i += 1
            while true {
                i = skipSpace(b, i)
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { return }
                let keyEnd = skipValue(b, i)
                let key = Array(b[(i + 1)..<max(i + 1, keyEnd - 1)])
                i = skipSpace(b, keyEnd)
                guard i < b.count, b[i] == UInt8(ascii: ":") else { return }
                let start = skipSpace(b, i + 1)
                let end = skipValue(b, start)
                guard end <= b.count, end > start else { return }
                if wanted.contains(key) { found[String(decoding: key, as: UTF8.self)] = Data(b[start..<end]) }
                i = skipSpace(b, end)
                guard i < b.count, b[i] == UInt8(ascii: ",") else { return }
                i += 1
            }
        }
        return found
    }

    /// Whether `needle` occurs in `data` byte for byte.
    static func contains(_ needle: String, in data: Data) -> Bool {
        let n = Array(needle.utf8)
        guard let first = n.first else { return true }
        return data.withUnsafeBytes { (b: UnsafeRawBufferPointer) -> Bool in
            guard b.count >= n.count else { return false }
            var i = 0
            while i <= b.count - n.count {
                if b[i] == first {
                    var j = 1
                    while j < n.count, b[i + j] == n[j] { j += 1 }
                    if j == n.count { return true }
                }
                i += 1
            }
            return false
        }
    }

    private static func skipSpace(_ b: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var i = start
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        return i
    }

    /// The offset just past the value starting at `start` (a string, object, array or scalar).
    private static func skipValue(_ b: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var i = start
        guard i < b.count else { return i }
        switch b[i] {
        case UInt8(ascii: "\""):
            i += 1
            while i < b.count, b[i] != UInt8(ascii: "\"") {
                if b[i] == UInt8(ascii: "\\") { i += 1 }
                i += 1
            }
            return i + 1
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while i < b.count {
                switch b[i] {
                case UInt8(ascii: "\""):
                    i = skipValue(b, i)
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return i + 1 }
                default: break
                }
                i += 1
            }
            return i
        default:
            while i < b.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09].contains(b[i]) { i += 1 }
            return i
        }
    }
}

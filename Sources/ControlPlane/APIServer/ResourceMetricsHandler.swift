import AsyncHTTPClient
import Foundation
import KubeAPI
import NIOCore
import NIOHTTP1
import ResourceMetrics
import Store

/// `metrics.k8s.io/v1beta1` `nodes` (NodeMetrics) and `pods` (PodMetrics), what `kubectl top` reads, served as
/// metrics-server v0.7 serves them from the usage its scraper keeps (`MetricsStorage`): get and list only, the
/// objects listed from the store with their label selector and a `metadata.name` / `metadata.namespace` field
/// selector, sorted as the API lists them, each with metrics once its node or every container has two points;
/// CPU in nanocores (`123456n`), memory in bytes as binary SI (`2048Ki`); `podmetrics.metrics.k8s.io "x" not found`
/// for an object without metrics or that does not exist.
struct ResourceMetricsHandler: ResourceHandling {
    enum Kind: Sendable { case nodes, pods }

    static let group = "metrics.k8s.io"
    static let version = "v1beta1"

    let kind: Kind
    let storage: MetricsStorage
    let core: ServerCore

    /// The two resources over one storage.
    static func handlers(storage: MetricsStorage, core: ServerCore) -> [any ResourceHandling] {
        [ResourceMetricsHandler(kind: .nodes, storage: storage, core: core), ResourceMetricsHandler(kind: .pods, storage: storage, core: core)]
    }

    var info: ResourceInfo {
        switch kind {
        case .nodes: ResourceInfo(group: Self.group, version: Self.version, plural: "nodes", singular: "", kind: "NodeMetrics", namespaced: false)
        case .pods: ResourceInfo(group: Self.group, version: Self.version, plural: "pods", singular: "", kind: "PodMetrics", namespaced: true)
        }
    }

    var subresources: [String] { [] }
    var verbs: [String] { ["get", "list"] }

    /// metrics-server's group resource, which its NotFound errors name.
    private var qualifiedResource: String { kind == .nodes ? "nodemetrics.metrics.k8s.io" : "podmetrics.metrics.k8s.io" }

    func handle(_ request: APIRequest, path: ResourcePath) async -> APIResponse {
        do {
            if !info.namespaced, path.namespace != nil { throw Status.pathNotFound() }
            if path.subresource != nil { throw Status.pathNotFound() }
            guard request.method == "GET" else { throw Status.methodNotSupported(info, verb: Self.verb(request.method, name: path.name)) }
            if request.isWatch { throw Status.methodNotSupported(info, verb: "watch") }
            let items: [JSONValue]
            if let name = path.name {
                guard let item = try await objects(named: name, namespace: path.namespace, request: nil).first else {
                    throw Status(message: "\(qualifiedResource) \"\(name)\" not found", reason: "NotFound",
                                 details: StatusDetails(name: name, group: Self.group, kind: kind == .nodes ? "nodemetrics" : "podmetrics"), code: 404)
                }
                items = [item]
                if request.wantsTable { return .json(table(items, request: request)) }
                return .json(item)
            }
            items = try await objects(named: nil, namespace: path.namespace, request: request)
            if request.wantsTable { return .json(table(items, request: request)) }
            return .json(["kind": .string(info.kind + "List"), "apiVersion": .string(info.groupVersion), "metadata": [:], "items": .array(items)])
        } catch let status as Status {
            return .status(status)
        } catch {
            return .status(core.status(for: error, info: info, name: path.name ?? ""))
        }
    }

    private static func verb(_ method: String, name: String?) -> String {
        switch method {
        case "POST": "create"
        case "PUT": "update"
        case "PATCH": "patch"
        case "DELETE": name == nil ? "deletecollection" : "delete"
        default: method.lowercased()
        }
    }

    /// The metrics objects of the named object (nil: the selected ones), in the API's order.
    private func objects(named name: String?, namespace: String?, request: APIRequest?) async throws -> [JSONValue] {
        var labels: LabelSelectorExpression?
        var fields: FieldSelector?
        if let request {
            do {
                labels = try request.query["labelSelector"].flatMap { $0.isEmpty ? nil : try LabelSelectorExpression(parsing: $0) }
                fields = try request.query["fieldSelector"].flatMap { $0.isEmpty ? nil : try FieldSelector(parsing: $0) }
            } catch {
                throw Status.badRequest("\(error)")
            }
        }
        func selected(_ metadata: ObjectMeta) -> Bool {
            if let labels, !labels.matches(metadata.labels ?? [:]) { return false }
            var values = ["metadata.name": metadata.name ?? ""]
            if kind == .pods { values["metadata.namespace"] = metadata.namespace ?? "" }
            return fields?.matches(values) ?? true
        }
        let now = Time(Date())
        switch kind {
        case .nodes:
            let nodes = try await load(Node.self, namespace: nil, name: name).filter { selected($0.metadata) }
                .sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
            let usages = storage.nodeUsage(nodes.compactMap(\.metadata.name))
            return nodes.compactMap { node in
                guard let name = node.metadata.name, let usage = usages[name] else { return nil }
                return ["kind": "NodeMetrics", "apiVersion": .string(info.groupVersion),
                        "metadata": Self.metadata(node.metadata, namespaced: false, now: now),
                        "timestamp": .string(Time(usage.timestamp).description), "window": .string(GoDuration.string(usage.window)),
                        "usage": Self.usage(usage)]
            }
        case .pods:
            let pods = try await load(Pod.self, namespace: namespace ?? (name == nil ? nil : ""), name: name).filter { selected($0.metadata) }
                .sorted { ($0.metadata.namespace ?? "", $0.metadata.name ?? "") < ($1.metadata.namespace ?? "", $1.metadata.name ?? "") }
            let references = pods.map { PodReference(namespace: $0.metadata.namespace ?? "", name: $0.metadata.name ?? "") }
            let usages = storage.podUsage(references)
            return zip(pods, references).compactMap { pod, reference in
                // As metrics-server: only from the kubelet of the node the pod is bound to.
                guard let usage = usages[reference], usage.node == pod.spec?.nodeName else { return nil }
                let containers: [JSONValue] = usage.containers.map { ["name": .string($0.name), "usage": Self.usage($0.usage)] }
                return ["kind": "PodMetrics", "apiVersion": .string(info.groupVersion),
                        "metadata": Self.metadata(pod.metadata, namespaced: true, now: now),
                        "timestamp": .string(Time(usage.timestamp).description), "window": .string(GoDuration.string(usage.window)),
                        "containers": .array(containers)]
            }
        }
    }

    /// The objects from the store: one by name, or every one in `namespace` (nil: all namespaces).
    private func load<T: KubeObject>(_ type: T.Type, namespace: String?, name: String?) async throws -> [T] {
        if let name {
            guard let kv = try await core.store.get(key: StoredObject.key(T.resource, namespace: namespace, name: name)) else { return [] }
            return [try KubeJSON.decode(T.self, from: kv.value, omittingManagedFields: true)]
        }
        let page = try await core.store.list(prefix: StoredObject.prefix(T.resource, namespace: namespace), startAfter: nil, limit: 0,
                                             revision: nil, counting: false)
        return page.items.compactMap { try? KubeJSON.decode(T.self, from: $0.value, omittingManagedFields: true) }
    }

    /// metrics-server's object metadata: name, namespace and labels of the object, created now.
    private static func metadata(_ meta: ObjectMeta, namespaced: Bool, now: Time) -> JSONValue {
        var value: JSONValue = ["name": .string(meta.name ?? ""), "creationTimestamp": .string(now.description)]
        if namespaced { value["namespace"] = .string(meta.namespace ?? "") }
        if let labels = meta.labels, !labels.isEmpty { value["labels"] = .object(labels.mapValues { .string($0) }) }
        return value
    }

    /// `{"cpu": "123456n", "memory": "2048Ki"}`: nanocores as decimal SI, bytes as binary SI, canonical as upstream.
    private static func usage(_ usage: Usage) -> JSONValue {
        ["cpu": .string(Quantity(nanoValue: Int128(usage.cpuNanoCores), format: .decimalSI).description),
         "memory": .string(Quantity(nanoValue: Int128(usage.memoryBytes) * 1_000_000_000, format: .binarySI).description)]
    }

    /// metrics-server's Table: Name, each resource (summed over a pod's containers) and Window.
    private func table(_ items: [JSONValue], request: APIRequest) -> JSONValue {
        let columns: [JSONValue] = [
            ["name": "Name", "type": "string", "format": "name", "description": "Name of the resource", "priority": 0],
            ["name": "cpu", "type": "string", "format": "quantity", "description": "", "priority": 0],
            ["name": "memory", "type": "string", "format": "quantity", "description": "", "priority": 0],
            ["name": "Window", "type": "string", "format": "duration", "description": "", "priority": 0],
        ]
        let rows: [JSONValue] = items.map { item in
            let usages = kind == .nodes ? [item["usage"] ?? [:]] : (item["containers"]?.arrayValue ?? []).map { $0["usage"] ?? [:] }
            var cpu = Quantity.zero, memory = Quantity(0, format: .binarySI)
            for usage in usages {
                if let text = usage["cpu"]?.stringValue, let value = try? Quantity(parsing: text) { cpu += value }
                if let text = usage["memory"]?.stringValue, let value = try? Quantity(parsing: text) { memory += value }
            }
            var row: JSONValue = ["cells": [item["metadata"]?["name"] ?? "", .string(cpu.description), .string(memory.description), item["window"] ?? ""]]
            switch request.query["includeObject"] {
            case "None": break
            case "Object": row["object"] = item
            default: row["object"] = ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": item["metadata"] ?? [:]]
            }
            return row
        }
        return ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": [:], "columnDefinitions": .array(columns), "rows": .array(rows)]
    }

    func podStreamURL(pod name: String, namespace: String?, stream: PodStream) async throws -> String {
        throw Status.methodNotSupported(info, verb: "get")
    }

    func nodeProxyTarget(name: String, path proxyPath: String?) async throws -> ProxyTarget {
        throw Status.methodNotSupported(info, verb: "get")
    }
}

/// Where the scraper finds kubelets: the Ready nodes in the store, each at its InternalIP and kubelet port, read over
/// the API server's kubelet-client connection (HTTPS with its client certificate, as for logs and exec). A node that
/// advertises no kubelet port (0: `swiftlet sim`'s simulated nodes) has nothing to scrape.
struct KubeletScrapeSource: ScrapeSource {
    let core: ServerCore

    func targets() async throws -> [ScrapeTarget] {
        let page = try await core.store.list(prefix: StoredObject.prefix(Node.resource, namespace: nil), startAfter: nil, limit: 0,
                                             revision: nil, counting: false)
        return page.items.compactMap { kv -> ScrapeTarget? in
            guard let node = try? KubeJSON.decode(ScrapedNode.self, from: kv.value), let name = node.metadata.name,
                  node.status?.conditions?.contains(where: { $0.type == "Ready" && $0.status == "True" }) == true,
                  let address = node.status?.addresses?.first(where: { $0.type == "InternalIP" })?.address,
                  let port = node.status?.daemonEndpoints?.kubeletEndpoint?.port, port > 0 else { return nil }
            let host = address.contains(":") ? "[\(address)]" : address
            return ScrapeTarget(node: name, url: "\(core.kubelet.scheme)://\(host):\(port)/metrics/resource")
        }
    }

    /// What `targets()` reads of a stored Node. Every resolution lists all nodes: decoding whole `Node`s (images,
    /// capacity, nodeInfo, managedFields) for this took 5 % of an idle server's CPU at 5,000 simulated nodes.
    private struct ScrapedNode: Decodable {
        struct Name: Decodable { var name: String? }
        struct Condition: Decodable { var type: String; var status: String }
        struct Status: Decodable {
            var conditions: [Condition]?
            var addresses: [NodeAddress]?
            var daemonEndpoints: NodeDaemonEndpoints?
        }
        var metadata: Name
        var status: Status?
    }

    func resourceMetrics(_ target: ScrapeTarget, timeout: Duration) async throws -> String {
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let response = try await core.kubelet.http.execute(HTTPClientRequest(url: target.url), timeout: .nanoseconds(nanoseconds))
        guard response.status == .ok else {
            throw ResourceMetricsError(.request, "request failed, status: \"\(response.status.code) \(response.status.reasonPhrase)\"")
        }
        let body = try await response.body.collect(upTo: 64 << 20)
        return String(buffer: body)
    }
}

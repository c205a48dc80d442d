import Foundation
import KubeAPI
import KubeProtobuf
import Logging
import Store
import Synchronization
import Yams

/// What every resource handler shares: the store, the allocators, the logger and the request limits.
final class ServerCore: Sendable {
    /// Upstream's limit for a request body (3 MiB).
    static let maxRequestBodyBytes = 3 * 1024 * 1024
    /// How many namespaces' termination state ``requireNamespace(_:)`` remembers before it starts over.
    static let namespacesRemembered = 4096

    let store: any Store
    let admission: AdmissionContext
    /// How to reach kubelets (HTTPS with a client certificate unless the server runs plain HTTP).
    let kubelet: KubeletConnection
    /// Authentication and authorization, for the checks that depend on the object written (nil over plain HTTP).
    let security: Security?
    let logger: Logger
    /// Whether each namespace seen is terminating, as of its revision then: a namespace is decoded again only once
    /// it has changed (``requireNamespace(_:)`` runs on every create).
    private let namespaceTermination = Mutex<[String: (revision: Int64, terminating: Bool)]>([:])

    init(store: any Store, admission: AdmissionContext, kubelet: KubeletConnection = .plain, security: Security? = nil, logger: Logger) {
        self.store = store
        self.admission = admission
        self.kubelet = kubelet
        self.security = security
        self.logger = logger
    }

    /// Parses a request body as JSON or YAML (by Content-Type) into a JSON value.
    func parseBody(_ request: APIRequest) throws -> JSONValue {
        if request.body.count > Self.maxRequestBodyBytes { throw Status.requestEntityTooLarge(limit: Self.maxRequestBodyBytes) }
        switch request.contentType {
        case "application/json", "application/merge-patch+json", "application/strategic-merge-patch+json",
             "application/json-patch+json", "":
            do { return try JSONValue(parsing: request.body) } catch let error as JSONSyntaxError {
                throw Status.badRequest("error decoding from json: \(error)")
            }
        case "application/yaml", "application/apply-patch+yaml":
            return try YAMLBody.parse(request.body)
        case KubeProtobuf.contentType:
            let (value, unknown) = try decodeProtobuf(request.body)
            if !unknown.isEmpty, request.fieldValidation == "Strict" {
                let kind = value["kind"]?.stringValue ?? "object"
                throw Status.badRequest("\(kind) in version \"\(value["apiVersion"]?.stringValue ?? "")\" cannot be handled as a \(kind): strict decoding error: "
                    + unknown.map { "unknown field \"\($0)\"" }.joined(separator: ", "))
            }
            return value
        default:
            throw Status.unsupportedMediaType(request.contentType)
        }
    }

    private func decodeProtobuf(_ body: Data) throws -> (JSONValue, [String]) {
        do { return try KubeProtobuf.decodeWithUnknownFields(body) } catch let error as ProtobufError {
            throw Status.badRequest("error decoding from protobuf: \(error)")
        }
    }

    /// Fails with 404 (or 403 while terminating) unless `namespace` exists, as upstream's NamespaceLifecycle does.
    func requireNamespace(_ namespace: String) async throws {
        let key = StoredObject.key(Namespace.resource, namespace: nil, name: namespace)
        guard let kv = try await store.get(key: key) else {
            throw Status(message: "namespaces \"\(namespace)\" not found", reason: "NotFound",
                         details: StatusDetails(name: namespace, kind: "namespaces"), code: 404)
        }
        if isTerminating(namespace, kv) {
            throw Status(message: "unable to create new content in namespace \(namespace) because it is being terminated",
                         reason: "Forbidden",
                         details: StatusDetails(name: namespace, kind: "namespaces", causes: [
                             StatusCause(reason: "NamespaceTerminating",
                                         message: "namespace \(namespace) is being terminated", field: "metadata.namespace"),
                         ]), code: 403)
        }
    }

    /// Whether the stored namespace `kv` has a deletionTimestamp; decoded (without its managedFields) only when its
    /// revision is not the one last seen.
    private func isTerminating(_ namespace: String, _ kv: KeyValue) -> Bool {
        if let known = namespaceTermination.withLock({ $0[namespace] }), known.revision == kv.modRevision { return known.terminating }
        let terminating = (try? KubeJSON.decode(Namespace.self, from: kv.value, omittingManagedFields: true))?.metadata.deletionTimestamp != nil
        namespaceTermination.withLock { known in
            // A deleted namespace's entry is never removed by itself: starting over at the limit bounds the memory.
            if known.count >= Self.namespacesRemembered { known.removeAll() }
            known[namespace] = (kv.modRevision, terminating)
        }
        return terminating
    }

    /// Maps any error from below to an upstream `Status`.
    func status(for error: any Error, info: ResourceInfo, name: String) -> Status {
        switch error {
        case let status as Status: return status
        case StoreError.keyExists: return .alreadyExists(info, name: name)
        case StoreError.keyNotFound: return .notFound(info, name: name)
        case StoreError.conflict:
            return .conflict(info, name: name, message: "the object has been modified; please apply your changes to the latest version and try again")
        case StoreError.compacted(let requested, let compacted):
            return .gone("too old resource version: \(requested) (\(compacted))")
        case StoreError.futureRevision(let requested, let current):
            return Status(message: "Timeout: Too large resource version: \(requested), current resource version: \(current)",
                          reason: "Timeout", details: StatusDetails(causes: [StatusCause(reason: "ResourceVersionTooLarge", message: "Too large resource version")], retryAfterSeconds: 1), code: 504)
        default:
            logger.error("request failed", metadata: ["resource": "\(info.plural)", "name": "\(name)", "error": "\(error)"])
            return .internalError("\(error)")
        }
    }
}

/// YAML request bodies (`kubectl apply --server-side` sends `application/apply-patch+yaml`).
enum YAMLBody {
    static func parse(_ data: Data) throws -> JSONValue {
        let text = String(decoding: data, as: UTF8.self)
        let node: Yams.Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw Status.badRequest("error converting YAML to JSON: \(error)")
        }
        guard let node else { return .object([:]) }
        return try json(from: node)
    }

    static func json(from node: Yams.Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain {
                switch scalar.string {
                case "null", "~", "Null", "NULL", "": return .null
                case "true", "True", "TRUE": return .bool(true)
                case "false", "False", "FALSE": return .bool(false)
                default:
                    if let i = Int64(scalar.string) { return .int(i) }
                    if let d = Double(scalar.string), scalar.string.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .double(d) }
                }
            }
            return .string(scalar.string)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard case .scalar(let k) = key else { throw Status.badRequest("error converting YAML to JSON: non-string key") }
                members[k.string] = try json(from: value)
            }
            return .object(members)
        case .sequence(let sequence):
            return .array(try sequence.map { try json(from: $0) })
        case .alias:
            throw Status.badRequest("error converting YAML to JSON: aliases are not supported")
        }
    }
}

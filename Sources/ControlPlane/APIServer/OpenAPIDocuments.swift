import Foundation
import KubeAPI
import KubeSchema

/// `/openapi/v3` and its per-group-version documents: every served kind's paths (PATCH carries the
/// `fieldValidation` parameter kubectl looks for before relying on server-side validation) and schemas
/// derived from the Swift types by `KubeSchema` (what `kubectl explain` reads). Built once at start-up.
struct OpenAPIDocuments: Sendable {
    private let documents: [String: Data]
    private let root: Data

    init(registry: ResourceRegistry) throws {
        var documents: [String: Data] = [:]
        var paths: [String: JSONValue] = [:]
        for (group, versions) in registry.groups {
            for version in versions {
                let gvPath = group.isEmpty ? "api/\(version)" : "apis/\(group)/\(version)"
                let document = try Self.document(handlers: registry.handlers(group: group, version: version))
                let data = document.serialized()
                documents[gvPath] = data
                paths[gvPath] = ["serverRelativeURL": .string("/openapi/v3/\(gvPath)?hash=\(Self.hash(data))")]
            }
        }
        self.documents = documents
        root = JSONValue.object(["paths": .object(paths)]).serialized()
    }

    func response(for request: APIRequest) -> APIResponse {
        let path = request.path
        if path == "/openapi/v3" || path == "/openapi/v3/" { return .json(root) }
        if path == "/openapi/v2" {
            // kubectl asks for gnostic's protobuf form: field 1 (swagger) = "2.0", nothing else.
            if request.header("accept")?.contains("protobuf") ?? false {
                return APIResponse(headers: [("Content-Type", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")],
                                   body: .data(Data([0x0A, 0x03]) + Data("2.0".utf8)))
            }
            return .json(Self.swaggerStub)
        }
        if path.hasPrefix("/openapi/v3/"), let document = documents[String(path.dropFirst("/openapi/v3/".count))] {
            return .json(document)
        }
        return .status(Status.pathNotFound("404 page not found"))
    }

    /// `/openapi/v2`: an empty Swagger 2.0 document. Kinds are described in v3 only; kubectl's validator consults
    /// v2 just for kinds v3 does not know, and must find them unknown there too (not a download failure).
    private static let swaggerStub = JSONValue.object([
        "swagger": "2.0", "info": ["title": "Kubernetes", "version": "v1.32.0"], "paths": [:], "definitions": [:],
    ]).serialized()

    /// A content hash for the discovery URLs, so clients re-fetch a document only when it changed.
    private static func hash(_ data: Data) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(h, radix: 16, uppercase: true)
    }

    private static func document(handlers: [any ResourceHandling]) throws -> JSONValue {
        let served = handlers.compactMap { handler in
            KubeKinds.kind(group: handler.info.group, version: handler.info.version, plural: handler.info.plural).map { (kind: $0, subresources: handler.subresources) }
        }
        let kinds = served.map(\.kind)
        let schemas = try OpenAPISchemas.components(for: kinds)
        var paths: [String: JSONValue] = [:]
        for (kind, subresources) in served {
            let info = kind.resource
            let gvk: JSONValue = ["group": .string(info.group), "version": .string(info.version), "kind": .string(info.kind)]
            func operation(_ action: String, _ schema: String, params: [String]) -> JSONValue {
                ["operationId": .string("\(action)\(info.kind)"), "x-kubernetes-action": .string(action),
                 "x-kubernetes-group-version-kind": gvk,
                 "parameters": .array(params.map { ["name": .string($0), "in": "query", "schema": ["type": "string", "uniqueItems": true]] }),
                 "responses": ["200": ["description": "OK", "content": ["application/json": ["schema": OpenAPISchemas.reference(to: schema)]]]]]
            }
            let object = OpenAPISchemas.schemaName(of: kind)
            let list = OpenAPISchemas.listSchemaName(of: kind)
            let writeParams = ["dryRun", "fieldManager", "fieldValidation"]
            let collection = info.collectionPath(namespace: info.namespaced ? "{namespace}" : nil)
            paths[collection] = [
                "get": operation("list", list, params: ["labelSelector", "fieldSelector", "limit", "continue", "watch", "resourceVersion", "allowWatchBookmarks", "timeoutSeconds"]),
                "post": operation("post", object, params: writeParams),
                "delete": operation("deletecollection", list, params: ["labelSelector", "fieldSelector", "gracePeriodSeconds", "propagationPolicy", "dryRun"]),
            ]
            paths[collection + "/{name}"] = [
                "get": operation("get", object, params: []),
                "put": operation("put", object, params: writeParams),
                "patch": operation("patch", object, params: writeParams + ["force"]),
                "delete": operation("delete", object, params: ["gracePeriodSeconds", "propagationPolicy", "dryRun"]),
            ]
            // Subresources that read and write the object itself (`status`, `pods/ephemeralcontainers`), as upstream
            // documents them.
            for sub in subresources where ["status", "ephemeralcontainers"].contains(sub) {
                paths[collection + "/{name}/" + sub] = [
                    "get": operation("get", object, params: []),
                    "put": operation("put", object, params: writeParams),
                    "patch": operation("patch", object, params: writeParams + ["force"]),
                ]
            }
        }
        return ["openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.32.0"],
                "paths": .object(paths), "components": ["schemas": .object(schemas)]]
    }
}

import Foundation
import KubeAPI
import Store

extension ResourceHandler {
    func get(_ request: APIRequest, name: String, path: ResourcePath) async throws -> APIResponse {
        let key = StoredObject.key(storage, namespace: path.namespace, name: name)
        guard let kv = try await core.store.get(key: key) else { throw Status.notFound(info, name: name) }
        let raw = try wireBytes(kv.value, revision: kv.modRevision)
        if request.wantsTable {
            return .json(strategy.table.table(for: [(try decodeStored(kv), raw)], listMeta: ListMeta(resourceVersion: String(kv.modRevision)),
                                              includeObject: request.query["includeObject"], now: Date()))
        }
        return .json(raw)
    }

    /// LIST: label and field selectors, `limit`/`continue` chunking at one consistent revision, Table output.
    func list(_ request: APIRequest, path: ResourcePath) async throws -> APIResponse {
        let filter = try ObjectFilter<Object>(request: request)
        let limit = Int(request.query["limit"] ?? "") ?? 0
        let prefix = StoredObject.prefix(storage, namespace: path.namespace)
        var startAfter: String?
        var revision = try Self.exactListRevision(request)
        let continued = try request.query["continue"].flatMap { $0.isEmpty ? nil : try ContinueToken(encoded: $0) }
        if let continued {
            startAfter = prefix + continued.start
            // Revision 0: the rest at the latest revision (the token an expired continue hands out).
            revision = continued.revision > 0 ? continued.revision : nil
        }
        var matched: [(kv: KeyValue, object: Object?)] = []
        var hasMore = false
        var listRevision: Int64 = 0
        // The size of the first page's range, asked for only when no selector filters the list: what follows this
        // page is that less the limit.
        var rangeCount: Int?
        var firstPage = true
        // Pages are read until `limit` matching items are found (selectors may skip stored ones).
        paging: while true {
            let page: ListResult
            do {
                page = try await core.store.list(prefix: prefix, startAfter: startAfter, limit: limit > 0 ? max(limit, 100) : 0,
                                                 revision: revision, counting: firstPage && limit > 0 && filter.isEverything)
            } catch StoreError.compacted {
                guard let continued else { throw Status(message: "The resourceVersion for the provided list is too old.", reason: "Expired", code: 410) }
                var expired = Status(message: "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                                     reason: "Expired", code: 410)
                // As upstream: a token for the rest at the latest revision, in the Status's list metadata.
                expired.metadata = ListMeta(continue: ContinueToken(revision: 0, start: continued.start).encoded)
                throw expired
            }
            listRevision = page.revision
            revision = page.revision
            if firstPage { rangeCount = page.count }
            firstPage = false
            for kv in page.items {
                if limit > 0, matched.count == limit {
                    hasMore = true
                    break paging
                }
                startAfter = kv.key
                if filter.isEverything && !request.wantsTable {
                    matched.append((kv, nil))
                } else {
                    let object = try decodeStored(kv)
                    if filter.matches(object) { matched.append((kv, object)) }
                }
            }
            guard page.hasMore else { break }
        }

        // Not older than a revision the store has not reached: upstream's watch cache gives up waiting for it so.
        if let minimum = request.query["resourceVersion"].flatMap({ Int64($0) }), minimum > listRevision {
            throw StoreError.futureRevision(requested: minimum, current: listRevision)
        }
        var listMeta = ListMeta(resourceVersion: String(listRevision))
        if hasMore, limit > 0, let last = startAfter {
            listMeta.continue = ContinueToken(revision: listRevision, start: String(last.dropFirst(prefix.count))).encoded
            // As upstream's store: only when no selector filters the list (the count includes what a selector
            // would drop), and never on the last page.
            if let rangeCount { listMeta.remainingItemCount = Int64(rangeCount - limit) }
        }
        if request.wantsTable {
            let rows = try matched.map { entry in
                (object: try entry.object ?? decodeStored(entry.kv), raw: try wireBytes(entry.kv.value, revision: entry.kv.modRevision))
            }
            return .json(strategy.table.table(for: rows, listMeta: listMeta, includeObject: request.query["includeObject"], now: Date()))
        }
        var body = Data()
        body.append(contentsOf: Array("{\"apiVersion\":\"\(info.groupVersion)\",\"items\":[".utf8))
        for (i, entry) in matched.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            body.append(try wireBytes(entry.kv.value, revision: entry.kv.modRevision))
        }
        body.append(contentsOf: Array("],\"kind\":\"\(info.kind)List\",\"metadata\":".utf8))
        body.append(try KubeJSON.encode(listMeta))
        body.append(UInt8(ascii: "}"))
        return .json(body)
    }
}

extension ResourceHandler {
    /// The revision a LIST with `resourceVersionMatch=Exact` reads at (nil: the latest), after upstream's checks of
    /// the list options (ValidateListOptions: 422 on `ListOptions.meta.k8s.io`).
    static func exactListRevision(_ request: APIRequest) throws -> Int64? {
        guard let match = request.query["resourceVersionMatch"], !match.isEmpty, !request.isWatch else { return nil }
        let resourceVersion = request.query["resourceVersion"] ?? ""
        var causes: [StatusCause] = []
        func forbidden(_ message: String) {
            causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: \(message)", field: "resourceVersionMatch"))
        }
        if resourceVersion.isEmpty { forbidden("resourceVersionMatch is forbidden unless resourceVersion is provided") }
        if !(request.query["continue"] ?? "").isEmpty { forbidden("resourceVersionMatch is forbidden when continue is provided") }
        if match != "Exact", match != "NotOlderThan" {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(match)\": supported values: \"Exact\", \"NotOlderThan\", \"\"",
                                      field: "resourceVersionMatch"))
        }
        if match == "Exact", resourceVersion == "0" { forbidden("resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"") }
        if !causes.isEmpty { throw Status.invalid(kind: "ListOptions", group: "meta.k8s.io", name: "", causes: causes) }
        guard match == "Exact" else { return nil }
        guard let revision = Int64(resourceVersion), revision > 0 else {
            throw Status.badRequest("invalid resource version \"\(resourceVersion)\"")
        }
        return revision
    }
}

/// A LIST/watch continue token, encoded like upstream's (base64 of `{"v":"meta.k8s.io/v1","rv":N,"start":"key"}`).
struct ContinueToken: Codable {
    var v = "meta.k8s.io/v1"
    var rv: Int64
    var start: String

    var revision: Int64 { rv }

    init(revision: Int64, start: String) {
        rv = revision
        self.start = start
    }

    init(encoded: String) throws {
        guard let data = Data(base64Encoded: encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/").padding(toLength: (encoded.count + 3) / 4 * 4, withPad: "=", startingAt: 0)),
              let token = try? JSONDecoder().decode(ContinueToken.self, from: data), token.v == "meta.k8s.io/v1", token.rv >= 0
        else {
            throw Status.badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        }
        self = token
    }

    var encoded: String {
        let data = (try? JSONEncoder().encode(self)) ?? Data()
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

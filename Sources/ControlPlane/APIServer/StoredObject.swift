import Foundation
import KubeAPI
import Store

/// How objects are laid out in the store and turned back into wire JSON.
///
/// Stored values never contain `metadata.resourceVersion`: the store's modification revision is the
/// resourceVersion, and it is spliced into the bytes on the way out, so reads never decode objects.
enum StoredObject {
    /// `/registry/pods/default/web`, `/registry/apps/deployments/default/web`, `/registry/nodes/n1`.
    static func key(_ info: ResourceInfo, namespace: String?, name: String) -> String {
        prefix(info, namespace: namespace) + name
    }

    /// The key prefix of a collection (all namespaces when `namespace` is nil).
    static func prefix(_ info: ResourceInfo, namespace: String?) -> String {
        let root = info.group.isEmpty ? "/registry/\(info.plural)/" : "/registry/\(info.group)/\(info.plural)/"
        if info.namespaced, let namespace { return root + namespace + "/" }
        return root
    }

    /// Every object of a kind (in `namespace`, or all of them when nil), decoded without managed fields; what does not
    /// decode is skipped. For admission plugins reading the few objects of a small kind (PriorityClasses,
    /// StorageClasses, IngressClasses) straight from the store.
    static func all<K: KubeObject>(_ kind: K.Type, namespace: String? = nil, in store: any Store) async throws -> [K] {
        let page = try await store.list(prefix: prefix(K.resource, namespace: namespace), startAfter: nil, limit: 0, revision: nil)
        return page.items.compactMap { try? KubeJSON.decode(K.self, from: $0.value, omittingManagedFields: true) }
    }

    /// Encodes an object for storage (resourceVersion removed, apiVersion/kind set).
    static func encode<K: KubeObject>(_ object: K) throws -> Data {
        var copy = object
        copy.metadata.resourceVersion = nil
        copy.setTypeMeta()
        return try KubeJSON.encode(copy)
    }

    /// Encodes an object given as its JSON value (`KubeJSON.value(of:)` of the object, with apiVersion and kind) for
    /// storage: the same document as `encode(_:)` of the typed object, printed from the value instead of encoding
    /// the object again.
    static func encode(value: JSONValue) -> Data {
        var copy = value
        copy["metadata"]?["resourceVersion"] = nil
        return copy.serialized()
    }

    /// Inserts `"resourceVersion":"rv"` as the first member of the top-level `metadata` object.
    /// A single scan that skips strings and nested values; the bytes are our own encoding, so `metadata` exists.
    static func withResourceVersion(_ data: Data, _ revision: Int64) -> Data {
        let bytes = [UInt8](data)
        guard let insertAt = metadataBodyOffset(bytes) else { return data }
        var out = Data(capacity: bytes.count + 32)
        out.append(contentsOf: bytes[..<insertAt])
        out.append(contentsOf: Array("\"resourceVersion\":\"\(revision)\"".utf8))
        if bytes[insertAt] != UInt8(ascii: "}") { out.append(UInt8(ascii: ",")) }
        out.append(contentsOf: bytes[insertAt...])
        return out
    }

    /// The offset just after `"metadata":{` at depth 1, or nil.
    private static func metadataBodyOffset(_ b: [UInt8]) -> Int? {
        let key = Array("\"metadata\"".utf8)
        var depth = 0
        var i = 0
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "\""):
                if depth == 1, b.count - i >= key.count, Array(b[i..<i + key.count]) == key {
                    var j = i + key.count
                    while j < b.count, b[j] == UInt8(ascii: " ") || b[j] == UInt8(ascii: ":") { j += 1 }
                    if j < b.count, b[j] == UInt8(ascii: "{") { return j + 1 }
                }
                i += 1
                while i < b.count, b[i] != UInt8(ascii: "\"") {
                    if b[i] == UInt8(ascii: "\\") { i += 1 }
                    i += 1
                }
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
            i += 1
        }
        return nil
    }

    /// Paths present in `input` but absent from `known` (the typed round trip), in upstream's form
    /// (`spec.containers[0].foo`). Explicit nulls are not reported: a null says nothing about the schema.
    static func unknownFields(input: JSONValue, known: JSONValue?, path: String = "") -> [String] {
        switch input {
        case .object(let members):
            let knownMembers = known?.objectValue ?? [:]
            var result: [String] = []
            for key in members.keys.sorted() {
                let value = members[key]!
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                if case .null = value { continue }
                guard let knownValue = knownMembers[key] else {
                    result.append(childPath)
                    continue
                }
                result += unknownFields(input: value, known: knownValue, path: childPath)
            }
            return result
        case .array(let items):
            let knownItems = known?.arrayValue ?? []
            var result: [String] = []
            for (i, item) in items.enumerated() where i < knownItems.count {
                result += unknownFields(input: item, known: knownItems[i], path: "\(path)[\(i)]")
            }
            return result
        default:
            return []
        }
    }
}

import Foundation
import KubeAPI

/// An RFC 6902 JSON patch (`application/json-patch+json`): an ordered list of `add`, `remove`, `replace`,
/// `move`, `copy` and `test` operations.
///
/// Semantics and error texts follow evanphx/json-patch v4, which the API server uses, including its
/// leniencies: `replace` of a missing object member adds it, negative array indices count from the end,
/// and `copy` from a missing member copies `null`.
///
/// ```swift
/// let patch = try JSONPatch(decoding: Data(#"[{"op":"replace","path":"/spec/replicas","value":3}]"#.utf8))
/// let scaled = try patch.apply(to: deployment)
/// ```
public struct JSONPatch: Sendable, Hashable {
    /// The operations, each a JSON object with `op`, `path` and, as the operation needs, `value` or `from`.
    public var operations: [JSONValue]

    public init(operations: [JSONValue]) { self.operations = operations }

    /// Decodes a patch document; anything but an array of objects is a 400, as upstream's decoder answers.
    public init(decoding data: Data) throws(PatchError) {
        let document: JSONValue
        do { document = try JSONValue(parsing: data) } catch {
            throw PatchError(.badRequest, "\(error)")
        }
        guard case .array(let items) = document else {
            throw PatchError(.badRequest, "json: cannot unmarshal \(document.typeName) into Go value of type jsonpatch.Patch")
        }
        for item in items where item.objectValue == nil {
            throw PatchError(.badRequest, "json: cannot unmarshal \(item.typeName) into Go value of type jsonpatch.Operation")
        }
        operations = items
    }

    /// Applies every operation in order; the first failure aborts the whole patch (422 Invalid).
    public func apply(to document: JSONValue) throws(PatchError) -> JSONValue {
        var doc = document
        for operation in operations {
            let op = operation.objectValue ?? [:]
            switch op["op"]?.stringValue ?? "unknown" {
            case "add": try Self.add(&doc, op)
            case "remove": try Self.remove(&doc, op)
            case "replace": try Self.replace(&doc, op)
            case "move": try Self.move(&doc, op)
            case "test": try Self.test(doc, op)
            case "copy": try Self.copy(&doc, op)
            case let kind: throw PatchError(.invalid, "Unexpected kind: \(kind)")
            }
        }
        return doc
    }
}

extension JSONPatch {
    typealias Operation = [String: JSONValue]

    static func fail(_ message: String) -> PatchError { PatchError(.invalid, message) }

    static func add(_ doc: inout JSONValue, _ op: Operation) throws(PatchError) {
        guard let path = op["path"]?.stringValue else { throw fail("add operation failed to decode path: missing value") }
        let value = op["value"] ?? .null
        let done: Void? = try at(&doc, path) { (container: inout JSONValue, key: String) throws(PatchError) in
            do throws(PatchError) { try container.patchAdd(key, value) } catch {
                throw fail("error in add for path: '\(path)': \(error.message)")
            }
        }
        guard done != nil else { throw fail("add operation does not apply: doc is missing path: \"\(path)\": missing value") }
    }

    static func remove(_ doc: inout JSONValue, _ op: Operation) throws(PatchError) {
        guard let path = op["path"]?.stringValue else { throw fail("remove operation failed to decode path: missing value") }
        let done: Void? = try at(&doc, path) { (container: inout JSONValue, key: String) throws(PatchError) in
            do throws(PatchError) { try container.patchRemove(key) } catch {
                throw fail("error in remove for path: '\(path)': \(error.message)")
            }
        }
        guard done != nil else { throw fail("remove operation does not apply: doc is missing path: \"\(path)\": missing value") }
    }

    static func replace(_ doc: inout JSONValue, _ op: Operation) throws(PatchError) {
        guard let path = op["path"]?.stringValue else {
            throw fail("replace operation failed to decode path: operation missing path field: missing value")
        }
        let value = op["value"] ?? .null
        if path.isEmpty {
            guard value.objectValue != nil || value.arrayValue != nil else {
                throw fail("replace operation value must be object or array: %!w(<nil>)")  // upstream wraps a nil error
            }
            doc = value
            return
        }
        let done: Void? = try at(&doc, path) { (container: inout JSONValue, key: String) throws(PatchError) in
            do throws(PatchError) { _ = try container.patchGet(key) } catch {
                throw fail("replace operation does not apply: doc is missing key: \(path): missing value")
            }
            try container.patchSet(key, value)
        }
        guard done != nil else { throw fail("replace operation does not apply: doc is missing path: \(path): missing value") }
    }

    static func move(_ doc: inout JSONValue, _ op: Operation) throws(PatchError) {
        guard let from = op["from"]?.stringValue else {
            throw fail("move operation failed to decode from: operation, missing from field: missing value")
        }
        let moved: JSONValue?? = try at(&doc, from) { (container: inout JSONValue, key: String) throws(PatchError) -> JSONValue? in
            do throws(PatchError) {
                let value = try container.patchGet(key)
                try container.patchRemove(key)
                return value
            } catch {
                throw fail("error in move for path: '\(key)': \(error.message)")
            }
        }
        guard let moved else { throw fail("move operation does not apply: doc is missing from path: \(from): missing value") }
        guard let path = op["path"]?.stringValue else {
            throw fail("move operation failed to decode path: operation missing path field: missing value")
        }
        let done: Void? = try at(&doc, path) { (container: inout JSONValue, key: String) throws(PatchError) in
            do throws(PatchError) { try container.patchAdd(key, moved ?? .null) } catch {
                throw fail("error in move for path: '\(path)': \(error.message)")
            }
        }
        guard done != nil else {
            throw fail("move operation does not apply: doc is missing destination path: \(path): missing value")
        }
    }

    static func test(_ doc: JSONValue, _ op: Operation) throws(PatchError) {
        guard let path = op["path"]?.stringValue else {
            throw fail("test operation failed to decode path: operation missing path field: missing value")
        }
        let failed = fail("testing value \(path) failed: test failed")
        if path.isEmpty {
            guard let expected = op["value"], doc.semanticallyEquals(expected) else { throw failed }
            return
        }
        var copy = doc
        let found: JSONValue?? = try at(&copy, path) { (container: inout JSONValue, key: String) throws(PatchError) -> JSONValue? in
            do throws(PatchError) { return try container.patchGet(key) } catch {
                throw fail("error in test for path: '\(path)': \(error.message)")
            }
        }
        guard let found else { throw fail("test operation does not apply: is missing path: \(path): missing value") }
        // Upstream holds JSON null and a missing member alike as "no node".
        let actual = found ?? .null
        guard let expected = op["value"] else {
            if actual.isNull { return }
            throw failed
        }
        guard actual.semanticallyEquals(expected) else { throw failed }
    }

    static func copy(_ doc: inout JSONValue, _ op: Operation) throws(PatchError) {
        guard let from = op["from"]?.stringValue else {
            throw fail("copy operation failed to decode from: operation, missing from field: missing value")
        }
        let source: JSONValue?? = try at(&doc, from) { (container: inout JSONValue, key: String) throws(PatchError) -> JSONValue? in
            do throws(PatchError) { return try container.patchGet(key) } catch {
                throw fail("error in copy for from: '\(from)': \(error.message)")
            }
        }
        guard let source else { throw fail("copy operation does not apply: doc is missing from path: \(from): missing value") }
        guard let path = op["path"]?.stringValue else { throw fail("copy operation failed to decode path: missing value") }
        let done: Void? = try at(&doc, path) { (container: inout JSONValue, key: String) throws(PatchError) in
            do throws(PatchError) { try container.patchAdd(key, source ?? .null) } catch {
                throw fail("error while adding value during copy: \(error.message)")
            }
        }
        guard done != nil else {
            throw fail("copy operation does not apply: doc is missing destination path: \(path): missing value")
        }
    }

    /// Runs `body` with the container of `path` and the path's last token; `nil` if the container is missing.
    static func at<R>(
        _ doc: inout JSONValue, _ path: String, _ body: (inout JSONValue, String) throws(PatchError) -> R
    ) throws(PatchError) -> R? {
        guard let pointer = JSONPointer(path), let key = pointer.tokens.last else { return nil }
        return try doc.withPatchContainer(pointer.tokens.dropLast()[...]) { (container: inout JSONValue) throws(PatchError) in
            try body(&container, key)
        }
    }
}

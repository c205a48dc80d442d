import Foundation
import KubeAPI
import KubePatch

/// Records an ordinary write (create, update, patch) in `metadata.managedFields` as an `Update` entry of the
/// writing manager that owns the fields the write changed, through KubePatch's `FieldManager`.
struct ManagedFieldsUpdate: Sendable {
    var manager: String
    var subresource: String?

    /// `oldValue` is `old` as a JSON value when the caller has it already: parsed from the stored bytes, which are
    /// what encoding `old` again would give (the store keeps each object as the server encoded it).
    ///
    /// Returns `object` as a JSON value with its new managedFields, apiVersion and kind — what `KubeJSON.value(of:)`
    /// gives for the updated object — so that the caller can store it (`StoredObject.encode(value:)`) without
    /// encoding the object once more.
    @discardableResult
    func record<K: KubeObject>(on object: inout K, old: K?, oldValue: JSONValue? = nil) throws -> JSONValue {
        let newValue = try Self.value(of: object)
        let oldValue = try oldValue ?? old.map(Self.value(of:))
        let updated = try Patching.status(for: K.resource) {
            try FieldManager(kind: K.resource.kind, subresource: subresource ?? "")
                .update(from: oldValue, to: newValue, manager: manager, apiVersion: K.resource.groupVersion, now: Date())
        }
        object.metadata.managedFields = try updated[path: ["metadata", "managedFields"]].map { entries in
            try (entries.arrayValue ?? []).map(ManagedFieldsEntry.init(json:))
        }
        return updated
    }

    /// The object as `FieldManager` reads it, with its apiVersion and kind; the managedFields entries are put in as
    /// JSON values directly — encoding their field tries and parsing them back was most of the cost of a write.
    private static func value<K: KubeObject>(of object: K) throws -> JSONValue {
        var withoutEntries = object
        withoutEntries.metadata.managedFields = nil
        var value = try KubeJSON.value(of: withoutEntries)
        value["apiVersion"] = .string(K.resource.groupVersion)
        value["kind"] = .string(K.resource.kind)
        if let entries = object.metadata.managedFields {
            value["metadata"]?["managedFields"] = .array(entries.map(\.jsonValue))
        }
        return value
    }
}

import Foundation
import KubeAPI
import KubePatch

/// Records an ordinary write (create, update, patch) in `metadata.managedFields` as an `Update` entry of the
/// writing manager that owns the fields the write changed, through KubePatch's `FieldManager`.
struct ManagedFieldsUpdate: Sendable {
    var manager: String
    var subresource: String?

    func record<K: KubeObject>(on object: inout K, old: K?) throws {
        var newValue = try KubeJSON.value(of: object)
        newValue["apiVersion"] = .string(K.resource.groupVersion)
        newValue["kind"] = .string(K.resource.kind)
        let oldValue = try old.map { old -> JSONValue in
            var value = try KubeJSON.value(of: old)
            value["apiVersion"] = .string(K.resource.groupVersion)
            value["kind"] = .string(K.resource.kind)
            return value
        }
        let updated = try Patching.status(for: K.resource) {
            try FieldManager(kind: K.resource.kind, subresource: subresource ?? "")
                .update(from: oldValue, to: newValue, manager: manager, apiVersion: K.resource.groupVersion, now: Date())
        }
        let entries = updated[path: ["metadata", "managedFields"]]
        object.metadata.managedFields = try entries.map { try KubeJSON.decode([ManagedFieldsEntry].self, from: $0) }
    }
}

import Foundation
import KubeAPI

/// Tracks field ownership in `metadata.managedFields` and implements server-side apply, following
/// apimachinery's `pkg/util/managedfields` over structured-merge-diff.
///
/// - ``apply(_:to:manager:apiVersion:force:now:)`` merges an applied configuration (`application/apply-patch+yaml`)
///   into the live object, removes fields the manager applied before but no longer does (unless someone else
///   owns them), and fails with 409 on fields other managers own with a different value unless `force`.
/// - ``update(from:to:manager:apiVersion:now:)`` records any other write (create, update, JSON/merge/strategic
///   patch): the manager's `Update` entry gains the fields the write changed, which other managers lose.
///
/// Never owned: `apiVersion`, `kind`, the server-set metadata (`name`, `namespace`, `uid`, `resourceVersion`,
/// `generation`, `creationTimestamp`, `managedFields`, …), and `status` for the main resource or `spec` for
/// the status subresource.
public struct FieldManager: Sendable {
    public var rules: MergeKeys
    /// `""` for the main resource, `status` for the status subresource.
    public var subresource: String

    public init(rules: MergeKeys, subresource: String = "") {
        self.rules = rules
        self.subresource = subresource
    }

    /// The field manager for `kind` with ``MergeKeys/forKind(_:)``.
    public init(kind: String, subresource: String = "") {
        self.init(rules: .forKind(kind), subresource: subresource)
    }

    /// Server-side apply of `configuration` by `manager`; `live` is `nil` when the apply creates the object.
    /// Returns the new object with its `managedFields` updated.
    public func apply(
        _ configuration: JSONValue, to live: JSONValue?, manager: String, apiVersion: String, force: Bool, now: Date
    ) throws(PatchError) -> JSONValue {
        guard case .object = configuration else { throw PatchError(.badRequest, "apply configuration must be an object") }
        let patchVersion = configuration["apiVersion"]?.stringValue ?? ""
        guard patchVersion == apiVersion else {
            throw PatchError(.badRequest, "Incorrect version specified in apply patch. "
                + "Specified patch version: \(patchVersion), expected: \(apiVersion)")
        }
        if configuration[path: ["metadata", "managedFields"]] != nil {
            throw PatchError(.badRequest, "metadata.managedFields must be nil")
        }
        let liveObject = (live ?? [:]).withoutManagedFields
        let before = try Self.decode(live?[path: ["metadata", "managedFields"]])
        var managers = before
        let id = ManagerEntry.Identity(manager: manager, operation: .apply, apiVersion: "", subresource: subresource)

        var merged = try ApplyMerge(rules: rules).merge(liveObject, configuration, at: [], rulePath: []) ?? [:]
        merged = merged.droppingNullMembers
        let lastSet = managers[id]?.fields
        let applied = try owned(FieldSet(of: configuration, rules: rules))
        managers[id] = ManagerEntry(manager: manager, operation: .apply, apiVersion: apiVersion,
                                          time: managers[id]?.time, fields: applied, subresource: subresource)
        if let lastSet {
            let everyone = managers.values.reduce(FieldSet()) { $0.union($1.fields) }
            let stale = lastSet.paths.filter { !everyone.containsPrefix($0) }
            merged = merged.removingFields(FieldSet(stale), rules: rules)
        }
        let conflicts = try transferOwnership(&managers, from: liveObject, to: merged, except: id)
        if !conflicts.isEmpty && !force { throw Self.conflictError(conflicts) }

        if merged == liveObject && managers == before, let live { return live }
        managers[id]?.time = Self.timestamp(now)
        return merged.withManagedFields(managers)
    }

    /// Records a non-apply write of `new` (over `live`, `nil` on create) by `manager`. If `new` carries its own
    /// non-empty `managedFields` they replace the live ones (`[{}]` clears them), as upstream allows.
    public func update(from live: JSONValue?, to new: JSONValue, manager: String, apiVersion: String, now: Date) throws(PatchError) -> JSONValue {
        let requested = new[path: ["metadata", "managedFields"]]?.arrayValue ?? []
        var managers: [ManagerEntry.Identity: ManagerEntry]
        if requested == [[:]] {
            managers = [:]
        } else if !requested.isEmpty {
            managers = try Self.decode(.array(requested))
        } else {
            managers = try Self.decode(live?[path: ["metadata", "managedFields"]])
        }
        let liveObject = (live ?? [:]).withoutManagedFields
        let newObject = new.withoutManagedFields
        let comparison = try compare(liveObject, newObject)
        _ = try transferOwnership(&managers, comparison: comparison, except: nil)

        let changed = owned(comparison.modified.union(comparison.added))
        if !changed.isEmpty {
            let id = ManagerEntry.Identity(manager: manager, operation: .update, apiVersion: apiVersion, subresource: subresource)
            let previous = managers[id]?.fields ?? FieldSet()
            managers[id] = ManagerEntry(manager: manager, operation: .update, apiVersion: apiVersion,
                                              time: Self.timestamp(now), fields: previous.union(changed), subresource: subresource)
        }
        return newObject.withManagedFields(managers)
    }
}

extension FieldManager {
    /// The manager a write is recorded under: the request's `fieldManager`, else the user agent up to its
    /// first `/` (`kubectl/v1.32.0 (linux/amd64) …` → `kubectl`), as the API server derives it.
    public static func managerName(fieldManager: String?, userAgent: String) -> String {
        if let fieldManager, !fieldManager.isEmpty { return fieldManager }
        return String(userAgent.prefix { $0 != "/" })
    }
}

extension FieldManager {
    typealias Managers = [ManagerEntry.Identity: ManagerEntry]

    /// Paths no manager owns upstream (stripMeta): dropped from every set a write records.
    static let neverOwned = FieldSet([
        [.field("apiVersion")], [.field("kind")], [.field("metadata")],
        [.field("metadata"), .field("name")], [.field("metadata"), .field("namespace")],
        [.field("metadata"), .field("creationTimestamp")], [.field("metadata"), .field("selfLink")],
        [.field("metadata"), .field("uid")], [.field("metadata"), .field("clusterName")],
        [.field("metadata"), .field("generation")], [.field("metadata"), .field("managedFields")],
        [.field("metadata"), .field("resourceVersion")],
    ])

    /// The top-level field whose subtree the endpoint resets (`status` for the main resource, `spec` for `/status`).
    var ignoredField: String { subresource == "status" ? "spec" : "status" }

    /// The subtree the endpoint resets.
    var ignored: FieldSet { FieldSet([[.field(ignoredField)]]) }

    /// What a write may own: not the reset subtree, not the server-set metadata.
    func owned(_ set: FieldSet) -> FieldSet { set.excludingSubtrees(of: ignored).subtracting(Self.neverOwned) }

    /// The fields `new` added, modified and removed against `old`, outside the reset subtree. That subtree is left out
    /// of the walk, not only of its result: a status write never compares the spec (a pod's largest part) field by
    /// field, nor a spec write the status.
    func compare(_ old: JSONValue, _ new: JSONValue) throws(PatchError) -> ObjectComparison {
        // Neither side has the subtree now (its zero value, if any, is added to both alike): nothing under it differs.
        try ObjectComparison(old: old.removingMember(ignoredField).withZeroValues, new: new.removingMember(ignoredField).withZeroValues,
                             rules: rules)
    }

    func transferOwnership(
        _ managers: inout Managers, from old: JSONValue, to new: JSONValue, except id: ManagerEntry.Identity?
    ) throws(PatchError) -> [(ManagerEntry.Identity, FieldSet)] {
        try transferOwnership(&managers, comparison: compare(old, new), except: id)
    }

    /// structured-merge-diff `Updater.update`: every other manager loses the fields this write changed (those are
    /// the conflicts, returned sorted by manager) and the fields it removed; empty managers disappear.
    func transferOwnership(
        _ managers: inout Managers, comparison: ObjectComparison, except id: ManagerEntry.Identity?
    ) throws(PatchError) -> [(ManagerEntry.Identity, FieldSet)] {
        let changed = comparison.modified.union(comparison.added)
        var conflicts = [(ManagerEntry.Identity, FieldSet)]()
        for (other, entry) in managers where other != id {
            let conflict = entry.fields.intersection(changed)
            if !conflict.isEmpty { conflicts.append((other, conflict)) }
            let remaining = entry.fields.subtracting(conflict).subtracting(comparison.removed)
            if remaining.isEmpty { managers[other] = nil } else { managers[other]?.fields = remaining }
        }
        return conflicts.sorted { $0.0.manager < $1.0.manager || ($0.0.manager == $1.0.manager && $0.0.display < $1.0.display) }
    }

    static func decode(_ value: JSONValue?) throws(PatchError) -> Managers {
        var out = Managers()
        for item in value?.arrayValue ?? [] {
            let entry = try ManagerEntry(json: item)
            out[entry.identity] = entry
        }
        return out
    }

    static func timestamp(_ date: Date) -> String { date.formatted(.iso8601) }
}

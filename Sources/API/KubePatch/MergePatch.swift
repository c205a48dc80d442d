import KubeAPI

/// RFC 7386 JSON merge patch (`application/merge-patch+json`): `null` deletes a member, objects merge
/// recursively, anything else (arrays included) replaces.
///
/// Follows evanphx/json-patch v4 `MergePatch` as the API server runs it: members the patch adds have their
/// nested `null`s pruned, and an existing `null` member is treated as absent.
public enum MergePatch {
    /// Applies `patch` to `document`. A `null` or scalar patch is a 400 (`Invalid JSON Patch`).
    public static func apply(_ patch: JSONValue, to document: JSONValue) throws(PatchError) -> JSONValue {
        switch patch {
        case .object(let members):
            guard case .object(var target) = document else { return pruneNulls(patch) }
            merge(&target, members)
            return .object(target)
        case .array:
            return pruneNulls(patch)
        default:
            throw PatchError(.badRequest, "Invalid JSON Patch")
        }
    }

    /// The smallest merge patch turning `original` into `modified`: changed members, `null` for removed ones,
    /// nested objects diffed member by member, arrays and scalars replaced whole.
    public static func createMergePatch(original: JSONValue, modified: JSONValue) -> JSONValue {
        guard case .object(let a) = original, case .object(let b) = modified else { return modified }
        return .object(diff(a, b))
    }

    static func merge(_ target: inout [String: JSONValue], _ patch: [String: JSONValue]) {
        for (key, value) in patch {
            if value.isNull { target[key] = nil; continue }
            guard let current = target[key], !current.isNull else {
                target[key] = pruneNulls(value)
                continue
            }
            target[key] = mergeValue(current, value)
        }
    }

    static func mergeValue(_ current: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(var target) = current else { return pruneNulls(patch) }
        guard case .object(let members) = patch else { return patch }
        merge(&target, members)
        return .object(target)
    }

    /// Drops `null` members of objects, at any depth (array elements themselves are kept).
    static func pruneNulls(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): return .object(members.filter { !$0.value.isNull }.mapValues(pruneNulls))
        case .array(let items): return .array(items.map(pruneNulls))
        default: return value
        }
    }

    static func diff(_ a: [String: JSONValue], _ b: [String: JSONValue]) -> [String: JSONValue] {
        var patch = [String: JSONValue]()
        for (key, new) in b {
            guard let old = a[key] else { patch[key] = new; continue }
            if case .object(let oldMembers) = old, case .object(let newMembers) = new {
                let nested = diff(oldMembers, newMembers)
                if !nested.isEmpty { patch[key] = .object(nested) }
            } else if !old.semanticallyEquals(new) {
                patch[key] = new
            }
        }
        for key in a.keys where b[key] == nil { patch[key] = .null }
        return patch
    }
}

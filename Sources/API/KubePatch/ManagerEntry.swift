import KubeAPI

/// One `metadata.managedFields` entry decoded for ownership tracking: which manager owns which fields,
/// through which operation. (KubeAPI's `ManagedFieldsEntry` is the wire type; this one holds a parsed ``FieldSet``.)
struct ManagerEntry: Sendable, Hashable {
    /// `Apply` for server-side apply, `Update` for every other write.
    enum Operation: String, Sendable, Hashable {
        case apply = "Apply"
        case update = "Update"
    }

    var manager: String
    var operation: Operation
    var apiVersion: String
    /// RFC 3339 time of the manager's last change; `nil` if unknown.
    var time: String?
    var fields: FieldSet
    /// `""` for the main resource, else e.g. `status`.
    var subresource: String

    init(manager: String, operation: Operation, apiVersion: String, time: String?, fields: FieldSet, subresource: String = "") {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
        self.fields = fields
        self.subresource = subresource
    }

    /// Decodes an entry as it appears in an object.
    init(json: JSONValue) throws(PatchError) {
        guard case .object(let o) = json else { throw PatchError(.badRequest, "managedFields entries must be objects") }
        guard let operation = Operation(rawValue: o["operation"]?.stringValue ?? "") else {
            throw PatchError(.badRequest, "invalid managedFields operation: \(o["operation"]?.goDescription ?? "")")
        }
        if let type = o["fieldsType"]?.stringValue, type != "FieldsV1" {
            throw PatchError(.badRequest, "invalid fieldsType: \"\(type)\"")
        }
        self.init(
            manager: o["manager"]?.stringValue ?? "", operation: operation, apiVersion: o["apiVersion"]?.stringValue ?? "",
            time: o["time"]?.stringValue, fields: try o["fieldsV1"].map { v throws(PatchError) in try FieldSet(fieldsV1: v) } ?? FieldSet(),
            subresource: o["subresource"]?.stringValue ?? "")
    }

    /// The entry as it appears in an object.
    var json: JSONValue {
        var o: [String: JSONValue] = [
            "manager": .string(manager), "operation": .string(operation.rawValue), "apiVersion": .string(apiVersion),
            "fieldsType": "FieldsV1", "fieldsV1": fields.fieldsV1,
        ]
        if let time { o["time"] = .string(time) }
        if !subresource.isEmpty { o["subresource"] = .string(subresource) }
        return .object(o)
    }

    /// Who the entry belongs to: appliers are one identity across API versions, updaters one per version.
    var identity: Identity {
        Identity(manager: manager, operation: operation, apiVersion: operation == .apply ? "" : apiVersion, subresource: subresource)
    }

    struct Identity: Hashable {
        var manager: String
        var operation: Operation
        var apiVersion: String
        var subresource: String

        /// Upstream's `printManager`: `"kubectl"`, `"kube-controller-manager" with subresource "status" using apps/v1`.
        var display: String {
            var s = "\"\(manager)\""
            if !subresource.isEmpty { s += " with subresource \"\(subresource)\"" }
            if operation == .update { s += " using \(apiVersion)" }
            return s
        }
    }

    /// Upstream's `sortEncodedManagedFields` order.
    static func ordered(_ a: ManagerEntry, _ b: ManagerEntry) -> Bool {
        if a.operation != b.operation { return a.operation.rawValue < b.operation.rawValue }
        if (a.time ?? "") != (b.time ?? "") { return (a.time ?? "") < (b.time ?? "") }
        if a.manager != b.manager { return a.manager < b.manager }
        if a.apiVersion != b.apiVersion { return a.apiVersion < b.apiVersion }
        return a.subresource < b.subresource
    }
}

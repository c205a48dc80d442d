import Foundation

/// Query options of LIST and WATCH: selectors, page size and the resourceVersion to read at.
public struct ListOptions: Sendable, Hashable {
    /// Label selector in query-string form (`app=web,tier!=cache`); `LabelSelectorExpression.description` gives it.
    public var labelSelector: String?
    /// Field selector (`spec.nodeName=node-1`).
    public var fieldSelector: String?
    /// Page size for LIST; `KubeClient.list` follows `continue` tokens until the end.
    public var limit: Int?
    /// `resourceVersion` semantics of upstream: unset = most recent, `"0"` = any (cache), a number = at least that.
    public var resourceVersion: String?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil,
                resourceVersion: String? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.resourceVersion = resourceVersion
    }

    /// The selector query items shared by LIST and WATCH.
    var selectorQuery: [(String, String)] {
        var query: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { query.append(("fieldSelector", fieldSelector)) }
        return query
    }
}

/// meta/v1 `DeleteOptions`: the body of a DELETE.
public struct DeleteOptions: Codable, Sendable, Hashable {
    /// How dependents are garbage-collected.
    public enum PropagationPolicy: String, Codable, Sendable, Hashable {
        /// Dependents are left in place, their owner references removed.
        case orphan = "Orphan"
        /// The owner goes at once; the garbage collector deletes dependents afterwards.
        case background = "Background"
        /// The owner stays (with a `foregroundDeletion` finalizer) until its blocking dependents are gone.
        case foreground = "Foreground"
    }

    /// Conditions the object must still meet for the delete to happen (otherwise 409 Conflict).
    public struct Preconditions: Codable, Sendable, Hashable {
        public var uid: String?
        public var resourceVersion: String?
        public init(uid: String? = nil, resourceVersion: String? = nil) {
            self.uid = uid
            self.resourceVersion = resourceVersion
        }
    }

    public var apiVersion = "v1"
    public var kind = "DeleteOptions"
    /// Seconds before a pod is force-killed; `0` deletes at once.
    public var gracePeriodSeconds: Int64?
    public var propagationPolicy: PropagationPolicy?
    public var preconditions: Preconditions?
    /// `["All"]` to validate without persisting.
    public var dryRun: [String]?

    public init(gracePeriodSeconds: Int64? = nil, propagationPolicy: PropagationPolicy? = nil,
                preconditions: Preconditions? = nil, dryRun: [String]? = nil) {
        self.gracePeriodSeconds = gracePeriodSeconds
        self.propagationPolicy = propagationPolicy
        self.preconditions = preconditions
        self.dryRun = dryRun
    }
}

/// The patch formats of PATCH, by content type.
public enum PatchType: String, Sendable, Hashable {
    /// RFC 7386 JSON merge patch.
    case merge = "application/merge-patch+json"
    /// Kubernetes strategic merge patch (lists merged by their patch merge keys).
    case strategicMerge = "application/strategic-merge-patch+json"
    /// RFC 6902 JSON patch (a list of operations).
    case json = "application/json-patch+json"
    /// Server-side apply: the body is the caller's intent; needs a field manager.
    case apply = "application/apply-patch+yaml"
}

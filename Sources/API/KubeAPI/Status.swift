import Foundation

/// meta/v1 `Status`: the body of every API error (and of some successful deletes).
///
/// `reason` and `code` follow upstream (`NotFound`/404, `AlreadyExists`/409, `Conflict`/409, `Invalid`/422,
/// `BadRequest`/400, `Gone`/410 with reason `Expired`, …) because clients branch on them.
public struct Status: Codable, Sendable, Hashable, Error {
    public var apiVersion: String? = "v1"
    public var kind: String? = "Status"
    public var metadata: ListMeta? = ListMeta()
    /// `Success` or `Failure`.
    public var status: String?
    public var message: String?
    public var reason: String?
    public var details: StatusDetails?
    public var code: Int?

    public init(status: String? = "Failure", message: String? = nil, reason: String? = nil,
                details: StatusDetails? = nil, code: Int? = nil) {
        self.status = status
        self.message = message
        self.reason = reason
        self.details = details
        self.code = code
    }
}

/// meta/v1 `StatusDetails`: which object an error is about and the field-level causes.
public struct StatusDetails: Codable, Sendable, Hashable {
    public var name: String?
    public var group: String?
    public var kind: String?
    public var uid: String?
    public var causes: [StatusCause]?
    public var retryAfterSeconds: Int?

    public init(name: String? = nil, group: String? = nil, kind: String? = nil, uid: String? = nil,
                causes: [StatusCause]? = nil, retryAfterSeconds: Int? = nil) {
        self.name = name
        self.group = group
        self.kind = kind
        self.uid = uid
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// meta/v1 `StatusCause`: one reason an object was rejected, with the field path (`spec.containers[0].name`).
public struct StatusCause: Codable, Sendable, Hashable {
    /// `FieldValueRequired`, `FieldValueInvalid`, `FieldValueDuplicate`, `FieldValueNotSupported`, `FieldValueForbidden`, …
    public var reason: String?
    public var message: String?
    public var field: String?

    public init(reason: String? = nil, message: String? = nil, field: String? = nil) {
        self.reason = reason
        self.message = message
        self.field = field
    }
}

extension Status {
    /// The resource named as upstream names it in messages: `pods` or `deployments.apps`.
    static func qualified(_ resource: ResourceInfo) -> String {
        resource.group.isEmpty ? resource.plural : "\(resource.plural).\(resource.group)"
    }

    /// 404: `pods "web" not found`.
    public static func notFound(_ resource: ResourceInfo, name: String) -> Status {
        Status(message: "\(qualified(resource)) \"\(name)\" not found", reason: "NotFound",
               details: StatusDetails(name: name, group: resource.group, kind: resource.plural), code: 404)
    }

    /// 409: `pods "web" already exists`.
    public static func alreadyExists(_ resource: ResourceInfo, name: String) -> Status {
        Status(message: "\(qualified(resource)) \"\(name)\" already exists", reason: "AlreadyExists",
               details: StatusDetails(name: name, group: resource.group, kind: resource.plural), code: 409)
    }

    /// 409: a write based on a stale resourceVersion.
    public static func conflict(_ resource: ResourceInfo, name: String, message: String) -> Status {
        Status(message: "Operation cannot be fulfilled on \(qualified(resource)) \"\(name)\": \(message)",
               reason: "Conflict", details: StatusDetails(name: name, group: resource.group, kind: resource.plural),
               code: 409)
    }

    /// 422: `Pod "x" is invalid: spec.containers: Required value`. The message names a problem reported twice once, as
    /// upstream's `ErrorList.ToAggregate` does; the causes keep every report.
    public static func invalid(kind: String, group: String, name: String, causes: [StatusCause]) -> Status {
        var seen = Set<String>()
        let summary = causes.map { cause in
            [cause.field, cause.message].compactMap { $0 }.joined(separator: ": ")
        }.filter { seen.insert($0).inserted }
        let joined = summary.count == 1 ? summary[0] : "[" + summary.joined(separator: ", ") + "]"
        let qualifiedKind = group.isEmpty ? kind : "\(kind).\(group)"
        return Status(message: "\(qualifiedKind) \"\(name)\" is invalid: \(joined)", reason: "Invalid",
                      details: StatusDetails(name: name, group: group, kind: kind, causes: causes), code: 422)
    }

    /// 400 with reason `BadRequest`.
    public static func badRequest(_ message: String) -> Status {
        Status(message: message, reason: "BadRequest", code: 400)
    }

    /// 410: the requested resourceVersion has been compacted.
    public static func gone(_ message: String) -> Status {
        Status(message: message, reason: "Expired", code: 410)
    }

    /// 405.
    public static func methodNotSupported(_ resource: ResourceInfo, verb: String) -> Status {
        Status(message: "\(verb) is not supported on resources of kind \"\(qualified(resource))\"",
               reason: "MethodNotAllowed", details: StatusDetails(group: resource.group, kind: resource.plural), code: 405)
    }

    /// 500.
    public static func internalError(_ message: String) -> Status {
        Status(message: "Internal error occurred: \(message)", reason: "InternalError",
               details: StatusDetails(causes: [StatusCause(message: message)]), code: 500)
    }

    /// 415.
    public static func unsupportedMediaType(_ contentType: String) -> Status {
        Status(message: "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
               reason: "UnsupportedMediaType", details: StatusDetails(causes: [StatusCause(reason: "UnexpectedServerResponse", message: contentType)]), code: 415)
    }

    /// 413.
    public static func requestEntityTooLarge(limit: Int) -> Status {
        Status(message: "Request entity too large: limit is \(limit)", reason: "RequestEntityTooLarge", code: 413)
    }
}

import Foundation

/// authentication.k8s.io/v1 `UserInfo`: who a request acts as.
public struct UserInfo: Codable, Sendable, Hashable {
    public var username: String?
    public var uid: String?
    public var groups: [String]?
    public var extra: [String: [String]]?

    public init(username: String? = nil, uid: String? = nil, groups: [String]? = nil, extra: [String: [String]]? = nil) {
        self.username = username
        self.uid = uid
        self.groups = groups
        self.extra = extra
    }
}

/// authentication.k8s.io/v1 `BoundObjectReference`: the Pod or Secret a token lives only as long as.
public struct BoundObjectReference: Codable, Sendable, Hashable {
    public var kind: String?
    public var apiVersion: String?
    public var name: String?
    public var uid: String?

    public init(kind: String? = nil, apiVersion: String? = nil, name: String? = nil, uid: String? = nil) {
        self.kind = kind
        self.apiVersion = apiVersion
        self.name = name
        self.uid = uid
    }
}

/// authentication.k8s.io/v1 `TokenRequest`: the body and answer of `serviceaccounts/{name}/token`.
public struct TokenRequest: Codable, Sendable, Hashable {
    public struct Spec: Codable, Sendable, Hashable {
        public var audiences: [String]?
        public var expirationSeconds: Int64?
        public var boundObjectRef: BoundObjectReference?

        public init(audiences: [String]? = nil, expirationSeconds: Int64? = nil, boundObjectRef: BoundObjectReference? = nil) {
            self.audiences = audiences
            self.expirationSeconds = expirationSeconds
            self.boundObjectRef = boundObjectRef
        }
    }

    public struct Status: Codable, Sendable, Hashable {
        public var token: String?
        public var expirationTimestamp: Time?

        public init(token: String? = nil, expirationTimestamp: Time? = nil) {
            self.token = token
            self.expirationTimestamp = expirationTimestamp
        }
    }

    public static let resource = ResourceInfo(group: "authentication.k8s.io", version: "v1", plural: "token", singular: "",
                                              kind: "TokenRequest", namespaced: true)
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta?
    public var spec: Spec?
    public var status: Status?

    public init(metadata: ObjectMeta? = nil, spec: Spec? = nil, status: Status? = nil) {
        apiVersion = Self.resource.groupVersion
        kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// authentication.k8s.io/v1 `TokenReview`: asks the API server who a bearer token belongs to.
public struct TokenReview: Codable, Sendable, Hashable {
    public struct Spec: Codable, Sendable, Hashable {
        public var token: String?
        public var audiences: [String]?
        public init(token: String? = nil, audiences: [String]? = nil) {
            self.token = token
            self.audiences = audiences
        }
    }

    public struct Status: Codable, Sendable, Hashable {
        public var authenticated: Bool?
        public var user: UserInfo?
        public var audiences: [String]?
        public var error: String?
        public init(authenticated: Bool? = nil, user: UserInfo? = nil, audiences: [String]? = nil, error: String? = nil) {
            self.authenticated = authenticated
            self.user = user
            self.audiences = audiences
            self.error = error
        }
    }

    public static let resource = ResourceInfo(group: "authentication.k8s.io", version: "v1", plural: "tokenreviews",
                                              singular: "tokenreview", kind: "TokenReview", namespaced: false)
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta?
    public var spec: Spec
    public var status: Status?

    public init(spec: Spec, status: Status? = nil) {
        apiVersion = Self.resource.groupVersion
        kind = Self.resource.kind
        metadata = ObjectMeta()
        self.spec = spec
        self.status = status
    }
}

/// authentication.k8s.io/v1 `SelfSubjectReview`: who the caller is (`kubectl auth whoami`).
public struct SelfSubjectReview: Codable, Sendable, Hashable {
    public struct Status: Codable, Sendable, Hashable {
        public var userInfo: UserInfo?
        public init(userInfo: UserInfo? = nil) { self.userInfo = userInfo }
    }

    public static let resource = ResourceInfo(group: "authentication.k8s.io", version: "v1", plural: "selfsubjectreviews",
                                              singular: "selfsubjectreview", kind: "SelfSubjectReview", namespaced: false)
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta?
    public var status: Status?

    public init(status: Status? = nil) {
        apiVersion = Self.resource.groupVersion
        kind = Self.resource.kind
        metadata = ObjectMeta()
        self.status = status
    }
}

/// authorization.k8s.io/v1 `ResourceAttributes`: a verb on a resource, as the authorizer sees a request.
public struct ResourceAttributes: Codable, Sendable, Hashable {
    public var namespace: String?
    public var verb: String?
    public var group: String?
    public var version: String?
    public var resource: String?
    public var subresource: String?
    public var name: String?

    public init(namespace: String? = nil, verb: String? = nil, group: String? = nil, version: String? = nil,
                resource: String? = nil, subresource: String? = nil, name: String? = nil) {
        self.namespace = namespace
        self.verb = verb
        self.group = group
        self.version = version
        self.resource = resource
        self.subresource = subresource
        self.name = name
    }
}

/// authorization.k8s.io/v1 `NonResourceAttributes`: a verb on a URL path (`/healthz`).
public struct NonResourceAttributes: Codable, Sendable, Hashable {
    public var path: String?
    public var verb: String?
    public init(path: String? = nil, verb: String? = nil) {
        self.path = path
        self.verb = verb
    }
}

/// authorization.k8s.io/v1 `SubjectAccessReviewSpec` (also the self form, where user and groups stay empty).
public struct SubjectAccessReviewSpec: Codable, Sendable, Hashable {
    public var resourceAttributes: ResourceAttributes?
    public var nonResourceAttributes: NonResourceAttributes?
    public var user: String?
    public var groups: [String]?
    public var extra: [String: [String]]?
    public var uid: String?

    public init(resourceAttributes: ResourceAttributes? = nil, nonResourceAttributes: NonResourceAttributes? = nil,
                user: String? = nil, groups: [String]? = nil, extra: [String: [String]]? = nil, uid: String? = nil) {
        self.resourceAttributes = resourceAttributes
        self.nonResourceAttributes = nonResourceAttributes
        self.user = user
        self.groups = groups
        self.extra = extra
        self.uid = uid
    }
}

/// authorization.k8s.io/v1 `SubjectAccessReviewStatus`.
public struct SubjectAccessReviewStatus: Codable, Sendable, Hashable {
    public var allowed: Bool
    public var denied: Bool?
    public var reason: String?
    public var evaluationError: String?

    public init(allowed: Bool, denied: Bool? = nil, reason: String? = nil, evaluationError: String? = nil) {
        self.allowed = allowed
        self.denied = denied
        self.reason = reason
        self.evaluationError = evaluationError
    }
}

/// authorization.k8s.io/v1 `SubjectAccessReview`, `SelfSubjectAccessReview` and `LocalSubjectAccessReview`: one
/// shape, told apart by `kind`.
public struct SubjectAccessReview: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta?
    public var spec: SubjectAccessReviewSpec
    public var status: SubjectAccessReviewStatus?

    public init(kind: String = "SubjectAccessReview", spec: SubjectAccessReviewSpec, status: SubjectAccessReviewStatus? = nil) {
        apiVersion = "authorization.k8s.io/v1"
        self.kind = kind
        metadata = ObjectMeta()
        self.spec = spec
        self.status = status
    }
}

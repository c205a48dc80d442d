import Foundation

/// core/v1 `ObjectReference`: points at any object (events' `involvedObject`, bindings' `target`, endpoint `targetRef`).
public struct ObjectReference: Codable, Sendable, Hashable {
    public var kind: String?
    public var namespace: String?
    public var name: String?
    public var uid: String?
    public var apiVersion: String?
    public var resourceVersion: String?
    /// A path into the object such as `spec.containers{web}`, for events about one container.
    public var fieldPath: String?

    public init(
        kind: String? = nil,
        namespace: String? = nil,
        name: String? = nil,
        uid: String? = nil,
        apiVersion: String? = nil,
        resourceVersion: String? = nil,
        fieldPath: String? = nil
    ) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.apiVersion = apiVersion
        self.resourceVersion = resourceVersion
        self.fieldPath = fieldPath
    }
}

/// core/v1 `LocalObjectReference`: an object in the same namespace, by name (image pull secrets, CSI secrets).
public struct LocalObjectReference: Codable, Sendable, Hashable {
    public var name: String?

    public init(name: String? = nil) {
        self.name = name
    }
}

/// core/v1 `TypedLocalObjectReference`: an object of any kind in the same namespace (an Ingress's resource backend).
public struct TypedLocalObjectReference: Codable, Sendable, Hashable {
    /// The group of the kind; nil for the core group.
    public var apiGroup: String?
    public var kind: String?
    public var name: String?

    public init(apiGroup: String? = nil, kind: String? = nil, name: String? = nil) {
        self.apiGroup = apiGroup
        self.kind = kind
        self.name = name
    }
}

import Foundation

/// A Kubernetes API object: a Codable value with `apiVersion`, `kind` and `metadata`.
///
/// Every kind Swiftlet serves conforms, which is what lets the API server, the client and the informers
/// handle kinds generically. `Resource` tells where the kind lives in the REST tree.
public protocol KubeObject: Codable, Sendable, Equatable {
    /// Where this kind lives in the API (`/api/v1/namespaces/{ns}/pods`).
    static var resource: ResourceInfo { get }
    var apiVersion: String? { get set }
    var kind: String? { get set }
    var metadata: ObjectMeta { get set }
}

extension KubeObject {
    /// Fills `apiVersion` and `kind` from the kind's `ResourceInfo` (the wire form always carries them).
    public mutating func setTypeMeta() {
        apiVersion = Self.resource.groupVersion
        kind = Self.resource.kind
    }
}

extension Sequence where Element: KubeObject {
    /// The most recently created object (ties: the first by name), as upstream's default-class admission plugins
    /// (DefaultStorageClass, DefaultIngressClass) choose among several classes marked default.
    public func newest() -> Element? {
        self.max { a, b in
            let ta = a.metadata.creationTimestamp?.date ?? .distantPast, tb = b.metadata.creationTimestamp?.date ?? .distantPast
            return ta != tb ? ta < tb : (a.metadata.name ?? "") > (b.metadata.name ?? "")
        }
    }
}

/// A list of a kind, as returned by LIST (`PodList`, `ServiceList`, …).
public struct ObjectList<Item: KubeObject>: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ListMeta
    public var items: [Item]

    public init(metadata: ListMeta = ListMeta(), items: [Item] = []) {
        self.apiVersion = Item.resource.groupVersion
        self.kind = Item.resource.kind + "List"
        self.metadata = metadata
        self.items = items
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, items }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ListMeta.self, forKey: .metadata) ?? ListMeta()
        items = try c.decodeIfPresent([Item].self, forKey: .items) ?? []
    }
}

/// Where a kind lives in the API and how it is named.
public struct ResourceInfo: Sendable, Hashable {
    /// API group; `""` for the core group.
    public var group: String
    public var version: String
    /// The plural resource name used in URLs (`pods`).
    public var plural: String
    /// The lower-case singular (`pod`), as discovery reports it.
    public var singular: String
    public var kind: String
    public var namespaced: Bool
    public var shortNames: [String]
    /// Categories for `kubectl get all` and friends.
    public var categories: [String]

    public init(group: String, version: String, plural: String, singular: String, kind: String,
                namespaced: Bool, shortNames: [String] = [], categories: [String] = []) {
        self.group = group
        self.version = version
        self.plural = plural
        self.singular = singular
        self.kind = kind
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.categories = categories
    }

    /// `v1` for the core group, `apps/v1` otherwise.
    public var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// The URL path of the collection: `/api/v1/namespaces/ns/pods` or `/apis/apps/v1/deployments`.
    public func collectionPath(namespace: String?) -> String {
        let root = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace { return "\(root)/namespaces/\(namespace)/\(plural)" }
        return "\(root)/\(plural)"
    }

    /// The URL path of one object.
    public func objectPath(namespace: String?, name: String) -> String {
        "\(collectionPath(namespace: namespace))/\(name)"
    }
}

/// JSON coding with the conventions of the Kubernetes wire format.
public enum KubeJSON {
    /// Encodes a value as compact JSON (no escaped slashes, keys sorted for stable output).
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// Decodes a value from JSON; with `omittingManagedFields` every `ObjectMeta` in it is left without
    /// `managedFields`.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, omittingManagedFields: Bool = false) throws -> T {
        let decoder = JSONDecoder()
        if omittingManagedFields { decoder.userInfo[omitManagedFields] = true }
        return try decoder.decode(type, from: data)
    }

    /// The `userInfo` key that tells `ObjectMeta`'s decoding to skip `managedFields`.
    public static let omitManagedFields = CodingUserInfoKey(rawValue: "io.swiftlet.omitManagedFields")!

    /// Converts a typed value to a `JSONValue`: what `encode` and `JSONValue(parsing:)` give, built directly without
    /// the JSON text in between (`JSONValueEncoder`).
    public static func value<T: Encodable>(of object: T) throws -> JSONValue {
        try JSONValueEncoder().encode(object)
    }

    /// Converts a `JSONValue` to a typed value.
    public static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try decode(type, from: value.serialized())
    }
}

import Foundation

/// meta/v1 `ObjectMeta`: the metadata every persisted object carries.
public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var selfLink: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: Time?
    public var deletionTimestamp: Time?
    public var deletionGracePeriodSeconds: Int64?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?
    public var finalizers: [String]?
    public var managedFields: [ManagedFieldsEntry]?

    public init(name: String? = nil, generateName: String? = nil, namespace: String? = nil, uid: String? = nil,
                resourceVersion: String? = nil, generation: Int64? = nil, creationTimestamp: Time? = nil,
                deletionTimestamp: Time? = nil, deletionGracePeriodSeconds: Int64? = nil,
                labels: [String: String]? = nil, annotations: [String: String]? = nil,
                ownerReferences: [OwnerReference]? = nil, finalizers: [String]? = nil,
                managedFields: [ManagedFieldsEntry]? = nil) {
        self.name = name
        self.generateName = generateName
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.generation = generation
        self.creationTimestamp = creationTimestamp
        self.deletionTimestamp = deletionTimestamp
        self.deletionGracePeriodSeconds = deletionGracePeriodSeconds
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
        self.finalizers = finalizers
        self.managedFields = managedFields
    }

    /// Decoding with `KubeJSON.omitManagedFields` set in the decoder's `userInfo` leaves `managedFields` nil: their
    /// field tries are most of the cost of decoding a small object, and readers that never write them back whole
    /// (controllers, the scheduler, the kubelet) do not need them.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        generateName = try container.decodeIfPresent(String.self, forKey: .generateName)
        namespace = try container.decodeIfPresent(String.self, forKey: .namespace)
        selfLink = try container.decodeIfPresent(String.self, forKey: .selfLink)
        uid = try container.decodeIfPresent(String.self, forKey: .uid)
        resourceVersion = try container.decodeIfPresent(String.self, forKey: .resourceVersion)
        generation = try container.decodeIfPresent(Int64.self, forKey: .generation)
        creationTimestamp = try container.decodeIfPresent(Time.self, forKey: .creationTimestamp)
        deletionTimestamp = try container.decodeIfPresent(Time.self, forKey: .deletionTimestamp)
        deletionGracePeriodSeconds = try container.decodeIfPresent(Int64.self, forKey: .deletionGracePeriodSeconds)
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels)
        annotations = try container.decodeIfPresent([String: String].self, forKey: .annotations)
        ownerReferences = try container.decodeIfPresent([OwnerReference].self, forKey: .ownerReferences)
        finalizers = try container.decodeIfPresent([String].self, forKey: .finalizers)
        managedFields = decoder.userInfo[KubeJSON.omitManagedFields] as? Bool == true
            ? nil : try container.decodeIfPresent([ManagedFieldsEntry].self, forKey: .managedFields)
    }
}

/// meta/v1 `OwnerReference`: who owns an object, for garbage collection and adoption.
public struct OwnerReference: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil,
                blockOwnerDeletion: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// meta/v1 `ManagedFieldsEntry`: which manager owns which fields (server-side apply).
public struct ManagedFieldsEntry: Codable, Sendable, Hashable {
    public var manager: String?
    /// `Apply` or `Update`.
    public var operation: String?
    public var apiVersion: String?
    public var time: Time?
    /// Always `FieldsV1`.
    public var fieldsType: String?
    /// The field set in upstream's FieldsV1 trie encoding (`{"f:spec":{"f:replicas":{}}}`).
    public var fieldsV1: JSONValue?
    public var subresource: String?

    private enum CodingKeys: String, CodingKey { case manager, operation, apiVersion, time, fieldsType, fieldsV1, subresource }

    /// As the synthesized decoding, except that `fieldsV1` — a trie of objects with `{}` leaves — is read as such:
    /// `JSONValue`'s generic decoding tries every scalar type first, each a thrown error, at every node of the trie,
    /// which made these entries about half the cost of decoding a stored pod. A trie holding anything but objects
    /// is decoded the generic way.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        manager = try c.decodeIfPresent(String.self, forKey: .manager)
        operation = try c.decodeIfPresent(String.self, forKey: .operation)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        time = try c.decodeIfPresent(Time.self, forKey: .time)
        fieldsType = try c.decodeIfPresent(String.self, forKey: .fieldsType)
        if try !c.contains(.fieldsV1) || c.decodeNil(forKey: .fieldsV1) {
            fieldsV1 = nil
        } else if let trie = try? c.decode(FieldsTrie.self, forKey: .fieldsV1) {
            fieldsV1 = trie.value
        } else {
            fieldsV1 = try c.decode(JSONValue.self, forKey: .fieldsV1)
        }
        subresource = try c.decodeIfPresent(String.self, forKey: .subresource)
    }

    public init(manager: String? = nil, operation: String? = nil, apiVersion: String? = nil, time: Time? = nil,
                fieldsType: String? = nil, fieldsV1: JSONValue? = nil, subresource: String? = nil) {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
        self.fieldsType = fieldsType
        self.fieldsV1 = fieldsV1
        self.subresource = subresource
    }
}

extension ManagedFieldsEntry {
    /// The entry as a `JSONValue`, built member by member (the field trie is one already) rather than encoded.
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = [:]
        if let manager { members["manager"] = .string(manager) }
        if let operation { members["operation"] = .string(operation) }
        if let apiVersion { members["apiVersion"] = .string(apiVersion) }
        if let time { members["time"] = .string(time.description) }
        if let fieldsType { members["fieldsType"] = .string(fieldsType) }
        if let fieldsV1 { members["fieldsV1"] = fieldsV1 }
        if let subresource { members["subresource"] = .string(subresource) }
        return .object(members)
    }

    /// Reads an entry from a `JSONValue` directly, the inverse of `jsonValue`.
    public init(json: JSONValue) throws {
        guard case .object(let members) = json else {
            throw DecodingError.typeMismatch(ManagedFieldsEntry.self, .init(codingPath: [], debugDescription: "managedFields entry is a \(json.typeName), not an object"))
        }
        func string(_ key: String) throws -> String? {
            guard let value = members[key], value != .null else { return nil }
            guard let text = value.stringValue else {
                throw DecodingError.typeMismatch(String.self, .init(codingPath: [], debugDescription: "managedFields \(key) is a \(value.typeName), not a string"))
            }
            return text
        }
        let timeText = try string("time")
        let time = try timeText.map { text -> Time in
            guard let time = Time(rfc3339: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "parsing time \"\(text)\" as RFC 3339"))
            }
            return time
        }
        let fields = members["fieldsV1"]
        self.init(manager: try string("manager"), operation: try string("operation"), apiVersion: try string("apiVersion"),
                  time: time, fieldsType: try string("fieldsType"), fieldsV1: fields == .null ? nil : fields,
                  subresource: try string("subresource"))
    }
}

/// A FieldsV1 trie node: an object whose members are nodes (the leaves are `{}`).
private struct FieldsTrie: Decodable {
    var members: [String: FieldsTrie]

    init(from decoder: any Decoder) throws {
        members = try decoder.singleValueContainer().decode([String: FieldsTrie].self)
    }

    var value: JSONValue { .object(members.mapValues(\.value)) }
}

/// meta/v1 `ListMeta`.
public struct ListMeta: Codable, Sendable, Hashable {
    public var selfLink: String?
    public var resourceVersion: String?
    /// Opaque token for the next page of a chunked LIST.
    public var `continue`: String?
    public var remainingItemCount: Int64?

    public init(resourceVersion: String? = nil, continue: String? = nil, remainingItemCount: Int64? = nil) {
        self.resourceVersion = resourceVersion
        self.continue = `continue`
        self.remainingItemCount = remainingItemCount
    }
}

/// meta/v1 `Condition`: the standard condition shape used by newer APIs.
public struct Condition: Codable, Sendable, Hashable {
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    public var observedGeneration: Int64?
    public var lastTransitionTime: Time?
    public var reason: String?
    public var message: String?

    public init(type: String, status: String, observedGeneration: Int64? = nil, lastTransitionTime: Time? = nil,
                reason: String? = nil, message: String? = nil) {
        self.type = type
        self.status = status
        self.observedGeneration = observedGeneration
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }
}

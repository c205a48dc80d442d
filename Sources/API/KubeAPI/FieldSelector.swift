import Foundation

/// A parsed field selector, as upstream's `fields.ParseSelector`: comma-separated `field=value`,
/// `field==value` or `field!=value` terms, ANDed, with `\,`, `\=` and `\\` escapes in values.
///
/// ```swift
/// let s = try FieldSelector(parsing: "spec.nodeName=node-1,status.phase!=Succeeded")
/// try s.validate(for: Pod.self)              // throws "field label not supported: foo" for unknown fields
/// s.matches(Pod.fieldSelectorValues(of: pod))
/// ```
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    /// One term of a field selector.
    public struct Term: Sendable, Hashable, CustomStringConvertible {
        public var field: String
        /// `true` for `!=`.
        public var negated: Bool
        /// The unescaped value.
        public var value: String

        public init(field: String, negated: Bool = false, value: String) {
            self.field = field
            self.negated = negated
            self.value = value
        }

        /// Upstream's `hasTerm`/`notHasTerm`: a missing field counts as the empty string.
        public func matches(_ fields: [String: String]) -> Bool {
            let have = fields[field] ?? ""
            return negated ? have != value : have == value
        }

        public var description: String { "\(field)\(negated ? "!=" : "=")\(FieldSelector.escape(value))" }
    }

    /// The terms, ANDed, in upstream's order (sorted by their raw text).
    public var terms: [Term]

    public init(terms: [Term] = []) { self.terms = terms }

    /// Matches everything.
    public static let everything = FieldSelector()

    /// Parses `text`; the empty string matches everything. Errors carry upstream's messages.
    public init(parsing text: String) throws {
        var parsed = [Term]()
        for part in Self.splitTerms(text).sorted() where !part.isEmpty {
            guard let (lhs, op, rhs) = Self.splitTerm(part) else {
                throw SelectorError("invalid selector: '\(text)'; can't understand '\(part)'")
            }
            parsed.append(Term(field: lhs, negated: op == "!=", value: try Self.unescape(rhs)))
        }
        self.init(terms: parsed)
    }

    public var isEmpty: Bool { terms.isEmpty }

    /// Whether every term holds for `fields`.
    public func matches(_ fields: [String: String]) -> Bool { terms.allSatisfy { $0.matches(fields) } }

    /// The canonical text (`a=b,c!=d`), values escaped.
    public var description: String { terms.map(\.description).joined(separator: ",") }

    /// The value a selector requires for `field` (`spec.nodeName=node-1`), as upstream's `RequiresExactMatch`.
    public func requiredValue(for field: String) -> String? {
        terms.first { $0.field == field && !$0.negated }?.value
    }

    /// Checks every field is in `supportedFields`.
    public func validate(supportedFields: Set<String>) throws {
        for term in terms where !supportedFields.contains(term.field) {
            throw SelectorError("field label not supported: \(term.field)")
        }
    }

    // MARK: Upstream's helpers

    /// Splits on commas not preceded by a backslash.
    static func splitTerms(_ s: String) -> [String] {
        if s.isEmpty { return [] }
        var terms = [String]()
        var current = ""
        var inSlash = false
        for c in s {
            if inSlash {
                inSlash = false
            } else if c == "\\" {
                inSlash = true
            } else if c == "," {
                terms.append(current)
                current = ""
                continue
            }
            current.append(c)
        }
        terms.append(current)
        return terms
    }

    /// Finds the first `!=`, `==` or `=` (in that order of preference at each position).
    static func splitTerm(_ term: String) -> (String, String, String)? {
        var index = term.startIndex
        while index < term.endIndex {
            let remaining = term[index...]
            for op in ["!=", "==", "="] where remaining.hasPrefix(op) {
                return (String(term[..<index]), op, String(remaining.dropFirst(op.count)))
            }
            index = term.index(after: index)
        }
        return nil
    }

    /// Escapes `\`, `,` and `=` in a value.
    public static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: ",", with: "\\,")
            .replacingOccurrences(of: "=", with: "\\=")
    }

    /// Reverses `escape`, rejecting unknown escapes and bare `,`/`=` as upstream does.
    public static func unescape(_ s: String) throws -> String {
        var out = ""
        var inSlash = false
        for c in s {
            if inSlash {
                guard c == "\\" || c == "," || c == "=" else {
                    throw SelectorError("invalid field selector: invalid escape sequence: \\\(c)")
                }
                out.append(c)
                inSlash = false
                continue
            }
            switch c {
            case "\\": inSlash = true
            case ",", "=": throw SelectorError("invalid field selector: unescaped character in value: \(c)")
            default: out.append(c)
            }
        }
        if inSlash { throw SelectorError("invalid field selector: invalid escape sequence: \\") }
        return out
    }
}

/// A kind whose LIST and WATCH can be filtered with a field selector.
///
/// Kinds support `metadata.name` and `metadata.namespace` (nodes and namespaces only `metadata.name`); some
/// add their own fields, exactly the set upstream's API server accepts for that kind.
public protocol FieldSelectable {
    /// The field labels a selector may name for this kind.
    static var selectableFields: Set<String> { get }
    /// The values of `selectableFields` for this object (absent values are `""`, booleans `true`/`false`).
    var fieldValues: [String: String] { get }
}

extension FieldSelectable {
    /// The field values of `object`, for the API server's filter.
    public static func fieldSelectorValues(of object: Self) -> [String: String] { object.fieldValues }
}

extension FieldSelectable where Self: KubeObject {
    /// `metadata.name` and `metadata.namespace`.
    public var metadataFieldValues: [String: String] {
        ["metadata.name": metadata.name ?? "", "metadata.namespace": metadata.namespace ?? ""]
    }
}

extension FieldSelector {
    /// The field labels every kind supports.
    public static let metadataFields: Set<String> = ["metadata.name", "metadata.namespace"]

    /// The field labels `kind` supports (its `FieldSelectable` set, else the metadata fields).
    public static func selectableFields(of kind: any KubeObject.Type) -> Set<String> {
        (kind as? any FieldSelectable.Type)?.selectableFields ?? metadataFields
    }

    /// The field values of any object, for filtering kinds only known as `any KubeObject`.
    public static func fieldValues(of object: any KubeObject) -> [String: String] {
        if let selectable = object as? any FieldSelectable { return selectable.fieldValues }
        return ["metadata.name": object.metadata.name ?? "", "metadata.namespace": object.metadata.namespace ?? ""]
    }

    /// Checks every field is selectable on `kind`; throws `field label not supported: <field>` otherwise.
    public func validate(for kind: any KubeObject.Type) throws {
        try validate(supportedFields: Self.selectableFields(of: kind))
    }

    /// Whether `object` satisfies the selector.
    public func matches(_ object: any KubeObject) -> Bool { matches(Self.fieldValues(of: object)) }
}

extension Pod: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields.union([
        "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
        "status.phase", "status.podIP", "status.nominatedNodeName",
    ])
    public var fieldValues: [String: String] {
        var f = metadataFieldValues
        f["spec.nodeName"] = spec?.nodeName ?? ""
        f["spec.restartPolicy"] = spec?.restartPolicy ?? ""
        f["spec.schedulerName"] = spec?.schedulerName ?? ""
        f["spec.serviceAccountName"] = spec?.serviceAccountName ?? ""
        f["spec.hostNetwork"] = (spec?.hostNetwork ?? false) ? "true" : "false"
        f["status.phase"] = status?.phase ?? ""
        // Upstream takes the first of `podIPs` (not `podIP`).
        f["status.podIP"] = status?.podIPs?.first?.ip ?? ""
        f["status.nominatedNodeName"] = status?.nominatedNodeName ?? ""
        return f
    }
}

extension Event: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields.union([
        "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
        "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
        "reason", "reportingComponent", "source", "type",
    ])
    public var fieldValues: [String: String] {
        var f = metadataFieldValues
        f["involvedObject.kind"] = involvedObject.kind ?? ""
        f["involvedObject.namespace"] = involvedObject.namespace ?? ""
        f["involvedObject.name"] = involvedObject.name ?? ""
        f["involvedObject.uid"] = involvedObject.uid ?? ""
        f["involvedObject.apiVersion"] = involvedObject.apiVersion ?? ""
        f["involvedObject.resourceVersion"] = involvedObject.resourceVersion ?? ""
        f["involvedObject.fieldPath"] = involvedObject.fieldPath ?? ""
        f["reason"] = reason ?? ""
        f["reportingComponent"] = reportingComponent
        // Upstream: the source component, or the reporting controller when it is empty.
        let component = source?.component ?? ""
        f["source"] = component.isEmpty ? reportingComponent : component
        f["type"] = type ?? ""
        return f
    }
}

extension Node: FieldSelectable {
    /// Upstream's node conversion accepts only these two (not `metadata.namespace`).
    public static let selectableFields: Set<String> = ["metadata.name", "spec.unschedulable"]
    public var fieldValues: [String: String] {
        var f = ["metadata.name": metadata.name ?? ""]
        f["spec.unschedulable"] = (spec?.unschedulable ?? false) ? "true" : "false"
        return f
    }
}

extension Secret: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields.union(["type"])
    public var fieldValues: [String: String] {
        var f = metadataFieldValues
        f["type"] = type ?? ""
        return f
    }
}

extension Namespace: FieldSelectable {
    /// Upstream's namespace conversion accepts only these two (not `metadata.namespace`).
    public static let selectableFields: Set<String> = ["metadata.name", "status.phase"]
    public var fieldValues: [String: String] {
        var f = ["metadata.name": metadata.name ?? ""]
        f["status.phase"] = status?.phase ?? ""
        return f
    }
}

extension ReplicaSet: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields.union(["status.replicas"])
    public var fieldValues: [String: String] {
        var f = metadataFieldValues
        f["status.replicas"] = String(status?.replicas ?? 0)
        return f
    }
}

extension ReplicationController: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields.union(["status.replicas"])
    public var fieldValues: [String: String] {
        var f = metadataFieldValues
        f["status.replicas"] = String(status?.replicas ?? 0)
        return f
    }
}

extension Job: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields.union(["status.successful"])
    public var fieldValues: [String: String] {
        var f = metadataFieldValues
        f["status.successful"] = String(status?.succeeded ?? 0)
        return f
    }
}

extension Service: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields
    public var fieldValues: [String: String] { metadataFieldValues }
}
extension Endpoints: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields
    public var fieldValues: [String: String] { metadataFieldValues }
}
extension ConfigMap: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields
    public var fieldValues: [String: String] { metadataFieldValues }
}
extension ServiceAccount: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields
    public var fieldValues: [String: String] { metadataFieldValues }
}
extension Deployment: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields
    public var fieldValues: [String: String] { metadataFieldValues }
}
extension DaemonSet: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields
    public var fieldValues: [String: String] { metadataFieldValues }
}
extension StatefulSet: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields
    public var fieldValues: [String: String] { metadataFieldValues }
}
extension CronJob: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields
    public var fieldValues: [String: String] { metadataFieldValues }
}
extension PersistentVolumeClaim: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields
    public var fieldValues: [String: String] { metadataFieldValues }
}
extension EndpointSlice: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields
    public var fieldValues: [String: String] { metadataFieldValues }
}
extension Lease: FieldSelectable {
    public static let selectableFields: Set<String> = FieldSelector.metadataFields
    public var fieldValues: [String: String] { metadataFieldValues }
}

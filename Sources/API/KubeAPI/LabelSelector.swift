import Foundation

/// meta/v1 `LabelSelector`: `matchLabels` and `matchExpressions`, ANDed.
///
/// An empty selector matches everything; a missing one (`nil`) usually matches nothing. Convert it with
/// `LabelSelectorExpression(_:)` to match labels or print the query-string form.
public struct LabelSelector: Codable, Sendable, Hashable {
    public var matchLabels: [String: String]?
    public var matchExpressions: [LabelSelectorRequirement]?

    public init(matchLabels: [String: String]? = nil, matchExpressions: [LabelSelectorRequirement]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }
}

/// meta/v1 `LabelSelectorRequirement`: `key` `In`/`NotIn`/`Exists`/`DoesNotExist` `values`.
public struct LabelSelectorRequirement: Codable, Sendable, Hashable {
    public var key: String
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    public var `operator`: String
    public var values: [String]?

    public init(key: String, operator: String, values: [String]? = nil) {
        self.key = key
        self.operator = `operator`
        self.values = values
    }

    enum CodingKeys: String, CodingKey { case key, `operator`, values }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decodeIfPresent(String.self, forKey: .key) ?? ""
        `operator` = try c.decodeIfPresent(String.self, forKey: .operator) ?? ""
        values = try c.decodeIfPresent([String].self, forKey: .values)
    }
}

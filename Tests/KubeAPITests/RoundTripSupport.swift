import Foundation
import Testing
@testable import KubeAPI

/// Decodes `json` as `T`, re-encodes it and checks the result is the same JSON document (no key added,
/// none lost, no value changed). Returns the decoded value for further checks.
@discardableResult
func expectRoundTrip<T: KubeObject>(_ type: T.Type, _ json: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
    let input = try JSONValue(parsing: json)
    let decoded = try KubeJSON.decode(T.self, from: Data(json.utf8))
    let output = try JSONValue(parsing: KubeJSON.encode(decoded))
    let differences = jsonDifferences(input, output)
    #expect(differences.isEmpty, "round trip changed \(T.self): \(differences.joined(separator: "; "))", sourceLocation: sourceLocation)
    // Decoding the output again gives an equal value.
    let again = try KubeJSON.decode(T.self, from: output)
    #expect(again == decoded, sourceLocation: sourceLocation)
    // The direct JSONValue encoding is what the text gives when parsed back.
    let direct = try KubeJSON.value(of: decoded)
    #expect(direct == output, "KubeJSON.value(of:) differs for \(T.self): \(jsonDifferences(output, direct).joined(separator: "; "))",
            sourceLocation: sourceLocation)
    return decoded
}

/// Paths where two JSON values differ, for readable failures.
func jsonDifferences(_ a: JSONValue, _ b: JSONValue, path: String = "$") -> [String] {
    switch (a, b) {
    case (.object(let x), .object(let y)):
        var out = [String]()
        for key in Set(x.keys).union(y.keys).sorted() {
            switch (x[key], y[key]) {
            case (let l?, let r?): out += jsonDifferences(l, r, path: "\(path).\(key)")
            case (_?, nil): out.append("\(path).\(key) lost")
            case (nil, _?): out.append("\(path).\(key) added")
            default: break
            }
        }
        return out
    case (.array(let x), .array(let y)):
        guard x.count == y.count else { return ["\(path) length \(x.count) → \(y.count)"] }
        return zip(x, y).enumerated().flatMap { i, p in jsonDifferences(p.0, p.1, path: "\(path)[\(i)]") }
    default:
        return a == b ? [] : ["\(path): \(a.jsonString) → \(b.jsonString)"]
    }
}

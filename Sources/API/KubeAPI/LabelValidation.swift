import Foundation

/// Upstream's name and label validation (k8s.io/apimachinery/pkg/util/validation), with its exact messages,
/// because clients show them to users and tests compare them.
public enum LabelValidation {
    static let qualifiedNameErrorMessage =
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let qualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let labelValueErrorMessage =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let labelValueFormat = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
    static let dns1123SubdomainErrorMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    static let dns1123SubdomainFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"

    /// Upstream's `RegexError`: the message, examples and the regular expression.
    static func regexError(_ message: String, _ format: String, _ examples: [String]) -> String {
        if examples.isEmpty { return message + " (regex used for validation is '" + format + "')" }
        var m = message + " (e.g. "
        for (i, e) in examples.enumerated() {
            if i > 0 { m += " or " }
            m += "'" + e + "', "
        }
        return m + "regex used for validation is '" + format + "')"
    }

    static func maxLenError(_ n: Int) -> String { "must be no more than \(n) characters" }

    static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
    static func matchesQualifiedName(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let first = b.first, let last = b.last, isAlnum(first), isAlnum(last) else { return false }
        return b.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` labels joined by dots.
    static func matchesDNS1123Subdomain(_ s: String) -> Bool {
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            let b = Array(label.utf8)
            let lowerAlnum = { (c: UInt8) in (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) }
            guard let first = b.first, let last = b.last, lowerAlnum(first), lowerAlnum(last) else { return false }
            return b.allSatisfy { lowerAlnum($0) || $0 == UInt8(ascii: "-") }
        }
    }

    /// Problems with a DNS-1123 subdomain (`example.com`), empty when valid.
    public static func dns1123SubdomainErrors(_ value: String) -> [String] {
        var errs = [String]()
        if value.utf8.count > 253 { errs.append(maxLenError(253)) }
        if !matchesDNS1123Subdomain(value) {
            errs.append(regexError(dns1123SubdomainErrorMessage, dns1123SubdomainFormat, ["example.com"]))
        }
        return errs
    }

    /// Problems with a qualified name (`example.com/MyName`), as upstream's `IsQualifiedName`; empty when valid.
    public static func qualifiedNameErrors(_ value: String) -> [String] {
        var errs = [String]()
        let parts = value.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let name: String
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            let prefix = parts[0]
            name = parts[1]
            if prefix.isEmpty {
                errs.append("prefix part must be non-empty")
            } else {
                errs += dns1123SubdomainErrors(prefix).map { "prefix part " + $0 }
            }
        default:
            return ["a qualified name " + regexError(qualifiedNameErrorMessage, qualifiedNameFormat, ["MyName", "my.name", "123-abc"])
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        }
        if name.isEmpty {
            errs.append("name part must be non-empty")
        } else if name.utf8.count > 63 {
            errs.append("name part " + maxLenError(63))
        }
        if !matchesQualifiedName(name) {
            errs.append("name part " + regexError(qualifiedNameErrorMessage, qualifiedNameFormat, ["MyName", "my.name", "123-abc"]))
        }
        return errs
    }

    /// Problems with a label value (empty or ≤ 63 characters of `[A-Za-z0-9_.-]`, alphanumeric at both ends).
    public static func labelValueErrors(_ value: String) -> [String] {
        var errs = [String]()
        if value.utf8.count > 63 { errs.append(maxLenError(63)) }
        if !value.isEmpty && !matchesQualifiedName(value) {
            errs.append(regexError(labelValueErrorMessage, labelValueFormat, ["MyValue", "my_value", "12345"]))
        }
        return errs
    }

    /// Upstream's `field.Invalid(path, value, detail).Error()`: `path: Invalid value: "v": detail`.
    static func invalid(_ path: String, _ value: String, _ detail: String) -> String {
        "\(path): Invalid value: \(GoQuoted.string(value)): \(detail)"
    }

    /// Upstream's aggregate error text: one message as is, several as `[a, b]` without duplicates.
    static func aggregate(_ messages: [String]) -> String? {
        var seen = [String]()
        for m in messages where !seen.contains(m) { seen.append(m) }
        if seen.isEmpty { return nil }
        if seen.count == 1 { return seen[0] }
        return "[" + seen.joined(separator: ", ") + "]"
    }
}

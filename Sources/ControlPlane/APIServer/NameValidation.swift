import Foundation
import KubeAPI

/// Upstream's name rules (apimachinery validation), with its exact messages.
enum NameValidation {
    static let dns1123LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let dns1123SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let dns1035LabelMessage = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"

    /// Which rule a kind's names follow.
    enum Rule: Sendable {
        case dns1123Subdomain, dns1123Label, dns1035Label
        /// RBAC objects: any name usable as one URL path segment (`system:node`), as `path.IsValidPathSegmentName`.
        case pathSegment
    }

    static func isLabelChar(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }

    static func isDNS1123Label(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard !b.isEmpty, b.count <= 63, isLabelChar(b.first!), isLabelChar(b.last!) else { return false }
        return b.allSatisfy { isLabelChar($0) || $0 == UInt8(ascii: "-") }
    }

    static func isDNS1123Subdomain(_ s: String) -> Bool {
        s.utf8.count <= 253 && s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNS1123Label(String($0)) }
    }

    static func isDNS1035Label(_ s: String) -> Bool {
        guard let first = s.utf8.first, first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z") else { return false }
        return isDNS1123Label(s)
    }

    /// Causes for an invalid `metadata.name` (empty when valid).
    static func validate(name: String, rule: Rule, field: String = "metadata.name") -> [StatusCause] {
        var causes: [StatusCause] = []
        func invalid(_ message: String) {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(name)\": \(message)", field: field))
        }
        switch rule {
        case .dns1123Subdomain:
            if name.utf8.count > 253 { invalid("must be no more than 253 characters") }
            else if !isDNS1123Subdomain(name) { invalid(dns1123SubdomainMessage) }
        case .dns1123Label:
            if name.utf8.count > 63 { invalid("must be no more than 63 characters") }
            else if !isDNS1123Label(name) { invalid(dns1123LabelMessage) }
        case .dns1035Label:
            if name.utf8.count > 63 { invalid("must be no more than 63 characters") }
            else if !isDNS1035Label(name) { invalid(dns1035LabelMessage) }
        case .pathSegment:
            if name == "." || name == ".." { invalid("may not be '\(name)'") }
            for c in ["/", "%"] where name.contains(c) { invalid("may not contain '\(c)'") }
        }
        return causes
    }

    /// Upstream's generateName suffix: 5 characters from its alphabet without vowels and look-alikes.
    static func generateSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet.randomElement()! })
    }
}

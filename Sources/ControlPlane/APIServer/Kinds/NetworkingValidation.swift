import Foundation
import KubeAPI
#if canImport(Glibc)
import Glibc
#endif

/// The apimachinery checks networking.k8s.io validation builds on, with upstream's messages: port numbers and names
/// (`IsValidPortNum`, `IsValidPortName`), DNS names and wildcards, domain-prefixed paths, IP addresses and CIDRs.
enum NetworkingValidation {
    static let portRangeMessage = "must be between 1 and 65535, inclusive"
    static let wildcardDNS1123SubdomainMessage = "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let httpPathMessage = "must be a valid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"
    static let cidrMessage = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
    static let ipMessage = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"

    /// `field.Invalid(field, value, detail)` with the value printed as upstream prints it (`%q` for strings).
    static func invalid(_ field: String, _ value: String, _ detail: String) -> StatusCause {
        StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(GoQuoted.string(value)): \(detail)", field: field)
    }

    static func invalid(_ field: String, _ value: Int64, _ detail: String) -> StatusCause {
        StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(value): \(detail)", field: field)
    }

    /// `field.Required(field, detail)`.
    static func required(_ field: String, _ detail: String = "") -> StatusCause {
        StatusCause(reason: "FieldValueRequired", message: detail.isEmpty ? "Required value" : "Required value: \(detail)", field: field)
    }

    /// `field.Forbidden(field, detail)`.
    static func forbidden(_ field: String, _ detail: String) -> StatusCause {
        StatusCause(reason: "FieldValueForbidden", message: "Forbidden: \(detail)", field: field)
    }

    /// `field.NotSupported(field, value, supported)`.
    static func notSupported(_ field: String, _ value: String, _ supported: [String]) -> StatusCause {
        StatusCause(reason: "FieldValueNotSupported",
                    message: "Unsupported value: \(GoQuoted.string(value)): supported values: " + supported.map(GoQuoted.string).joined(separator: ", "),
                    field: field)
    }

    /// `IsValidPortNum`.
    static func portNumberErrors(_ port: Int64) -> [String] {
        (1...65535).contains(port) ? [] : [portRangeMessage]
    }

    /// `IsValidPortName`: an IANA service name.
    static func portNameErrors(_ name: String) -> [String] {
        var errors: [String] = []
        if name.utf8.count > 15 { errors.append("must be no more than 15 characters") }
        if !name.utf8.allSatisfy({ ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-") }) {
            errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if name.contains("--") { errors.append("must not contain consecutive hyphens") }
        if !name.utf8.contains(where: { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) { errors.append("must contain at least one letter (a-z)") }
        if name.hasPrefix("-") || name.hasSuffix("-") { errors.append("must not begin or end with a hyphen") }
        return errors
    }

    /// `IsWildcardDNS1123Subdomain`: `*.` followed by a DNS subdomain.
    static func wildcardSubdomainErrors(_ host: String) -> [String] {
        var errors: [String] = []
        if host.utf8.count > 253 { errors.append("must be no more than 253 characters") }
        if !(host.hasPrefix("*.") && NameValidation.isDNS1123Subdomain(String(host.dropFirst(2)))) {
            errors.append(wildcardDNS1123SubdomainMessage)
        }
        return errors
    }

    /// `IsDomainPrefixedPath`: `example.com/path`.
    static func domainPrefixedPathErrors(_ value: String, field: String) -> [StatusCause] {
        if value.isEmpty { return [required(field)] }
        let segments = value.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard segments.count == 2, !segments[0].isEmpty, !segments[1].isEmpty else {
            return [invalid(field, value, "must be a domain-prefixed path (such as \"acme.io/foo\")")]
        }
        var causes = LabelValidation.dns1123SubdomainErrors(segments[0]).map { invalid(field, segments[0], $0) }
        let pathCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/-._~%!$&'()*+,;=:")
        if !segments[1].allSatisfy(pathCharacters.contains) { causes.append(invalid(field, segments[1], httpPathMessage)) }
        return causes
    }

    /// `content.IsPathSegmentName`: usable as one URL path segment.
    static func pathSegmentErrors(_ name: String) -> [String] {
        if name == "." || name == ".." { return ["may not be '\(name)'"] }
        return ["/", "%"].filter { name.contains($0) }.map { "may not contain '\($0)'" }
    }

    /// A reference to an object of another API (an Ingress's resource backend, an IngressClass's parameters): a DNS
    /// subdomain as the group, and a kind and name that are each one URL path segment.
    static func validateReference(apiGroup: String?, kind: String, name: String, field: String) -> [StatusCause] {
        var causes: [StatusCause] = []
        if let apiGroup {
            causes += LabelValidation.dns1123SubdomainErrors(apiGroup).map { invalid("\(field).apiGroup", apiGroup, $0) }
        }
        for (member, value) in [("kind", kind), ("name", name)] {
            if value.isEmpty { causes.append(required("\(field).\(member)")); continue }
            causes += pathSegmentErrors(value).map { invalid("\(field).\(member)", value, $0) }
        }
        return causes
    }

    /// The address bytes of an IPv4 or IPv6 address in text form, or nil.
    static func ipBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// An address and prefix length (`10.0.0.0/8`), or nil when the text is not a CIDR.
    static func cidr(_ text: String) -> (bytes: [UInt8], prefix: Int)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bytes = ipBytes(String(parts[0])), let prefix = Int(parts[1]),
              parts[1].allSatisfy(\.isNumber), (0...bytes.count * 8).contains(prefix) else { return nil }
        return (bytes, prefix)
    }

    /// Whether `inner` lies inside `outer` and is strictly smaller (an IPBlock's `except`).
    static func isStrictSubset(_ inner: (bytes: [UInt8], prefix: Int), of outer: (bytes: [UInt8], prefix: Int)) -> Bool {
        guard inner.bytes.count == outer.bytes.count, inner.prefix > outer.prefix else { return false }
        for bit in 0..<outer.prefix {
            let mask = UInt8(0x80) >> UInt8(bit % 8)
            if inner.bytes[bit / 8] & mask != outer.bytes[bit / 8] & mask { return false }
        }
        return true
    }
}

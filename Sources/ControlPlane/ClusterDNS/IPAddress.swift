#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as the bytes an A or AAAA record carries, parsed from and printed to the text forms
/// Kubernetes objects use, and to and from the `in-addr.arpa` / `ip6.arpa` names PTR queries ask for.
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4([UInt8])
    case v6([UInt8])

    /// Parses `10.96.0.10` or `fd00::a`; nil for anything else.
    public init?(_ text: String) {
        if text.contains(":") {
            var storage = [UInt8](repeating: 0, count: 16)
            guard storage.withUnsafeMutableBytes({ inet_pton(AF_INET6, text, $0.baseAddress) }) == 1 else { return nil }
            self = .v6(storage)
        } else {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var bytes: [UInt8] = []
            for part in parts {
                guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), let value = UInt8(part) else { return nil }
                bytes.append(value)
            }
            self = .v4(bytes)
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case .v4(let b), .v6(let b): b
        }
    }

    /// The canonical text form (RFC 5952 for IPv6), as Kubernetes writes addresses.
    public var description: String {
        switch self {
        case .v4(let b):
            return b.map(String.init).joined(separator: ".")
        case .v6(let b):
            guard b.count == 16 else { return "" }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            let written = b.withUnsafeBytes { address in
                buffer.withUnsafeMutableBufferPointer { inet_ntop(AF_INET6, address.baseAddress, $0.baseAddress, socklen_t($0.count)) != nil }
            }
            guard written else { return "" }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// The address family Prometheus labels and CoreDNS use: 1 for IPv4, 2 for IPv6.
    public var family: Int {
        if case .v4 = self { return 1 }
        return 2
    }

    /// `4.3.2.1.in-addr.arpa` or the 32 nibbles of `ip6.arpa`.
    public var reverseName: DomainName {
        switch self {
        case .v4(let b):
            return DomainName(checkedLabels: b.reversed().map { Array(String($0).utf8) } + [Array("in-addr".utf8), Array("arpa".utf8)])
        case .v6(let b):
            let hex = Array("0123456789abcdef".utf8)
            var labels: [[UInt8]] = []
            for byte in b.reversed() {
                labels.append([hex[Int(byte & 0x0F)]])
                labels.append([hex[Int(byte >> 4)]])
            }
            return DomainName(checkedLabels: labels + [Array("ip6".utf8), Array("arpa".utf8)])
        }
    }

    /// The address a complete reverse name stands for; nil for a partial one (`96.10.in-addr.arpa`) or another name.
    public init?(reverseName name: DomainName) {
        let labels = name.lowercasedLabels
        if labels.count == 6, labels[4] == "in-addr", labels[5] == "arpa" {
            var bytes: [UInt8] = []
            for label in labels[0..<4].reversed() {
                guard (1...3).contains(label.count), label.allSatisfy(\.isASCII), let value = UInt8(label) else { return nil }
                bytes.append(value)
            }
            self = .v4(bytes)
        } else if labels.count == 34, labels[32] == "ip6", labels[33] == "arpa" {
            var nibbles: [UInt8] = []
            for label in labels[0..<32].reversed() {
                guard label.count == 1, let value = UInt8(label, radix: 16) else { return nil }
                nibbles.append(value)
            }
            self = .v6(stride(from: 0, to: 32, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] })
        } else {
            return nil
        }
    }
}

import Crypto

/// Chain names of upstream kube-proxy's iptables mode: a prefix and the first 16 characters of the
/// base32 (RFC 4648, standard alphabet) of the SHA-256 of the service port name, its lower-case
/// protocol and, for endpoint chains, `ip:port` (`portProtoHash` / `servicePortEndpointChainName`), e.g.
/// `KUBE-SVC-XPGD46QRK7WJZT7O` for `ns1/svc1:p80` over tcp.
public enum IPTablesChainName {
    public static func service(_ name: ServicePortName) -> String { "KUBE-SVC-" + portProtoHash(name) }
    public static func external(_ name: ServicePortName) -> String { "KUBE-EXT-" + portProtoHash(name) }
    public static func local(_ name: ServicePortName) -> String { "KUBE-SVL-" + portProtoHash(name) }
    public static func firewall(_ name: ServicePortName) -> String { "KUBE-FW-" + portProtoHash(name) }
    public static func endpoint(_ name: ServicePortName, _ endpoint: EndpointInfo) -> String {
        "KUBE-SEP-" + hash(name.upstreamName + name.protocol.lowercased + endpoint.description)
    }

    /// The per-service and per-endpoint prefixes: chains with them that nobody wants are ours to delete.
    static let perServicePrefixes = ["KUBE-SVC-", "KUBE-EXT-", "KUBE-SVL-", "KUBE-FW-", "KUBE-SEP-"]

    static func portProtoHash(_ name: ServicePortName) -> String { hash(name.upstreamName + name.protocol.lowercased) }

    /// RFC 4648's base32 alphabet.
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// base32(sha256(text)) cut to 16 characters (10 bytes of the digest; at 100k endpoints a full sync
    /// computes a few hundred thousand of these).
    static func hash(_ text: String) -> String {
        let digest = SHA256.hash(data: Array(text.utf8))
        return String(unsafeUninitializedCapacity: 16) { out in
            var buffer: UInt32 = 0
            var bits = 0
            var count = 0
            for byte in digest {
                buffer = buffer << 8 | UInt32(byte)
                bits += 8
                while bits >= 5, count < 16 {
                    bits -= 5
                    out[count] = alphabet[Int((buffer >> UInt32(bits)) & 31)]
                    count += 1
                }
                if count == 16 { break }
            }
            return count
        }
    }
}

extension ServicePortName {
    /// `namespace/name:portName` (`namespace/name` for an unnamed port): upstream's `ServicePortName.String()`,
    /// which its chain-name hashes and rule comments use.
    public var upstreamName: String { portName.isEmpty ? "\(namespace)/\(name)" : "\(namespace)/\(name):\(portName)" }
}

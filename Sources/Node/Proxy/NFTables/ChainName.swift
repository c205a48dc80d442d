/// Chain names in upstream kube-proxy's nftables style: a kind, a short hash that makes the name unique
/// whatever the readable part, and the readable part, e.g.
/// `service-ULMVA6XW-default/web/tcp/http` and `endpoint-5OJB2KTY-default/web/tcp/http__10.244.0.5/8080`.
enum ChainName {
    static func service(_ name: ServicePortName) -> String { named("service", name.chainBase) }
    static func external(_ name: ServicePortName) -> String { named("external", name.chainBase) }
    static func firewall(_ name: ServicePortName) -> String { named("firewall", name.chainBase) }
    static func endpoint(_ name: ServicePortName, _ endpoint: EndpointInfo) -> String {
        named("endpoint", endpointBase(name, endpoint))
    }
    /// The ClientIP affinity set of one endpoint (clients that reached it recently).
    static func affinity(_ name: ServicePortName, _ endpoint: EndpointInfo) -> String {
        named("affinity", endpointBase(name, endpoint))
    }

    private static func endpointBase(_ name: ServicePortName, _ endpoint: EndpointInfo) -> String {
        "\(name.chainBase)__\(endpoint.isIPv6 ? "[\(endpoint.ip)]" : endpoint.ip)/\(endpoint.port)"
    }

    /// `prefix-HASH-base`, the hash over `prefix` and `base` (FNV-1a 64, base32, 8 characters).
    static func named(_ prefix: String, _ base: String) -> String {
        "\(prefix)-\(hash(prefix + base))-\(base)"
    }

    static func hash(_ text: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var out = ""
        for index in 0..<8 { out.append(alphabet[Int((value >> (UInt64(index) * 5)) & 31)]) }
        return out
    }
}

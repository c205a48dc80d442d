import LinuxSystem

/// host-local's configuration, read exactly as the reference plugin reads it.
///
/// `ipam.ranges` is a list of range sets (each a list of `{subnet, rangeStart, rangeEnd, gateway}`);
/// a legacy `ipam.subnet` (with its own start/end/gateway) is prepended as one more set, and
/// `runtimeConfig.ipRanges` before that. Requested addresses come from `CNI_ARGS` `IP=`, `args.cni.ips`
/// and `runtimeConfig.ips`, in that order.
///
///     {"ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/16"}]],
///               "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "/var/lib/cni/networks"}}
struct HostLocalConfig: Sendable {
    /// Where allocations live when `dataDir` is not set.
    static let defaultDataDirectory = "/var/lib/cni/networks"

    let networkName: String
    let rangeSets: [RangeSet]
    let routes: [CNIResult.Route]
    let dataDirectory: String
    let resolvConf: String?
    let requestedAddresses: [IPAddress]

    /// Parses `request`'s configuration and `CNI_ARGS`: JSON type errors are code 6, invalid values
    /// code 7, a bad `CNI_ARGS` code 4.
    init(_ request: PluginRequest) throws(CNIError) {
        let document = try request.config.decode(Document.self)
        guard let ipam = document.ipam else {
            throw CNIError(.invalidNetworkConfig, "IPAM config missing 'ipam' key")
        }
        networkName = request.config.name
        routes = ipam.routes ?? []
        dataDirectory = (ipam.dataDir ?? "").isEmpty ? Self.defaultDataDirectory : ipam.dataDir!
        resolvConf = (ipam.resolvConf ?? "").isEmpty ? nil : ipam.resolvConf

        var requested: [String] = []
        if let ip = try Self.argumentAddress(request.environment.args) { requested.append(ip) }
        requested += document.args?.cni?.ips ?? []
        requested += document.runtimeConfig?.ips ?? []
        requestedAddresses = try requested.map { text throws(CNIError) in
            // Like the reference's `ip.IP`, a request may carry a prefix length, which is ignored.
            let address = text.split(separator: "/", maxSplits: 1).first.map(String.init) ?? text
            guard let parsed = IPAddress(address) else {
                throw CNIError(.invalidNetworkConfig, "cannot understand ip: \"\(text)\"")
            }
            return parsed
        }

        var documents: [[RangeDocument]] = document.runtimeConfig?.ipRanges ?? []
        if let subnet = ipam.subnet, !subnet.isEmpty {
            documents.append([RangeDocument(subnet: subnet, rangeStart: ipam.rangeStart, rangeEnd: ipam.rangeEnd, gateway: ipam.gateway)])
        }
        documents += ipam.ranges ?? []
        guard !documents.isEmpty else { throw CNIError(.invalidNetworkConfig, "no IP ranges specified") }

        var sets: [RangeSet] = []
        for (index, set) in documents.enumerated() {
            do throws(CNIError) {
                sets.append(try RangeSet(set.map { range throws(CNIError) in
                    try AddressRange(subnet: range.subnet, rangeStart: range.rangeStart, rangeEnd: range.rangeEnd, gateway: range.gateway)
                }))
            } catch {
                throw CNIError(.invalidNetworkConfig, "invalid range set \(index): \(error.msg)")
            }
        }
        for (index, set) in sets.enumerated() {
            for (offset, other) in sets[(index + 1)...].enumerated() where set.overlaps(other) {
                throw CNIError(.invalidNetworkConfig, "range set \(index) overlaps with \(index + offset + 1)")
            }
        }
        rangeSets = sets
    }

    /// `IP=` from `CNI_ARGS`; other keys are refused unless `IgnoreUnknown` is true (libcni `LoadArgs`).
    private static func argumentAddress(_ args: [(key: String, value: String)]) throws(CNIError) -> String? {
        var ip: String?
        var ignoreUnknown = false
        var unknown: [String] = []
        for (key, value) in args {
            switch key {
            case "IP": ip = value
            case "IgnoreUnknown":
                switch value.lowercased() {
                case "1", "true": ignoreUnknown = true
                case "0", "false": ignoreUnknown = false
                default: throw CNIError(.invalidEnvironment, "ARGS: error parsing value of pair \"\(key)=\(value)\": invalid boolean")
                }
            default: unknown.append("\(key)=\(value)")
            }
        }
        guard unknown.isEmpty || ignoreUnknown else {
            throw CNIError(.invalidEnvironment, "ARGS: unknown args \(unknown)")
        }
        return ip.flatMap { $0.isEmpty ? nil : $0 }
    }

    private struct Document: Decodable {
        struct RuntimeConfig: Decodable {
            var ipRanges: [[RangeDocument]]?
            var ips: [String]?
        }
        struct Args: Decodable {
            struct CNI: Decodable { var ips: [String]? }
            var cni: CNI?
        }
        var ipam: IPAMDocument?
        var runtimeConfig: RuntimeConfig?
        var args: Args?
    }

    private struct IPAMDocument: Decodable {
        var routes: [CNIResult.Route]?
        var dataDir: String?
        var resolvConf: String?
        var ranges: [[RangeDocument]]?
        var subnet: String?
        var rangeStart: String?
        var rangeEnd: String?
        var gateway: String?
    }

    private struct RangeDocument: Decodable {
        var subnet: String?
        var rangeStart: String?
        var rangeEnd: String?
        var gateway: String?
    }
}

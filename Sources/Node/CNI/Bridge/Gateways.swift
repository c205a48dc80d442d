import LinuxSystem

/// The reference bridge's `calcGateways`: points every address at the container interface (index 2),
/// fills in missing gateways (the subnet's first host) when the bridge is the gateway, adds a default
/// route per family for `isDefaultGateway` unless IPAM already gave one with a gateway, and returns the
/// `gateway/prefix` addresses the bridge must carry.
enum Gateways {
    static func apply(to result: inout CNIResult, isGateway: Bool, isDefaultGateway: Bool) throws(CNIError) -> [IPNetwork] {
        var bridgeAddresses: [IPNetwork] = []
        var defaultRouteFound: Set<Bool> = []
        for index in result.ips.indices {
            var ip = result.ips[index]
            let isIPv4 = ip.address.address.isIPv4
            ip.interface = 2
            if ip.gateway == nil, isGateway {
                ip.gateway = ip.address.network.next
            }
            if isDefaultGateway, !defaultRouteFound.contains(isIPv4) {
                let defaultDestination = isIPv4 ? "0.0.0.0/0" : "::/0"
                let present = result.routes.contains { $0.gateway != nil && $0.destination.description == defaultDestination }
                if !present {
                    result.routes.append(CNIResult.Route(destination: IPNetwork(defaultDestination)!, gateway: ip.gateway))
                }
                defaultRouteFound.insert(isIPv4)
            }
            if isGateway, let gateway = ip.gateway {
                do {
                    bridgeAddresses.append(try IPNetwork(address: gateway, prefixLength: ip.address.prefixLength))
                } catch {
                    throw CNIError(.invalidNetworkConfig, "bridge: invalid gateway \(gateway)", details: error.description)
                }
            }
            result.ips[index] = ip
        }
        return bridgeAddresses
    }
}

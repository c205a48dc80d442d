import LinuxSystem
import Netlink

/// The `loopback` plugin: brings `lo` up inside `CNI_NETNS` (whatever `CNI_IFNAME` says), as the
/// reference does.
///
/// ADD returns `prevResult` unchanged when chained; otherwise `lo` with MAC `00:00:00:00:00:00` in the
/// sandbox and its first IPv4 and IPv6 addresses (`127.0.0.1/8`, `::1/128`). DEL takes `lo` down and
/// succeeds when the namespace is already gone. CHECK fails (code 103) while `lo` is down.
public struct Loopback: Plugin {
    public init() {}

    public func add(_ request: PluginRequest) async throws(CNIError) -> CNIResult {
        let previous = try request.config.previousResult()
        let namespace = try NetworkNamespace.openSandbox(request.netns)
        let addresses = try await namespace.withNetlink("bringing lo up") { netlink in
            try netlink.setUp("lo")
            let all = try netlink.addresses(on: "lo")
            if let stray = all.first(where: { !Self.isLoopback($0.address.address) }) {
                throw CNIError(.networkSetupFailure, "loopback interface found with non-loopback address \"\(stray.address.address)\"")
            }
            return [IPFamily.v4, .v6].compactMap { family in
                all.first { ($0.address.address.isIPv4 ? IPFamily.v4 : .v6) == family }?.address
            }
        }
        if let previous { return previous }
        return CNIResult(
            cniVersion: request.config.cniVersion,
            interfaces: [.init(name: "lo", mac: "00:00:00:00:00:00", sandbox: request.netns)],
            ips: addresses.map { .init(interface: 0, address: $0) })
    }

    public func delete(_ request: PluginRequest) async throws(CNIError) {
        guard !request.netns.isEmpty else { return }
        let namespace: NetworkNamespace
        do {
            namespace = try NetworkNamespace.openSandbox(request.netns)
        } catch where error.code == .unknownContainer {
            return
        }
        try await namespace.withNetlink("taking lo down") { try $0.setDown("lo") }
    }

    public func check(_ request: PluginRequest) async throws(CNIError) {
        let namespace = try NetworkNamespace.openSandbox(request.netns)
        let up = try await namespace.withNetlink("reading lo") { try $0.link(named: "lo").isUp }
        guard up else { throw CNIError(.networkSetupFailure, "loopback interface is down") }
    }

    private static func isLoopback(_ address: IPAddress) -> Bool {
        switch address {
        case .v4(let v4): v4.value >> 24 == 127
        case .v6(let v6): v6.value == 1
        }
    }
}

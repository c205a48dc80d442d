import LinuxSystem
import Netlink

/// The `bridge` plugin: connects the sandbox to a host bridge through a veth pair and configures the
/// addresses its IPAM plugin hands out, following the reference's ADD/DEL.
///
/// ADD: ensure the bridge (create, promiscuous if asked, up), create the veth from inside the sandbox
/// with the host end (`veth` + 8 hex digits) directly in the host namespace, enslave it with hairpin
/// mode, isolation and VLANs, install the MAC spoof check, run IPAM (none: layer 2 only),
/// fill in gateways (``Gateways``), configure the sandbox interface and routes, give the bridge its
/// gateway addresses and enable forwarding. The result lists `[bridge, host veth, container veth]` with
/// every IP on interface 2. A failure after the veth exists removes it again, and releases the IPAM
/// allocation when that was made.
///
/// DEL: IPAM DEL, delete the sandbox interface, remove the masquerading rules and the MAC spoof
/// check; a missing namespace or interface is success.
///
/// `hostNamespace` is where the bridge lives: the plugin's own namespace unless a test or a daemon
/// passes one. In the plugin's own namespace the host steps run on the calling thread, and so do ADD's
/// sandbox steps (the thread moves in and back); in a plugin process (``PluginRunner/main()``) DEL's
/// too, so the process never starts a thread. Each step asks the kernel as little as it can: the
/// veth's container end comes back from its creation (with the host end's index), the host end is
/// enslaved and brought up in one request, a bridge that is already up is read once. DEL reads the
/// interface and leaves its deletion to a ``DetachedLinkDeletion`` (asked by a child in a plugin
/// process, by a thread in a daemon), answering once the kernel has unregistered both ends, not
/// 15–30 ms later once it has reclaimed them.
public struct Bridge: Plugin {
    private let hostNamespace: NetworkNamespace?
    private let ipam: IPAMDelegate
    private let masquerade: any Masquerade

    /// `masquerade` implements `ipMasq`; by default nftables rules in the host namespace.
    public init(hostNamespace: NetworkNamespace? = nil, ipam: IPAMDelegate = IPAMDelegate(), masquerade: (any Masquerade)? = nil) {
        self.hostNamespace = hostNamespace
        self.ipam = ipam
        self.masquerade = masquerade ?? NFTablesMasquerade(namespace: hostNamespace)
    }

    public func add(_ request: PluginRequest) async throws(CNIError) -> CNIResult {
        let config = try BridgeConfig(request.config, args: request.environment.args)
        let host = try hostNamespace.unwrapped(orElse: Self.currentNamespace)
        let sandbox = try NetworkNamespace.openSandbox(request.netns)
        let bridge = try await NetworkNamespace.withNetlink(in: hostNamespace, "setting up bridge \(config.bridge)") { try BridgeHost.ensureBridge($0, config) }

        let ifName = request.ifName
        let (container, hostName) = try await sandbox.withNetlink("creating veth \(ifName)", onCallingThread: hostNamespace == nil) {
            try BridgeContainer.createVeth($0, ifName: ifName, hostName: Self.hostVethName, host: host, mtu: config.mtu, mac: config.mac)
        }
        var allocated = false
        let spoofCheck = MacSpoofCheck.id(containerID: request.containerID, ifName: ifName)
        do throws(CNIError) {
            let port = try await NetworkNamespace.withNetlink(in: hostNamespace, "attaching \(hostName) to \(config.bridge)") {
                try BridgeHost.attachPort($0, hostName, index: container.parentIndex, bridge: bridge, config)
            }
            if config.macSpoofCheck, let mac = container.macAddress?.description {
                try await NetworkNamespace.withNetfilter(in: hostNamespace, "setting up macspoofchk") { try MacSpoofCheck.setUp($0, id: spoofCheck, hostVeth: hostName, mac: mac) }
            }
            var result = CNIResult(interfaces: [
                .init(name: bridge.name, mac: bridge.macAddress?.description),
                .init(name: port.name, mac: port.macAddress?.description),
                .init(name: container.name, mac: container.macAddress?.description, sandbox: request.netns),
            ])
            if config.isLayer3 {
                let ipamResult = try await ipam.add(request).converted(to: .current)
                allocated = true
                guard !ipamResult.ips.isEmpty else { throw CNIError(.invalidNetworkConfig, "IPAM plugin returned missing IP config") }
                (result.ips, result.routes, result.dns) = (ipamResult.ips, ipamResult.routes, ipamResult.dns)
                try await configureLayer3(&result, config, request, sandbox: sandbox, bridge: bridge, container: container)
            } else if !config.disableContainerInterface {
                try await sandbox.withNetlink("setting \(ifName) up", onCallingThread: hostNamespace == nil) { try $0.setUp(.index(container.index)) }
            }
            if let dns = config.dns { result.dns = dns }
            return result
        } catch {
            if allocated { try? await ipam.run(.delete, request) }
            if config.macSpoofCheck { try? await NetworkNamespace.withNetfilter(in: hostNamespace, "removing macspoofchk") { try MacSpoofCheck.tearDown($0, id: spoofCheck) } }
            _ = try? await sandbox.withNetlink("removing \(ifName)", onCallingThread: hostNamespace == nil) {
                try BridgeContainer.deleteVeth($0, ifName: ifName, readingAddresses: false)
            }
            throw error
        }
    }

    /// Gateways, sandbox addresses and routes, bridge addresses, forwarding and masquerading for the
    /// addresses IPAM gave (`result` has them already).
    private func configureLayer3(
        _ result: inout CNIResult, _ config: BridgeConfig, _ request: PluginRequest,
        sandbox: NetworkNamespace, bridge: Link, container: Link
    ) async throws(CNIError) {
        let ifName = request.ifName
        let gateways = try Gateways.apply(to: &result, isGateway: config.isGateway, isDefaultGateway: config.isDefaultGateway)
        let configured = result
        try await sandbox.withNetlink("configuring \(ifName)", onCallingThread: hostNamespace == nil) {
            try BridgeContainer.configure($0, ifName: ifName, index: container.index, result: configured, enableDAD: config.enableDAD)
        }
        if config.isGateway {
            let refreshed = try await NetworkNamespace.withNetlink(in: hostNamespace, "adding gateway addresses to \(config.bridge)") { netlink in
                for gateway in gateways { try BridgeHost.ensureAddress(netlink, gateway, bridgeIndex: bridge.index, config) }
                try BridgeHost.enableForwarding(
                    ipv4: gateways.contains { $0.address.isIPv4 }, ipv6: gateways.contains { !$0.address.isIPv4 })
                return try netlink.link(.index(bridge.index))
            }
            result.interfaces[0].mac = refreshed.macAddress?.description
        }
        if config.ipMasq {
            try await masquerade.setUp(result.ips.map(\.address), network: request.config.name, request.environment)
        }
    }

    public func delete(_ request: PluginRequest) async throws(CNIError) {
        let config = try BridgeConfig(request.config, args: request.environment.args)
        if config.isLayer3 { try await ipam.run(.delete, request) }
        var addresses: [IPNetwork] = []
        if !request.netns.isEmpty {
            do throws(CNIError) {
                let sandbox = try NetworkNamespace.openSandbox(request.netns)
                let ifName = request.ifName
                let masquerades = config.ipMasq
                // The kernel's reclamation of the veth is left to an asker (see BridgeContainer): a
                // child in a plugin process, whose caller waits for it to exit, a thread elsewhere.
                let watch = await hostLinkWatch()
                let asker: DetachedLinkDeletion.Asker = InlineExecution.isActive ? .childProcess : .thread
                addresses = try await sandbox.withNetlink("removing \(ifName)") {
                    try BridgeContainer.deleteVeth($0, ifName: ifName, readingAddresses: masquerades, watch: watch, asker: asker)
                }
            } catch where error.code == .unknownContainer {
                // The sandbox is gone and took the veth with it.
            }
        }
        if config.ipMasq {
            try await masquerade.tearDown(addresses, network: request.config.name, request.environment)
        }
        if config.macSpoofCheck {
            let id = MacSpoofCheck.id(containerID: request.containerID, ifName: request.ifName)
            try await NetworkNamespace.withNetfilter(in: hostNamespace, "removing macspoofchk") { try MacSpoofCheck.tearDown($0, id: id) }
        }
    }

    /// A ``LinkWatch`` on the host namespace, where the veths' host ends are; `nil` when none can be
    /// opened (DEL then waits for the kernel's answer).
    private func hostLinkWatch() async -> LinkWatch? {
        guard let hostNamespace else { return try? LinkWatch() }
        return try? await hostNamespace.perform { try LinkWatch() }
    }

    public func check(_ request: PluginRequest) async throws(CNIError) {
        let config = try BridgeConfig(request.config, args: request.environment.args)
        guard let previous = try request.config.previousResult() else {
            throw CNIError(.invalidNetworkConfig, "bridge: CHECK needs prevResult")
        }
        if config.isLayer3 { try await ipam.run(.check, request) }
        let sandbox = try NetworkNamespace.openSandbox(request.netns)
        let ifName = request.ifName
        let present = try await sandbox.withNetlink("reading \(ifName)") { netlink in
            Set(try netlink.addresses(on: .name(ifName)).map(\.address))
        }
        for ip in previous.ips where ip.interface == 2 && !present.contains(ip.address) {
            throw CNIError(.networkSetupFailure, "bridge: \(ifName) is missing address \(ip.address)")
        }
    }

    /// GC: IPAM's GC, then the masquerading rules of attachments no longer valid.
    public func garbageCollect(_ request: PluginRequest) async throws(CNIError) {
        let config = try BridgeConfig(request.config)
        if config.isLayer3 { try await ipam.run(.garbageCollect, request) }
        if config.ipMasq {
            try await masquerade.garbageCollect(network: request.config.name, valid: try request.config.requiredValidAttachments())
        }
    }

    /// STATUS: the bridge is ready when its IPAM plugin is.
    public func status(_ request: PluginRequest) async throws(CNIError) {
        let config = try BridgeConfig(request.config)
        if config.isLayer3 { try await ipam.run(.status, request) }
    }

    private static func currentNamespace() throws(CNIError) -> NetworkNamespace {
        // The plugin's own namespace: the host's, since only dedicated threads ever setns.
        do {
            return try NetworkNamespace.current()
        } catch {
            throw CNIError(.networkSetupFailure, "failed to open the host network namespace", details: String(describing: error))
        }
    }

    /// `veth` and eight random hex digits, as the reference names host ends.
    private static func hostVethName() -> String {
        let digits = String(UInt32.random(in: .min ... .max), radix: 16)
        return "veth" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// Source NAT for addresses leaving their subnet (the bridge's `ipMasq`), behind a protocol so the
/// nftables implementation can be swapped or faked.
public protocol Masquerade: Sendable {
    /// Masquerades traffic from `addresses` to anywhere outside their subnets.
    func setUp(_ addresses: [IPNetwork], network: String, _ environment: PluginEnvironment) async throws(CNIError)
    /// Removes what ``setUp(_:network:_:)`` installed for the attachment; nothing installed is fine.
    func tearDown(_ addresses: [IPNetwork], network: String, _ environment: PluginEnvironment) async throws(CNIError)
    /// Removes the rules of `network` whose attachment is not in `valid`.
    func garbageCollect(network: String, valid: [GCAttachment]) async throws(CNIError)
}

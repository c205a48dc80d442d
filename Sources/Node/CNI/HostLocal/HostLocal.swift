import FoundationEssentials
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// The `host-local` IPAM plugin: hands out addresses from configured ranges, remembered in files under
/// `dataDir/<network>` (default `/var/lib/cni/networks`), compatible with the reference's store so
/// either binary can take over the other's allocations.
///
/// - ADD reserves one address per range set (a requested one when `IP=`/`ips` name one in the set)
///   under the store's lock, releasing what it took if a later set fails.
/// - DEL releases the attachment's addresses; releasing nothing succeeds.
/// - CHECK fails with code 102 when the attachment holds no address.
/// - GC frees every reservation not owned by an attachment in `cni.dev/valid-attachments` (which
///   must be present: a GC without it is refused rather than taken to mean "none are valid").
/// - STATUS answers 50 when the data directory cannot be created or written.
///
/// An exhausted range set is code 100, not 11: the spec keeps 11 for conditions that clear up by
/// themselves, while a full range stays full until something is deleted, and a runtime retrying in a
/// loop would only hide the leak.
public struct HostLocal: Plugin {
    public init() {}

    public func add(_ request: PluginRequest) async throws(CNIError) -> CNIResult {
        let config = try HostLocalConfig(request)
        var result = CNIResult(cniVersion: .current)
        if let resolvConf = config.resolvConf { result.dns = try ResolvConf.parse(path: resolvConf) }
        let containerID = request.containerID, ifName = request.ifName
        result.ips = try await AllocationStore.locked(network: config.networkName, dataDirectory: config.dataDirectory) { store throws(CNIError) -> [CNIResult.IPConfig] in
            var remaining = config.requestedAddresses
            var allocated: [CNIResult.IPConfig] = []
            do throws(CNIError) {
                for (index, rangeSet) in config.rangeSets.enumerated() {
                    let requested = remaining.firstIndex(where: rangeSet.contains).map { remaining.remove(at: $0) }
                    let allocator = AddressAllocator(rangeSet: rangeSet, store: store, index: index)
                    do throws(CNIError) {
                        allocated.append(try allocator.allocate(containerID: containerID, ifName: ifName, requested: requested))
                    } catch {
                        throw CNIError(error.code, "failed to allocate for range \(index): \(error.msg)", details: error.details)
                    }
                }
                guard remaining.isEmpty else {
                    throw CNIError(
                        .requestedAddressUnavailable,
                        "failed to allocate all requested IPs: \(remaining.map(\.description).joined(separator: " "))")
                }
            } catch {
                for config in allocated { try? store.remove(config.address.address) }
                throw error
            }
            return allocated
        }
        result.routes = config.routes
        return result
    }

    public func delete(_ request: PluginRequest) async throws(CNIError) {
        let config = try HostLocalConfig(request)
        let containerID = request.containerID, ifName = request.ifName
        try await AllocationStore.locked(network: config.networkName, dataDirectory: config.dataDirectory) { store throws(CNIError) in
            try store.release(containerID: containerID, ifName: ifName)
        }
    }

    public func check(_ request: PluginRequest) async throws(CNIError) {
        let config = try HostLocalConfig(request)
        let containerID = request.containerID, ifName = request.ifName
        let found = try await AllocationStore.locked(network: config.networkName, dataDirectory: config.dataDirectory) { store in
            !store.addresses(containerID: containerID, ifName: ifName).isEmpty
        }
        guard found else {
            throw CNIError(.attachmentNotFound, "host-local: Failed to find address added by container \(request.containerID)")
        }
    }

    public func garbageCollect(_ request: PluginRequest) async throws(CNIError) {
        let config = try HostLocalConfig(request)
        let valid = try request.config.requiredValidAttachments()
        try await AllocationStore.locked(network: config.networkName, dataDirectory: config.dataDirectory) { store throws(CNIError) in
            for reservation in store.reservations() where !valid.contains(where: reservation.isOwned) {
                try store.remove(reservation.address)
            }
        }
    }

    public func status(_ request: PluginRequest) async throws(CNIError) {
        let config = try HostLocalConfig(request)
        do throws(CNIError) {
            let store = try AllocationStore(network: config.networkName, dataDirectory: config.dataDirectory)
            guard access(store.directory, W_OK) == 0 else {
                throw CNIError.io("data directory \(store.directory) is not writable", SystemError.lastError("access", context: store.directory))
            }
        } catch {
            throw CNIError(.pluginNotAvailable, "host-local: \(error.msg)", details: error.details)
        }
    }
}

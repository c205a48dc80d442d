import CNI
import Logging

extension ContainerRuntime {
    /// CNI GC of the default network, the sandboxes this runtime knows being the valid attachments: what a pod that
    /// no longer exists still holds — host-local's address reservations (on disk, so a reboot or a runtime killed
    /// between ADD and its record leaves them taken for good), portmap's and the bridge's rules — is released. Run
    /// once at start, before any call is served (an attachment made meanwhile would look stale); nothing happens while
    /// no network config is loaded, and failures are logged, never fatal.
    func collectNetworkGarbage() async {
        guard let network = try? ConfigDirectory(path: configuration.cniConfigDirectory).defaultNetwork() else { return }
        let valid = sandboxes.values.filter { !$0.hostNetwork }.map { GCAttachment(containerID: $0.id, ifname: "eth0") }
        do {
            try await cni.garbageCollect(network, validAttachments: valid)
            logger.info("CNI garbage collected", metadata: ["network": "\(network.name)", "validAttachments": "\(valid.count)"])
        } catch {
            logger.warning("CNI garbage collection failed", metadata: ["network": "\(network.name)", "error": "\(error)"])
        }
    }
}

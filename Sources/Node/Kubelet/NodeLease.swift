import KubeAPI
import KubeClient
import Logging

/// The node's heartbeat: the Lease `kube-node-lease/<node>` held by the node and renewed every
/// `leaseRenewInterval` (10 s upstream), which the node lifecycle controller watches.
struct NodeLease: Sendable {
    let client: KubeClient
    let nodeName: String
    let renewInterval: Duration
    let durationSeconds: Int32
    let logger: Logger

    func run() async {
        while !Task.isCancelled {
            do {
                try await renew()
            } catch {
                logger.warning("failed to renew the node lease", metadata: ["node": "\(nodeName)", "error": "\(error)"])
            }
            try? await Task.sleep(for: renewInterval)
        }
    }

    func renew() async throws {
        let now = MicroTime.now()
        let existing: Lease?
        do {
            existing = try await client.get(Lease.self, name: nodeName, namespace: "kube-node-lease")
        } catch {
            guard error.isNotFound else { throw error }
            existing = nil
        }
        guard var lease = existing else {
            let lease = Lease(metadata: ObjectMeta(name: nodeName, namespace: "kube-node-lease"),
                              spec: LeaseSpec(holderIdentity: nodeName, leaseDurationSeconds: durationSeconds, acquireTime: now, renewTime: now))
            _ = try await client.create(lease)
            return
        }
        lease.spec = LeaseSpec(holderIdentity: nodeName, leaseDurationSeconds: durationSeconds,
                               acquireTime: lease.spec?.acquireTime, renewTime: now, leaseTransitions: lease.spec?.leaseTransitions)
        _ = try await client.update(lease)
    }
}

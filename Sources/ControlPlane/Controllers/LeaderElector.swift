import Foundation
import KubeAPI
import KubeClient
import Logging
import Synchronization

/// Leader election over a coordination.k8s.io/v1 `Lease`, as client-go's `leaderelection` does it, so several
/// `swiftlet server`s can run controllers with exactly one of them active.
///
/// A candidate takes the lease when it is free or its holder has not renewed it for `leaseDuration` (measured
/// with the local clock from when this candidate last saw the lease change, so clock skew between servers does not
/// matter), renews it every `retryPeriod`, and steps down when it cannot renew within `renewDeadline`. Every write
/// is a compare-and-swap on the lease's resourceVersion. On shutdown the leader releases the lease (empty holder),
/// so another candidate takes over at once instead of after `leaseDuration`.
///
/// ```swift
/// let elector = LeaderElector(client: client, configuration: .init(identity: "host_\(UUID())"), logger: logger)
/// await elector.run { await runControllers() }    // until cancelled; the body is cancelled on losing the lease
/// ```
public final class LeaderElector: Sendable {
    /// Timing and identity of the election; the defaults are kube-controller-manager's except the 2 s renew.
    public struct Configuration: Sendable, Hashable {
        public var leaseName: String
        public var namespace: String
        /// This candidate's `holderIdentity`, unique per process (`hostname_uuid`).
        public var identity: String
        public var leaseDuration: Duration
        public var renewDeadline: Duration
        public var retryPeriod: Duration

        public init(leaseName: String = "kube-controller-manager", namespace: String = "kube-system",
                    identity: String = LeaderElector.defaultIdentity(), leaseDuration: Duration = .seconds(15),
                    renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2)) {
            self.leaseName = leaseName
            self.namespace = namespace
            self.identity = identity
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
        }
    }

    private struct Observed {
        var spec: LeaseSpec?
        var time = ContinuousClock.now
        var leading = false
    }

    public let configuration: Configuration
    private let client: KubeClient
    private let logger: Logger
    private let observed = Mutex(Observed())

    public init(client: KubeClient, configuration: Configuration, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
    }

    /// `hostname_uuid`, upstream's identity format.
    public static func defaultIdentity() -> String {
        "\(ProcessInfo.processInfo.hostName)_\(UUID().uuidString.lowercased())"
    }

    /// Whether this candidate holds the lease now.
    public var isLeader: Bool { observed.withLock { $0.leading } }

    /// Campaigns until the calling task is cancelled: runs `whileLeading` each time the lease is won and cancels it
    /// when the lease is lost; on cancellation releases the lease if held.
    public func run(whileLeading: @escaping @Sendable () async -> Void) async {
        while !Task.isCancelled {
            guard await acquire() else { break }
            logger.info("became leader", metadata: ["lease": "\(configuration.namespace)/\(configuration.leaseName)",
                                                    "identity": "\(configuration.identity)"])
            let leading = Task { await whileLeading() }
            await renewWhileLeading()
            leading.cancel()
            await leading.value
            observed.withLock { $0.leading = false }
            if Task.isCancelled {
                // The release must reach the server although this task is cancelled: run it in a fresh task.
                await Task { await self.release() }.value
                break
            }
            logger.warning("lost leadership", metadata: ["identity": "\(configuration.identity)"])
        }
    }

    /// Retries every `retryPeriod` until the lease is ours — sooner when the holder's lease runs out before the
    /// next retry, so a takeover does not wait for the next period; `false` if cancelled first.
    private func acquire() async -> Bool {
        while !Task.isCancelled {
            if await tryAcquireOrRenew() { return true }
            let untilExpiry = observed.withLock { o -> Duration in
                let duration = Duration.seconds(Int(o.spec?.leaseDurationSeconds ?? 15))
                return o.time + duration - ContinuousClock.now + .milliseconds(10)
            }
            let wait = min(configuration.retryPeriod, max(untilExpiry, .milliseconds(10)))
            guard (try? await Task.sleep(for: wait)) != nil else { return false }
        }
        return false
    }

    /// Renews every `retryPeriod`; returns when a renewal has not succeeded for `renewDeadline` or on cancellation.
    private func renewWhileLeading() async {
        var lastRenewal = ContinuousClock.now
        while !Task.isCancelled {
            guard (try? await Task.sleep(for: configuration.retryPeriod)) != nil else { return }
            if await tryAcquireOrRenew() {
                lastRenewal = .now
            } else if ContinuousClock.now - lastRenewal >= configuration.renewDeadline {
                return
            }
        }
    }

    /// One attempt (client-go's `tryAcquireOrRenew`): create the lease, renew it, or take it over if expired.
    func tryAcquireOrRenew() async -> Bool {
        let now = MicroTime.now()
        let me = configuration.identity
        var desired = LeaseSpec(holderIdentity: me, leaseDurationSeconds: Int32(configuration.leaseDuration.components.seconds),
                                acquireTime: now, renewTime: now, leaseTransitions: 0)
        do {
            let lease: Lease
            do {
                lease = try await client.get(Lease.self, name: configuration.leaseName, namespace: configuration.namespace)
            } catch let error where error.isNotFound {
                let created = try await client.create(Lease(metadata: ObjectMeta(name: configuration.leaseName, namespace: configuration.namespace),
                                                            spec: desired))
                record(created.spec, leading: true)
                return true
            }
            let current = lease.spec ?? LeaseSpec()
            let holder = current.holderIdentity ?? ""
            let expired = observed.withLock { o -> Bool in
                if o.spec != current { o.spec = current; o.time = .now }
                let duration = Duration.seconds(Int(current.leaseDurationSeconds ?? 15))
                return ContinuousClock.now - o.time > duration
            }
            if !holder.isEmpty, holder != me, !expired {
                record(current, leading: false)
                return false
            }
            if holder == me {
                desired.acquireTime = current.acquireTime
                desired.leaseTransitions = current.leaseTransitions
            } else {
                desired.leaseTransitions = (current.leaseTransitions ?? 0) + 1
            }
            var updated = lease
            updated.spec = desired
            let stored = try await client.update(updated)
            record(stored.spec, leading: true)
            return true
        } catch {
            logger.debug("lease acquire/renew failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Gives the lease up: empty holder, 1 s duration, as client-go's `ReleaseOnCancel`.
    private func release() async {
        do {
            var lease = try await client.get(Lease.self, name: configuration.leaseName, namespace: configuration.namespace)
            guard lease.spec?.holderIdentity == configuration.identity else { return }
            let now = MicroTime.now()
            lease.spec = LeaseSpec(holderIdentity: "", leaseDurationSeconds: 1, acquireTime: now, renewTime: now,
                                   leaseTransitions: lease.spec?.leaseTransitions)
            _ = try await client.update(lease)
            logger.info("released leadership", metadata: ["identity": "\(configuration.identity)"])
        } catch {
            logger.warning("could not release the lease", metadata: ["error": "\(error)"])
        }
    }

    /// Remembers the lease as last seen (restarting the expiry clock when it changed) and whether we hold it.
    private func record(_ spec: LeaseSpec?, leading: Bool) {
        observed.withLock { o in
            if o.spec != spec { o.spec = spec; o.time = .now }
            o.leading = leading
        }
    }
}

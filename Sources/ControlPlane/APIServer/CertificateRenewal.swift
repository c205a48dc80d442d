import Logging
import ServiceLifecycle

/// Keeps certificates the server issued itself fresh while it runs: every `interval` each renewal re-issues its
/// certificate if less than a fifth of its lifetime is left (`IssuedCertificate.needsRotation`). One loop for the
/// serving and kubelet-client certificates, the admin kubeconfig and the in-process components' client certificates,
/// so they all follow `--certificate-validity`'s check interval.
public struct CertificateRenewal: ServiceLifecycle.Service {
    /// One certificate to keep fresh.
    public struct Renewal: Sendable {
        /// What the certificate is, for the log ("the serving certificate").
        public var name: String
        /// Re-issues the certificate when it is due and logs what it renewed; true if it did.
        public var renewIfDue: @Sendable () async throws -> Bool

        public init(_ name: String, renewIfDue: @escaping @Sendable () async throws -> Bool) {
            self.name = name
            self.renewIfDue = renewIfDue
        }
    }

    public let interval: Duration
    public let renewals: [Renewal]
    public let logger: Logger

    public init(every interval: Duration, _ renewals: [Renewal], logger: Logger) {
        self.interval = interval
        self.renewals = renewals
        self.logger = logger
    }

    /// As a service of the server's group: until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await renewPeriodically() }
    }

    /// Checks every `interval` until the task is cancelled; a failed renewal is logged and tried again next time.
    public func renewPeriodically() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            for renewal in renewals {
                do { _ = try await renewal.renewIfDue() } catch {
                    logger.error("cannot renew \(renewal.name)", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}

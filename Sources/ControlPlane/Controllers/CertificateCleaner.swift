import ClusterPKI
import Foundation
import KubeAPI
import KubeClient
import Logging
import Metrics

/// Upstream's `csrcleaner` (`certificatesigningrequest-cleaner-controller`): every hour (and once at start) deletes
/// the CertificateSigningRequests that are done with — issued and approved more than an hour ago, denied or failed
/// more than an hour ago, still pending a day after creation, or holding a certificate that has expired — with
/// upstream's fixed periods (kube-controller-manager has no flags for them).
public struct CertificateCleaner: Controller {
    public static let controllerName = "certificatesigningrequest-cleaner-controller"
    public var name: String { Self.controllerName }

    /// Upstream's `pollingInterval`, `approvedExpiration`, `deniedExpiration` and `pendingExpiration`.
    public static let pollingInterval: Duration = .seconds(3600)
    static let approvedExpiration: TimeInterval = 3600
    static let deniedExpiration: TimeInterval = 3600
    static let pendingExpiration: TimeInterval = 24 * 3600

    let client: KubeClient
    let requests: Informer<CertificateSigningRequest>
    let interval: Duration
    let logger: Logger
    let deleted = Counter(label: "certificatesigningrequest_cleaner_deletions_total")

    public init(context: ControllerContext, interval: Duration = pollingInterval) {
        client = context.client
        requests = context.informers.informer(CertificateSigningRequest.self)
        self.interval = interval
        logger = context.logger(for: Self.controllerName)
    }

    public func run(workers: Int) async {
        while !Task.isCancelled {
            await sweep()
            try? await Task.sleep(for: interval)
        }
    }

    /// One pass over the cached requests.
    func sweep(now: Date = Date()) async {
        for csr in requests.list() {
            guard let name = csr.metadata.name, let reason = Self.expiry(csr, now: now) else { continue }
            do {
                try await client.delete(CertificateSigningRequest.self, name: name,
                                        options: DeleteOptions(preconditions: .init(uid: csr.metadata.uid)))
                deleted.increment()
                logger.info("cleaned up certificate signing request", metadata: ["csr": "\(name)", "reason": "\(reason)"])
            } catch where error.isNotFound || error.isConflict {
                continue
            } catch {
                logger.error("cannot delete certificate signing request", metadata: ["csr": "\(name)", "error": "\(error)"])
            }
        }
    }

    /// Why `csr` is due for deletion at `now` (upstream's `isIssuedPastDeadline`, `isDeniedPastDeadline`,
    /// `isFailedPastDeadline`, `isPendingPastDeadline`, `isIssuedExpired`), or nil when it is kept.
    static func expiry(_ csr: CertificateSigningRequest, now: Date) -> String? {
        func older(_ time: Time?, than age: TimeInterval) -> Bool {
            guard let time else { return false }
            return now.timeIntervalSince(time.date) > age
        }
        let conditions = csr.status?.conditions ?? []
        let certificate = csr.status?.certificate ?? Data()
        let approved = conditions.first { $0.type == "Approved" }
        if !certificate.isEmpty, let approved, older(approved.lastUpdateTime, than: approvedExpiration) {
            return "issued more than \(Int(approvedExpiration)) s ago"
        }
        if let denied = conditions.first(where: { $0.type == "Denied" }), older(denied.lastUpdateTime, than: deniedExpiration) {
            return "denied more than \(Int(deniedExpiration)) s ago"
        }
        if let failed = conditions.first(where: { $0.type == "Failed" }), older(failed.lastUpdateTime, than: deniedExpiration) {
            return "failed more than \(Int(deniedExpiration)) s ago"
        }
        if conditions.isEmpty, older(csr.metadata.creationTimestamp, than: pendingExpiration) {
            return "pending for more than \(Int(pendingExpiration)) s"
        }
        if approved != nil, !certificate.isEmpty,
           let notAfter = IssuedCertificate.notAfter(ofPEM: String(decoding: certificate, as: UTF8.self)), notAfter < now {
            return "its certificate expired at \(notAfter)"
        }
        return nil
    }
}

import ClusterPKI
@testable import Controllers
import Foundation
import KubeAPI
import Testing

/// The csrcleaner's decisions, as upstream's `isIssuedPastDeadline`, `isDeniedPastDeadline`, `isFailedPastDeadline`,
/// `isPendingPastDeadline` and `isIssuedExpired` make them; the end-to-end deletion is in CertificateSigningRequestTests.
@Suite struct CertificateCleanerTests {
    let now = Date()

    func csr(created: TimeInterval = -60, conditions: [(String, TimeInterval)] = [], certificate: String? = nil) -> CertificateSigningRequest {
        CertificateSigningRequest(
            metadata: ObjectMeta(name: "x", creationTimestamp: Time(now.addingTimeInterval(created))),
            status: CertificateSigningRequestStatus(
                conditions: conditions.isEmpty ? nil : conditions.map {
                    CertificateSigningRequestCondition(type: $0.0, lastUpdateTime: Time(now.addingTimeInterval($0.1)))
                },
                certificate: certificate.map { Data($0.utf8) }))
    }

    @Test("approved and issued: deleted an hour after approval, or once the certificate expired")
    func approved() throws {
        let ca = try CertificateAuthority.generate(commonName: "ca")
        let valid = try ca.issue(CertificateRequest(commonName: "a", usage: .client)).certificatePEM
        let expired = try ca.issue(CertificateRequest(commonName: "a", usage: .client, validity: .seconds(60)), now: now.addingTimeInterval(-600)).certificatePEM
        #expect(CertificateCleaner.expiry(csr(conditions: [("Approved", -3700)], certificate: valid), now: now) != nil)
        #expect(CertificateCleaner.expiry(csr(conditions: [("Approved", -60)], certificate: valid), now: now) == nil)
        #expect(CertificateCleaner.expiry(csr(conditions: [("Approved", -3700)]), now: now) == nil, "approved but not issued yet")
        #expect(CertificateCleaner.expiry(csr(conditions: [("Approved", -60)], certificate: expired), now: now)?.contains("expired") == true)
    }

    @Test("denied or failed: an hour; pending: a day after creation")
    func deniedFailedPending() {
        #expect(CertificateCleaner.expiry(csr(conditions: [("Denied", -3700)]), now: now) != nil)
        #expect(CertificateCleaner.expiry(csr(conditions: [("Denied", -60)]), now: now) == nil)
        #expect(CertificateCleaner.expiry(csr(conditions: [("Failed", -3700)]), now: now) != nil)
        #expect(CertificateCleaner.expiry(csr(conditions: [("Failed", -60)]), now: now) == nil)
        #expect(CertificateCleaner.expiry(csr(created: -86_500), now: now) != nil)
        #expect(CertificateCleaner.expiry(csr(created: -80_000), now: now) == nil)
    }
}

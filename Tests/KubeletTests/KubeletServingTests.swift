import ClusterPKI
import Foundation
import Logging
import Testing
@testable import Kubelet

/// What the kubelet port presents: the self-signed certificate by default; with `--rotate-server-certificates` only a
/// CSR-issued one that has not expired, otherwise nothing (the handshake fails, as upstream's).
@Suite struct KubeletServingTests {
    static let ca = try! CertificateAuthority.generate(commonName: "test-ca")

    static func issued(validFor seconds: Double, now: Date) throws -> IssuedCertificate {
        try ca.issue(CertificateRequest(commonName: "system:node:n1", organizations: ["system:nodes"], subjectAlternativeNames: ["n1", "127.0.0.1"],
                                        usage: .server, validity: .seconds(seconds)), now: now)
    }

    @Test func bootstrappingServesOnlyAnIssuedCertificateThatHasNotExpired() throws {
        let serving = KubeletServing(clientCA: Data(Self.ca.certificatePEM.utf8), logger: Logger(label: "test"))
        guard case .failure(let none) = serving.servingMaterial() else { Issue.record("served a certificate before one was issued"); return }
        #expect(none.description == "no serving certificate available for the kubelet")

        let certificate = try Self.issued(validFor: 600, now: Date())
        try serving.install(certificate)
        guard case .success(let material) = serving.servingMaterial() else { Issue.record("the issued certificate is not served"); return }
        #expect(material.notAfter == certificate.notAfter)
        // The same certificate once its notAfter has passed: not served.
        guard case .failure(let expired) = serving.servingMaterial(now: certificate.notAfter.addingTimeInterval(1)) else {
            Issue.record("served an expired certificate"); return
        }
        #expect(expired.description.hasPrefix("no serving certificate available for the kubelet: the current one expired at"))
        // A renewal puts it right.
        try serving.install(try Self.issued(validFor: 3600, now: Date()))
        guard case .success = serving.servingMaterial(now: certificate.notAfter.addingTimeInterval(1)) else { Issue.record("the renewal is not served"); return }
        _ = try serving.tlsConfiguration()
    }

    @Test func withoutRotationTheSelfSignedCertificateIsServed() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("serving-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let serving = try KubeletServing(clientCA: Data(Self.ca.certificatePEM.utf8), nodeName: "n1", addresses: ["127.0.0.1"],
                                         rootDirectory: root, logger: Logger(label: "test"))
        guard case .success(let material) = serving.servingMaterial() else { Issue.record("the self-signed certificate is not served"); return }
        #expect(material.notAfter == nil)
        #expect(FileManager.default.fileExists(atPath: root + "/pki/kubelet.crt"))
    }
}

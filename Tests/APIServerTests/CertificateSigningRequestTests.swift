import ClusterPKI
import Crypto
import Foundation
import Logging
import KubeClient
import KubeAPI
import Testing
import TestSupport

/// certificates.k8s.io/v1 CertificateSigningRequests with the real kubectl: `get csr` columns, the requester stamped
/// by the server, `kubectl certificate approve|deny` through the approval subresource (gated by `approve` on the
/// signer), csrsigning issuing with the cluster CA for `expirationSeconds`, and a signer's validation ending in
/// `Failed`.
@Suite(.serialized) struct CertificateSigningRequestTests {
    static func csr(_ name: String, commonName: String, organizations: [String], signer: String, usages: [String],
                    expirationSeconds: Int? = nil) throws -> String {
        let pem = try SigningRequest.make(commonName: commonName, organizations: organizations, key: P256.Signing.PrivateKey())
        return """
        apiVersion: certificates.k8s.io/v1
        kind: CertificateSigningRequest
        metadata: {name: \(name)}
        spec:
          request: \(Data(pem.utf8).base64EncodedString())
          signerName: \(signer)
          usages: [\(usages.map { "\"\($0)\"" }.joined(separator: ", "))]
          \(expirationSeconds.map { "expirationSeconds: \($0)" } ?? "")
          username: someone-else
        """
    }

    func waitFor(_ k: KubectlHarness, _ name: String, condition: String) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(60)
        var last = ""
        while ContinuousClock.now < deadline {
            last = try await k.ok("get", "csr", name, "--no-headers")
            if last.split(separator: " ").last.map(String.init)?.trimmingCharacters(in: .whitespacesAndNewlines) == condition { return last }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw TestSupportError("csr \(name) did not become \(condition): \(last)")
    }

    @Test(.timeLimit(.minutes(3)))
    func kubectlApprovesAndTheSignerIssuesOrFails() async throws {
        let k = try await KubectlHarness(controllers: true, serverArguments: ["--enable-bootstrap-token-auth"])
        let client = "kubernetes.io/kube-apiserver-client"
        try await k.ok("apply", "-f", "-", stdin: try Self.csr("jane", commonName: "jane", organizations: ["devs"], signer: client,
                                                                usages: ["client auth"], expirationSeconds: 86400))
        let pending = try await k.ok("get", "csr", "jane")
        #expect(pending.hasPrefix("NAME   AGE   SIGNERNAME                            REQUESTOR          REQUESTEDDURATION   CONDITION"), "\(pending)")
        #expect(pending.contains("kubernetes.io/kube-apiserver-client   kubernetes-admin   24h                 Pending"), "\(pending)")
        // The requester is the admin, whatever the body said.
        #expect(try await k.ok("get", "csr", "jane", "-o", "jsonpath={.spec.username} {.spec.groups}")
                == #"kubernetes-admin ["system:masters","system:authenticated"]"#)

        // A bootstrapper may not approve.
        try await k.ok("apply", "-f", "-", stdin: """
            apiVersion: v1
            kind: Secret
            metadata: {name: bootstrap-token-abcdef, namespace: kube-system}
            type: bootstrap.kubernetes.io/token
            stringData: {token-id: abcdef, token-secret: 0123456789abcdef, usage-bootstrap-authentication: "true"}
            """)
        let bootstrap = try k.server.kubeconfig(token: "abcdef.0123456789abcdef", name: "bootstrap")
        let refused = try await runCommand(k.kubectlPath, ["--kubeconfig", bootstrap, "certificate", "approve", "jane"],
                                           environment: ["HOME": k.workDirectory], timeout: 60)
        #expect(refused.status != 0 && refused.stderr.contains("Forbidden"), "\(refused)")

        try await k.ok("certificate", "approve", "jane")
        _ = try await waitFor(k, "jane", condition: "Approved,Issued")
        let pem = try await k.ok("get", "csr", "jane", "-o", "jsonpath={.status.certificate}")
        let certificate = String(decoding: try #require(Data(base64Encoded: pem)), as: UTF8.self)
        #expect(IssuedCertificate.subject(ofPEM: certificate) == CertificateSubject(commonName: "jane", organizations: ["devs"]))
        let lifetime = try #require(IssuedCertificate.notAfter(ofPEM: certificate)).timeIntervalSinceNow
        #expect(lifetime > 86400 - 600 && lifetime < 86400 + 5, "\(lifetime)")  // whole seconds in the certificate
        // The certificate works against the server: the CA is the cluster's.
        let ca = try CertificateAuthority(certificatePEM: try String(contentsOfFile: k.server.caFile, encoding: .utf8),
                                          keyPEM: try String(contentsOfFile: k.server.dataDirectory + "/pki/ca.key", encoding: .utf8))
        #expect(ca.signed(certificate))

        // Denied stays unsigned; a kubelet-client CSR whose subject is not a node fails the signer's validation.
        try await k.ok("apply", "-f", "-", stdin: try Self.csr("deny-me", commonName: "x", organizations: [], signer: client, usages: ["client auth"]))
        try await k.ok("certificate", "deny", "deny-me")
        _ = try await waitFor(k, "deny-me", condition: "Denied")
        try await k.ok("apply", "-f", "-", stdin: try Self.csr("not-a-node", commonName: "mallory", organizations: ["devs"],
                                                                signer: "kubernetes.io/kube-apiserver-client-kubelet",
                                                                usages: ["digital signature", "client auth"]))
        try await k.ok("certificate", "approve", "not-a-node")
        _ = try await waitFor(k, "not-a-node", condition: "Approved,Failed")
        #expect(try await k.ok("get", "csr", "not-a-node", "-o", "jsonpath={.status.conditions[?(@.type==\"Failed\")].reason}: {.status.conditions[?(@.type==\"Failed\")].message}")
                == "SignerValidationFailure: subject organization is not system:nodes")

        // Writing a certificate through status needs `sign` on the signer, not just update on the status.
        try await k.ok("apply", "-f", "-", stdin: """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: csr-status-writer}
            rules: [{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests, certificatesigningrequests/status], verbs: [get, update, patch]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: csr-status-writer}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: csr-status-writer}
            subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: sam}]
            """)
        try await k.ok("apply", "-f", "-", stdin: try Self.csr("sign-me", commonName: "y", organizations: [], signer: client, usages: ["client auth"]))
        let sam = try k.server.kubeconfig(user: "sam")
        let unsigned = try await runCommand(k.kubectlPath, ["--kubeconfig", sam, "patch", "csr", "sign-me", "--subresource=status", "--type=merge",
                                                            "-p", #"{"status":{"certificate":"LS0tLS1CRUdJTg=="}}"#],
                                            environment: ["HOME": k.workDirectory], timeout: 60)
        #expect(unsigned.status != 0 && unsigned.stderr.contains(#"user not permitted to sign requests with signerName "kubernetes.io/kube-apiserver-client""#),
                "\(unsigned)")

        // Validation as upstream words it.
        let invalid = try await k.kubectl("apply", "-f", "-", stdin: try Self.csr("short", commonName: "x", organizations: [], signer: client,
                                                                                   usages: ["client auth", "flying"], expirationSeconds: 60))
        #expect(invalid.stderr.contains("spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)"), "\(invalid)")
        #expect(invalid.stderr.contains("spec.usages[1]: Unsupported value: \"flying\""), "\(invalid)")
    }

    /// The csrcleaner (run at controller start, then hourly) deletes a request approved and issued more than an hour
    /// ago and one denied more than an hour ago, and keeps a fresh pending one and one approved just now.
    @Test(.timeLimit(.minutes(3)))
    func csrcleanerDeletesOldApprovedAndDeniedRequests() async throws {
        let k = try await KubectlHarness(controllers: true)
        let client = try KubeClient(configuration: k.server.clientConfiguration(), logger: Logger(label: "test"))
        defer { Task { try? await client.shutdown() } }
        let signer = "kubernetes.io/kube-apiserver-client"
        for name in ["old-approved", "old-denied", "new-approved", "new-pending"] {
            try await k.ok("apply", "-f", "-", stdin: try Self.csr(name, commonName: name, organizations: [], signer: signer, usages: ["client auth"]))
        }
        let longAgo = Time(Date(timeIntervalSinceNow: -7200))
        for (name, type, time) in [("old-approved", "Approved", longAgo), ("old-denied", "Denied", longAgo), ("new-approved", "Approved", Time.now())] {
            var csr = try await client.get(CertificateSigningRequest.self, name: name)
            csr.status = CertificateSigningRequestStatus(conditions: [CertificateSigningRequestCondition(
                type: type, reason: "Test", message: "by the test", lastUpdateTime: time)])
            _ = try await client.updateApproval(csr)
        }
        _ = try await waitFor(k, "old-approved", condition: "Approved,Issued")
        _ = try await waitFor(k, "new-approved", condition: "Approved,Issued")
        // The cleaner swept when the controllers started, before these existed: a restart runs it again.
        try await k.server.restart()
        let deadline = ContinuousClock.now + .seconds(60)
        var names: [String] = []
        while ContinuousClock.now < deadline {
            names = (try? await k.ok("get", "csr", "-o", "jsonpath={.items[*].metadata.name}"))?.split(separator: " ").map(String.init) ?? names
            if names.sorted() == ["new-approved", "new-pending"] { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(names.sorted() == ["new-approved", "new-pending"])
        // Requests authenticated by client certificate are counted by remaining lifetime, as upstream does.
        let metrics = try await k.ok("get", "--raw", "/metrics")
        #expect(metrics.contains("apiserver_client_certificate_expiration_seconds_bucket{le=\"31104000.0\"}"), "\(metrics.prefix(3000))")
    }
}

import ClusterPKI
import Foundation
import Kubelet
import KubeAPI
import KubeClient
import Logging
import TestSupport
import Testing

/// Node TLS bootstrap end to end: an agent given only a bootstrap-token kubeconfig submits a CSR, csrapproving
/// approves it (the token's group may create `nodeclient`), csrsigning issues it, and the agent registers its Node
/// with the `system:node:<name>` certificate it wrote.
@Suite("node TLS bootstrap", .serialized)
struct TLSBootstrapTests {
    @Test(.timeLimit(.minutes(3)))
    func agentWithABootstrapTokenGetsANodeCertificateAndRegisters() async throws {
        let server = try await ServerProcess(controllers: true, extraArguments: ["--enable-bootstrap-token-auth", "--no-scheduler"])
        defer { server.stop() }
        let runtime = try await CRIHarness(.swiftlet)
        let client = try KubeClient(configuration: server.clientConfiguration(), logger: Logger(label: "test"))
        let agent = try PeerDaemon(name: "agent")
        let nodeName = "boot-" + String(UInt32.random(in: .min ... .max), radix: 16)
        do {
            try await createBootstrapToken(client)
            let bootstrap = try server.kubeconfig(token: "abcdef.0123456789abcdef", name: "bootstrap")
            let kubeconfig = runtime.root + "/agent/kubeconfig"
            let port = try freeLoopbackPorts(1)[0]
            try agent.start(try BuiltProducts.path(of: "swiftlet"), [
                "agent", "--bootstrap-kubeconfig", bootstrap, "--kubeconfig", kubeconfig, "--node-name", nodeName,
                "--root-dir", runtime.root + "/agent", "--pod-log-dir", runtime.root + "/pods",
                "--container-runtime-endpoint", "unix://" + runtime.socket,
                "--proxy-mode", "none", "--no-pod-routes", "--healthz-bind-address", "127.0.0.1:0",
                "--node-ip", "127.0.0.1", "--address", "127.0.0.1", "--port", String(port),
            ])
            let deadline = ContinuousClock.now + .seconds(90)
            var node: Node?
            while ContinuousClock.now < deadline, node == nil {
                node = try? await client.get(Node.self, name: nodeName)
                if node == nil { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(node != nil, "the node did not register; agent log:\n\(agent.logTail)")

            // The written kubeconfig names the node; the key is the owner's only.
            let certificate = try String(contentsOfFile: runtime.root + "/agent/pki/kubelet-client.crt", encoding: .utf8)
            #expect(try String(contentsOfFile: kubeconfig, encoding: .utf8).contains(Data(certificate.utf8).base64EncodedString()))
            #expect(IssuedCertificate.subject(ofPEM: certificate) == CertificateSubject(commonName: "system:node:\(nodeName)", organizations: ["system:nodes"]))
            let key = try FileManager.default.attributesOfItem(atPath: runtime.root + "/agent/pki/kubelet-client.key")
            #expect((key[.posixPermissions] as? Int) == 0o600)

            // kubectl shows the bootstrapper's request, auto-approved and issued.
            let kubectl = try #require(which("kubectl"))
            let csrs = try await runCommand(kubectl, ["--kubeconfig", server.kubeconfig, "get", "csr", "--no-headers"])
            let columns = csrs.stdout.split(whereSeparator: \.isWhitespace).map(String.init)
            #expect(columns.count == 6 && columns[0].hasPrefix("node-csr-")
                    && Array(columns[2...]) == ["kubernetes.io/kube-apiserver-client-kubelet", "system:bootstrap:abcdef", "<none>", "Approved,Issued"],
                    "\(csrs)")
            let whoami = try await runCommand(kubectl, ["--kubeconfig", kubeconfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"])
            #expect(whoami.stdout == "system:node:\(nodeName)", "\(whoami)")

            // A restart with a valid certificate does not bootstrap again.
            agent.stop()
            let restarted = try PeerDaemon(name: "agent-again")
            try restarted.start(try BuiltProducts.path(of: "swiftlet"), [
                "agent", "--bootstrap-kubeconfig", bootstrap, "--kubeconfig", kubeconfig, "--node-name", nodeName,
                "--root-dir", runtime.root + "/agent", "--pod-log-dir", runtime.root + "/pods",
                "--container-runtime-endpoint", "unix://" + runtime.socket,
                "--proxy-mode", "none", "--no-pod-routes", "--healthz-bind-address", "127.0.0.1:0",
                "--node-ip", "127.0.0.1", "--address", "127.0.0.1", "--port", String(port),
            ])
            try await Task.sleep(for: .seconds(2))
            restarted.stop()
            #expect(try await client.list(CertificateSigningRequest.self).items.count == 1)

            // An expired certificate is replaced through the bootstrap again.
            let ca = try CertificateAuthority(certificatePEM: try String(contentsOfFile: server.caFile, encoding: .utf8),
                                              keyPEM: try String(contentsOfFile: server.dataDirectory + "/pki/ca.key", encoding: .utf8))
            let expired = try ca.issue(CertificateRequest(commonName: "system:node:\(nodeName)", organizations: ["system:nodes"], usage: .client,
                                                          validity: .seconds(3600)), now: Date(timeIntervalSinceNow: -7200))
            #expect(TLSBootstrap.isExpired(Data(expired.certificatePEM.utf8)) && !TLSBootstrap.isExpired(Data(certificate.utf8)))
            try ClientKubeconfig(server: server.url, certificateAuthorityPEM: ca.certificatePEM, user: "node",
                                 credentials: .certificate(expired)).write(to: kubeconfig)
            let renewed = try PeerDaemon(name: "agent-renewed")
            try renewed.start(try BuiltProducts.path(of: "swiftlet"), [
                "agent", "--bootstrap-kubeconfig", bootstrap, "--kubeconfig", kubeconfig, "--node-name", nodeName,
                "--root-dir", runtime.root + "/agent", "--pod-log-dir", runtime.root + "/pods",
                "--container-runtime-endpoint", "unix://" + runtime.socket,
                "--proxy-mode", "none", "--no-pod-routes", "--healthz-bind-address", "127.0.0.1:0",
                "--node-ip", "127.0.0.1", "--address", "127.0.0.1", "--port", String(port),
            ])
            defer { renewed.stop() }
            let renewDeadline = ContinuousClock.now + .seconds(60)
            var fresh = false
            while ContinuousClock.now < renewDeadline, !fresh {
                let written = try? String(contentsOfFile: runtime.root + "/agent/pki/kubelet-client.crt", encoding: .utf8)
                fresh = written.map { $0 != certificate && !TLSBootstrap.isExpired(Data($0.utf8)) } ?? false
                if !fresh { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(fresh, "no new certificate; agent log:\n\(renewed.logTail)")
            #expect(try await client.list(CertificateSigningRequest.self).items.count == 2)
        } catch {
            Issue.record("agent log:\n\(agent.logTail)")
            await stop(agent, runtime, client)
            throw error
        }
        await stop(agent, runtime, client)
    }

    /// Certificate rotation while the agent runs, with certificates from `--cluster-signing-duration 60s`: the serving
    /// CSR (`--rotate-server-certificates`) waits for `kubectl certificate approve` — until then the kubelet port has
    /// no certificate — after which the port presents the CA-issued certificate, re-requested before it expires and
    /// no longer served once expired while the renewal waits for approval; the client certificate is renewed through a `selfnodeclient`
    /// auto-approved CSR at 70–90 % of its life, and the node's Lease keeps being renewed after the first certificate
    /// expired (the API server checks a client certificate's validity on every request, so only the new one works).
    @Test(.timeLimit(.minutes(6)))
    func runningAgentRotatesItsClientCertificateAndServesAnApprovedServingCertificate() async throws {
        let server = try await ServerProcess(controllers: true, extraArguments: ["--enable-bootstrap-token-auth", "--no-scheduler",
                                                                                "--cluster-signing-duration", "60s"])
        defer { server.stop() }
        let runtime = try await CRIHarness(.swiftlet)
        let client = try KubeClient(configuration: server.clientConfiguration(), logger: Logger(label: "test"))
        let agent = try PeerDaemon(name: "agent-rotating")
        let nodeName = "rot-" + String(UInt32.random(in: .min ... .max), radix: 16)
        let kubectl = try #require(which("kubectl"))
        let curl = try #require(which("curl"))
        do {
            try await createBootstrapToken(client)
            let bootstrap = try server.kubeconfig(token: "abcdef.0123456789abcdef", name: "bootstrap")
            let kubeconfig = runtime.root + "/agent/kubeconfig"
            let certificateFile = runtime.root + "/agent/pki/kubelet-client.crt"
            let port = try freeLoopbackPorts(1)[0]
            try agent.start(try BuiltProducts.path(of: "swiftlet"), [
                "agent", "--bootstrap-kubeconfig", bootstrap, "--kubeconfig", kubeconfig, "--node-name", nodeName,
                "--root-dir", runtime.root + "/agent", "--pod-log-dir", runtime.root + "/pods",
                "--container-runtime-endpoint", "unix://" + runtime.socket, "--rotate-server-certificates",
                "--proxy-mode", "none", "--no-pod-routes", "--healthz-bind-address", "127.0.0.1:0",
                "--node-ip", "127.0.0.1", "--address", "127.0.0.1", "--port", String(port),
            ])
            let first = try await eventually("the bootstrap certificate", agent) {
                try? String(contentsOfFile: certificateFile, encoding: .utf8)
            }
            let firstSerial = try #require(IssuedCertificate.serialNumber(ofPEM: first))
            let firstValidity = try #require(IssuedCertificate.validity(ofPEM: first))

            // The serving CSR waits for a person; meanwhile the port's self-signed certificate fails verification.
            let serving = try await eventually("the kubelet-serving CSR", agent) {
                try? await client.list(CertificateSigningRequest.self).items
                    .first { $0.spec.signerName == CertificateSigningRequest.kubeletServingSigner }
            }
            let servingName = try #require(serving.metadata.name)
            #expect(serving.spec.usages == ["digital signature", "server auth"])
            let pending = try await runCommand(kubectl, ["--kubeconfig", server.kubeconfig, "get", "csr", servingName, "--no-headers"])
            let columns = pending.stdout.split(whereSeparator: \.isWhitespace).map(String.init)
            #expect(Array(columns.dropFirst(2)) == ["kubernetes.io/kubelet-serving", "system:node:\(nodeName)", "<none>", "Pending"], "\(pending)")
            let healthz = [curl, "-sS", "--max-time", "5", "--cacert", server.caFile, "--cert", server.adminCertificateFile,
                           "--key", server.adminKeyFile, "https://127.0.0.1:\(port)/healthz"]
            // As upstream, no certificate at all until then: the handshake fails even for a client that verifies nothing
            // (curl's 35, SSL connect error), and the kubelet says why.
            let insecure = [curl, "-sS", "--max-time", "5", "--insecure", "https://127.0.0.1:\(port)/healthz"]
            _ = try await eventually("the kubelet port listening", agent) {
                let result = try? await runCommand(insecure[0], Array(insecure.dropFirst()))
                return result?.status == 35 ? result : nil
            }
            #expect(try String(contentsOfFile: agent.logFile, encoding: .utf8).contains("no serving certificate available for the kubelet"))

            let approve = try await runCommand(kubectl, ["--kubeconfig", server.kubeconfig, "certificate", "approve", servingName])
            #expect(approve.status == 0, "\(approve)")
            let issued = try await eventually("the issued serving certificate", agent) {
                try? await client.get(CertificateSigningRequest.self, name: servingName).status?.certificate.flatMap { $0.isEmpty ? nil : $0 }
            }
            _ = try await eventually("the kubelet port verifying against the cluster CA", agent) {
                let result = try? await runCommand(healthz[0], Array(healthz.dropFirst()))
                return result?.status == 0 && result?.stdout == "ok" ? true : nil
            }
            let presented = try await runCommand("/bin/sh", ["-c", "openssl s_client -connect 127.0.0.1:\(port) </dev/null 2>/dev/null | openssl x509 -noout -serial"])
            #expect(presented.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                    == "serial=" + (IssuedCertificate.serialNumber(ofPEM: String(decoding: issued, as: UTF8.self)) ?? "?"), "\(presented)")
            let servingValidity = try #require(IssuedCertificate.validity(ofPEM: String(decoding: issued, as: UTF8.self)))

            // The client certificate is renewed in place: a new serial, the same subject, the kubeconfig rewritten.
            let second = try await eventually("a rotated client certificate", agent, within: .seconds(150)) {
                let text = try? String(contentsOfFile: certificateFile, encoding: .utf8)
                return text.flatMap { IssuedCertificate.serialNumber(ofPEM: $0) != firstSerial ? $0 : nil }
            }
            #expect(IssuedCertificate.subject(ofPEM: second) == CertificateSubject(commonName: "system:node:\(nodeName)", organizations: ["system:nodes"]))
            #expect(try String(contentsOfFile: kubeconfig, encoding: .utf8).contains(Data(second.utf8).base64EncodedString()))
            let key = try FileManager.default.attributesOfItem(atPath: runtime.root + "/agent/pki/kubelet-client.key")
            #expect((key[.posixPermissions] as? Int) == 0o600)
            let renewals = try await client.list(CertificateSigningRequest.self).items.filter {
                $0.spec.signerName == CertificateSigningRequest.kubeAPIServerClientKubeletSigner && $0.spec.username == "system:node:\(nodeName)"
            }
            #expect(renewals.contains { $0.condition("Approved")?.reason == "AutoApproved" && !($0.status?.certificate ?? Data()).isEmpty },
                    "the renewal CSR is auto-approved (selfnodeclient) and issued: \(renewals.map { $0.metadata.name ?? "" })")

            // After the first certificate expired the agent still renews its Lease: with the new certificate.
            _ = try await eventually("a Lease renewal after the first certificate expired", agent, within: .seconds(120)) {
                let lease = try? await client.get(Lease.self, name: nodeName, namespace: "kube-node-lease")
                return (lease?.spec?.renewTime?.date).flatMap { $0 > firstValidity.upperBound.addingTimeInterval(1) ? true : nil }
            }

            // The serving certificate is re-requested before it expires; while that CSR waits for approval the expired
            // certificate is not served: handshakes fail again, as upstream's certificate manager has no current one.
            let renewal = try await eventually("a second kubelet-serving CSR", agent, within: .seconds(120)) {
                try? await client.list(CertificateSigningRequest.self).items
                    .first { $0.spec.signerName == CertificateSigningRequest.kubeletServingSigner && $0.metadata.name != servingName }
            }
            let requested = try #require(renewal.metadata.creationTimestamp?.date)
            #expect(requested < servingValidity.upperBound, "requested at \(requested), the certificate expires at \(servingValidity.upperBound)")
            #expect(renewal.status?.certificate == nil, "nobody approved the renewal")
            let wait = servingValidity.upperBound.timeIntervalSinceNow + 1
            if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
            let expired = try await runCommand(insecure[0], Array(insecure.dropFirst()))
            #expect(expired.status == 35, "the expired serving certificate must not be served: \(expired)")
            #expect(try String(contentsOfFile: agent.logFile, encoding: .utf8).contains("the current one expired at"))
        } catch {
            Issue.record("agent log:\n\(agent.logTail)")
            await stop(agent, runtime, client)
            throw error
        }
        await stop(agent, runtime, client)
    }

    /// A client certificate that expired while the agent ran is renewed with the bootstrap credentials (the expired
    /// one no longer authenticates), as upstream's kubelet falls back to them; the CSR's requester is the bootstrapper.
    @Test(.timeLimit(.minutes(3)))
    func expiredClientCertificateIsRenewedWithTheBootstrapCredentials() async throws {
        let server = try await ServerProcess(controllers: true, extraArguments: ["--enable-bootstrap-token-auth", "--no-scheduler"])
        defer { server.stop() }
        let admin = try KubeClient(configuration: server.clientConfiguration(), logger: Logger(label: "test"))
        _ = try await admin.create(Secret(metadata: ObjectMeta(name: "bootstrap-token-abcdef", namespace: "kube-system"),
                                          stringData: ["token-id": "abcdef", "token-secret": "0123456789abcdef",
                                                       "usage-bootstrap-authentication": "true"],
                                          type: "bootstrap.kubernetes.io/token"))
        let caPEM = try String(contentsOfFile: server.caFile, encoding: .utf8)
        let ca = try CertificateAuthority(certificatePEM: caPEM, keyPEM: try String(contentsOfFile: server.dataDirectory + "/pki/ca.key", encoding: .utf8))
        let nodeName = "exp-" + String(UInt32.random(in: .min ... .max), radix: 16)
        let expired = try ca.issue(CertificateRequest(commonName: "system:node:\(nodeName)", organizations: ["system:nodes"], usage: .client,
                                                      validity: .seconds(3600)), now: Date(timeIntervalSinceNow: -7200))
        let node = try KubeClient(configuration: KubeClient.Configuration(
            server: URL(string: server.url)!, certificateAuthority: Data(caPEM.utf8), clientCertificate: Data(expired.certificatePEM.utf8),
            clientKey: Data(expired.keyPEM.utf8)), logger: Logger(label: "node"))
        let lease = Lease(metadata: ObjectMeta(name: nodeName, namespace: "kube-node-lease"), spec: LeaseSpec(holderIdentity: nodeName))
        do {
            await #expect(throws: KubeClientError.self, "an expired certificate does not authenticate") { _ = try await node.create(lease) }
            let bootstrap = KubeClient.Configuration(server: URL(string: server.url)!, certificateAuthority: Data(caPEM.utf8),
                                                     bearerToken: "abcdef.0123456789abcdef")
            let manager = CertificateManager(kind: .client, template: .client(nodeName: nodeName), current: expired, client: node,
                                             fallback: bootstrap, logger: Logger(label: "manager"), store: { _ in }) { issued in
                try await node.updateClientCertificate(Data(issued.certificatePEM.utf8), key: Data(issued.keyPEM.utf8))
            }
            let issued = try await manager.rotate()
            #expect(issued.notAfter > Date() && manager.certificate == issued)
            #expect(IssuedCertificate.subject(ofPEM: issued.certificatePEM) == CertificateSubject(commonName: "system:node:\(nodeName)", organizations: ["system:nodes"]))
            _ = try await node.create(lease)
            let requests = try await admin.list(CertificateSigningRequest.self).items
            #expect(requests.map { $0.spec.username } == ["system:bootstrap:abcdef"], "\(requests.map { $0.metadata.name ?? "" })")
        } catch {
            try? await node.shutdown()
            try? await admin.shutdown()
            throw error
        }
        try? await node.shutdown()
        try? await admin.shutdown()
    }

    /// The bootstrap token `abcdef.0123456789abcdef` (kubeadm's Secret layout) the agents bootstrap with.
    func createBootstrapToken(_ client: KubeClient) async throws {
        _ = try await client.create(Secret(metadata: ObjectMeta(name: "bootstrap-token-abcdef", namespace: "kube-system"),
                                           stringData: ["token-id": "abcdef", "token-secret": "0123456789abcdef",
                                                        "usage-bootstrap-authentication": "true"],
                                           type: "bootstrap.kubernetes.io/token"))
    }

    /// Stops the agent, then its runtime, then the test's client.
    func stop(_ agent: PeerDaemon, _ runtime: CRIHarness, _ client: KubeClient) async {
        agent.stop()
        await runtime.stop()
        try? await client.shutdown()
    }

    /// Polls `probe` every 250 ms until it returns a value or `within` passes (then fails with the agent's log).
    func eventually<T>(_ what: String, _ agent: PeerDaemon, within: Duration = .seconds(90),
                       _ probe: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + within
        while ContinuousClock.now < deadline {
            if let value = try await probe() { return value }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw TestSupportError("timed out waiting for \(what); agent log:\n\(agent.logTail)")
    }
}

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
            _ = try await client.create(Secret(metadata: ObjectMeta(name: "bootstrap-token-abcdef", namespace: "kube-system"),
                                               stringData: ["token-id": "abcdef", "token-secret": "0123456789abcdef",
                                                            "usage-bootstrap-authentication": "true"],
                                               type: "bootstrap.kubernetes.io/token"))
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
            agent.stop()
            await runtime.stop()
            try? await client.shutdown()
            throw error
        }
        agent.stop()
        await runtime.stop()
        try? await client.shutdown()
    }
}

import ClusterPKI
import Foundation
import KubeAPI
import KubeClient
import Logging
import Testing
import TestSupport

/// The certificates `swiftlet server` issues itself are renewed while it runs, before they expire: with
/// `--certificate-validity 30s` (each re-issued when a fifth of its life is left), once the first ones have expired the
/// port presents a new serving certificate that verifies against the cluster CA, the admin kubeconfig works with a new
/// client certificate, and the controller manager still writes (the server checks a client certificate's validity on
/// every request, so only a renewed one gets through).
@Suite(.serialized) struct CertificateRotationTests {
    @Test(.timeLimit(.minutes(3)))
    func serverCertificatesAreRenewedBeforeTheyExpire() async throws {
        let server = try await ServerProcess(controllers: true, extraArguments: ["--certificate-validity", "30s", "--controllers", "replicaset",
                                                                                "--no-scheduler"])
        defer { server.stop() }
        let port = try #require(URL(string: server.url)?.port)
        let servingFile = server.dataDirectory + "/pki/apiserver.crt"
        let firstServing = try String(contentsOfFile: servingFile, encoding: .utf8)
        let firstAdmin = try String(contentsOfFile: server.adminCertificateFile, encoding: .utf8)
        let servingValidity = try #require(IssuedCertificate.validity(ofPEM: firstServing))
        let adminValidity = try #require(IssuedCertificate.validity(ofPEM: firstAdmin))
        // 30 s from issue (a second more for the encoding's whole seconds).
        #expect(servingValidity.upperBound.timeIntervalSinceNow <= 31 && adminValidity.upperBound.timeIntervalSinceNow <= 31)
        let firstSerial = try #require(IssuedCertificate.serialNumber(ofPEM: firstServing))
        #expect(try await presentedSerial(port) == firstSerial)

        // The test's own client has a certificate of a year (from the CA, as `kubeadm kubeconfig user` makes one).
        let client = try KubeClient(configuration: server.clientConfiguration(user: "kubernetes-admin", groups: ["system:masters"]),
                                    logger: Logger(label: "test"))
        defer { Task { try? await client.shutdown() } }
        // Past the first certificates' end, and the controller manager's (issued after the server listened).
        let wait = max(servingValidity.upperBound, adminValidity.upperBound).timeIntervalSinceNow + 3
        if wait > 0 { try await Task.sleep(for: .seconds(wait)) }

        // A new serving certificate, presented and written, for the same names (renewed every 12 s or so with these
        // lifetimes, so the file and the port are compared with the first rather than with each other); kubectl
        // verifies it against the CA and authenticates with the admin kubeconfig's renewed certificate.
        let serving = try String(contentsOfFile: servingFile, encoding: .utf8)
        #expect(serving != firstServing && IssuedCertificate.validity(ofPEM: serving)?.contains(Date()) == true)
        let presented = try await presentedSerial(port)
        #expect(presented != nil && presented != firstSerial)
        let kubectl = try #require(which("kubectl"))
        let namespaces = try await runCommand(kubectl, ["--kubeconfig", server.kubeconfig, "get", "namespaces"])
        #expect(namespaces.status == 0 && namespaces.stdout.contains("kube-system"), "\(namespaces)\n\(server.log.suffix(3000))")
        let admin = try String(contentsOfFile: server.adminCertificateFile, encoding: .utf8)
        #expect(admin != firstAdmin && IssuedCertificate.subject(ofPEM: admin)
                == CertificateSubject(commonName: "kubernetes-admin", organizations: ["system:masters"]))
        let localhost = try await runCommand("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", server.caFile,
                                                               "https://localhost:\(port)/version"])
        #expect(localhost.status == 0 && localhost.stdout == "401", "the renewed certificate names localhost too: \(localhost)")

        // The controller manager's first certificate has expired: its pod creates get through only with a renewed one.
        let labels = ["app": "rotated"]
        _ = try await client.create(ReplicaSet(
            metadata: ObjectMeta(name: "web", namespace: "default"),
            spec: ReplicaSetSpec(replicas: 2, selector: LabelSelector(matchLabels: labels),
                                 template: PodTemplateSpec(metadata: ObjectMeta(labels: labels),
                                                           spec: PodSpec(containers: [Container(name: "web", image: "nginx:1.25")])))))
        try await waitFor("the controller manager to create 2 pods", timeout: .seconds(30)) {
            (try? await client.list(Pod.self, namespace: "default", options: ListOptions(labelSelector: "app=rotated")).items.count) == 2
        }
        let log = server.log.split(separator: "\n")
        for message in ["rotated the serving certificate", "renewed the admin kubeconfig's client certificate",
                        "renewed the kubelet-client certificate", "renewed a component's client certificate"] {
            #expect(log.contains { $0.contains(message) }, "\(message)")
        }
        #expect(log.contains { $0.contains("renewed a component's client certificate") && $0.contains("system:kube-controller-manager") })
    }

    /// The serial number of the certificate the server presents on `port`, as openssl prints it.
    private func presentedSerial(_ port: Int) async throws -> String? {
        let result = try await runCommand("/bin/sh", ["-c", "openssl s_client -connect 127.0.0.1:\(port) </dev/null 2>/dev/null | openssl x509 -noout -serial"])
        let line = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return line.hasPrefix("serial=") ? String(line.dropFirst("serial=".count)) : nil
    }
}

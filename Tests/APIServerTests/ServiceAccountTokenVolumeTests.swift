import Foundation
import KubeAPI
import KubeClient
import Logging
import Testing
import TestSupport

/// The ServiceAccount admission's `kube-api-access-*` volume, the root-CA publisher's `kube-root-ca.crt`
/// ConfigMaps, and pod-bound TokenRequests as a node makes them (NodeRestriction), against `swiftlet server`.
@Suite(.serialized) struct ServiceAccountTokenVolumeTests {
    @Test(.timeLimit(.minutes(3)))
    func podsGetTheTokenVolumeAndEveryNamespaceTheRootCA() async throws {
        let k = try await KubectlHarness(serverArguments: ["--controllers", "serviceaccount-controller,root-ca-certificate-publisher-controller",
                                                          "--no-scheduler"])
        let admin = try KubeClient(configuration: k.server.clientConfiguration(), logger: Logger(label: "test"))
        defer { Task { try? await admin.shutdown() } }
        try await waitFor("the default ServiceAccount", timeout: .seconds(60)) { (try? await admin.get(ServiceAccount.self, name: "default", namespace: "default")) != nil }

        // Every namespace gets the CA; a deleted or edited copy comes back.
        let ca = try String(contentsOfFile: k.server.caFile, encoding: .utf8)
        try await k.ok("create", "namespace", "team")
        try await waitFor("kube-root-ca.crt in team") {
            (try? await admin.get(ConfigMap.self, name: "kube-root-ca.crt", namespace: "team"))?.data?["ca.crt"] == ca
        }
        let published = try await admin.get(ConfigMap.self, name: "kube-root-ca.crt", namespace: "kube-system")
        #expect(published.data == ["ca.crt": ca])
        #expect(published.metadata.annotations?["kubernetes.io/description"]?.hasPrefix("Contains a CA bundle that can be used to verify the kube-apiserver") == true)
        try await k.ok("delete", "configmap", "kube-root-ca.crt", "-n", "team")
        try await waitFor("kube-root-ca.crt to come back") {
            (try? await admin.get(ConfigMap.self, name: "kube-root-ca.crt", namespace: "team"))?.data?["ca.crt"] == ca
        }
        try await k.ok("patch", "configmap", "kube-root-ca.crt", "-n", "team", "--type=merge", "-p", #"{"data":{"ca.crt":"forged"}}"#)
        try await waitFor("the CA to be restored") {
            (try? await admin.get(ConfigMap.self, name: "kube-root-ca.crt", namespace: "team"))?.data?["ca.crt"] == ca
        }

        // A pod gets upstream's projected volume, mounted read-only in every container.
        try await k.ok("apply", "-f", "-", stdin: """
            apiVersion: v1
            kind: Pod
            metadata: {name: app}
            spec:
              nodeName: n1
              initContainers: [{name: init, image: busybox}]
              containers:
              - {name: a, image: busybox}
              - {name: b, image: busybox, volumeMounts: [{name: own, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}]}
              volumes: [{name: own, emptyDir: {}}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: opted-out}
            spec: {automountServiceAccountToken: false, containers: [{name: a, image: busybox}]}
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: quiet}
            automountServiceAccountToken: false
            """)
        let pod = try await admin.get(Pod.self, name: "app", namespace: "default")
        let volume = try #require(pod.spec?.volumes?.first { $0.name.hasPrefix("kube-api-access-") }, "\(pod.spec?.volumes ?? [])")
        #expect(volume.name.count == "kube-api-access-".count + 5)
        #expect(volume.projected == ProjectedVolumeSource(sources: [
            VolumeProjection(serviceAccountToken: ServiceAccountTokenProjection(expirationSeconds: 3607, path: "token")),
            VolumeProjection(configMap: ConfigMapProjection(name: "kube-root-ca.crt", items: [KeyToPath(key: "ca.crt", path: "ca.crt")])),
            VolumeProjection(downwardAPI: DownwardAPIProjection(items: [
                DownwardAPIVolumeFile(path: "namespace", fieldRef: ObjectFieldSelector(apiVersion: "v1", fieldPath: "metadata.namespace")),
            ])),
        ], defaultMode: 420))
        let mount = VolumeMount(name: volume.name, readOnly: true, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount")
        #expect(pod.spec?.initContainers?.first?.volumeMounts == [mount])
        #expect(pod.spec?.containers.first?.volumeMounts == [mount])
        #expect(pod.spec?.containers.last?.volumeMounts?.map(\.name) == ["own"], "a container's own mount at the path wins")
        let optedOut = try await admin.get(Pod.self, name: "opted-out", namespace: "default")
        #expect(optedOut.spec?.volumes == nil || optedOut.spec?.volumes == [])
        try await k.ok("run", "quiet-pod", "--image=busybox", "--overrides", #"{"spec":{"serviceAccountName":"quiet"}}"#)
        let quiet = try await admin.get(Pod.self, name: "quiet-pod", namespace: "default")
        #expect((quiet.spec?.volumes ?? []).isEmpty, "the ServiceAccount opted out: \(quiet.spec?.volumes ?? [])")

        // A node gets tokens only bound to its own pods; such a token dies with the pod.
        _ = try await admin.create(Pod(metadata: ObjectMeta(name: "elsewhere", namespace: "default"),
                                       spec: PodSpec(containers: [Container(name: "c", image: "busybox")], nodeName: "n2")))
        let elsewhere = try await admin.get(Pod.self, name: "elsewhere", namespace: "default")
        let n1 = try KubeClient(configuration: k.server.clientConfiguration(user: "system:node:n1", groups: ["system:nodes"]), logger: Logger(label: "n1"))
        defer { Task { try? await n1.shutdown() } }
        func request(_ pod: Pod?, uid: String? = nil) -> TokenRequest {
            TokenRequest(spec: .init(expirationSeconds: 3607, boundObjectRef: pod.map {
                BoundObjectReference(kind: "Pod", apiVersion: "v1", name: $0.metadata.name, uid: uid ?? $0.metadata.uid)
            }))
        }
        await expectForbidden(#"serviceaccounts "default" is forbidden: node requested token not bound to a pod"#) {
            _ = try await n1.createToken(serviceAccount: "default", namespace: "default", request(nil))
        }
        await expectForbidden(#"serviceaccounts "default" is forbidden: node requested token with a pod binding without a uid"#) {
            _ = try await n1.createToken(serviceAccount: "default", namespace: "default", request(pod, uid: ""))
        }
        await expectForbidden(#"serviceaccounts "default" is forbidden: node requested token bound to a pod scheduled on a different node"#) {
            _ = try await n1.createToken(serviceAccount: "default", namespace: "default", request(elsewhere))
        }
        await expectForbidden(#"cannot bind token for serviceaccount "quiet" to pod running with different serviceaccount name."#) {
            _ = try await admin.createToken(serviceAccount: "quiet", namespace: "default", request(pod))
        }
        // The pod's node, once it exists, is named in the token too (ServiceAccountTokenPodNodeInfo).
        let node = try await admin.create(Node(metadata: ObjectMeta(name: "n1")))
        let issued = try await n1.createToken(serviceAccount: "default", namespace: "default", request(pod))
        let token = try #require(issued.status?.token)
        #expect(issued.spec?.expirationSeconds == 3607)
        let bound = try claimsOf(token)["kubernetes.io"] as? [String: Any]
        #expect(bound?["pod"] as? [String: String] == ["name": "app", "uid": pod.metadata.uid ?? "?"], "\(String(describing: bound))")
        #expect(bound?["node"] as? [String: String] == ["name": "n1", "uid": node.metadata.uid ?? "?"], "\(String(describing: bound))")
        // The kubelet's 3607 s is extended to a year, with `warnafter` at the asked expiry, as upstream does by default.
        let claims = try claimsOf(token)
        let iat = try #require(claims["iat"] as? Int)
        #expect(claims["exp"] as? Int == iat + 365 * 24 * 3600, "\(claims)")
        #expect((claims["kubernetes.io"] as? [String: Any])?["warnafter"] as? Int == iat + 3607, "\(claims)")
        let reported = try #require(issued.status?.expirationTimestamp?.date.timeIntervalSince1970)
        #expect(abs(reported - Double(iat + 3607)) <= 2, "the answer reports the asked expiry")
        let podToken = try k.server.kubeconfig(token: token, name: "pod")
        let whoami = try await runCommand(k.kubectlPath, ["--kubeconfig", podToken, "auth", "whoami", "-o", "json"], environment: ["HOME": k.workDirectory])
        #expect(whoami.stdout.contains(#""username": "system:serviceaccount:default:default""#), "\(whoami)")
        #expect(whoami.stdout.contains(#""authentication.kubernetes.io/pod-name": ["#) && whoami.stdout.contains(#""app""#), "\(whoami)")
        try await admin.delete(Pod.self, name: "app", namespace: "default", options: DeleteOptions(gracePeriodSeconds: 0))
        try await waitFor("the pod to go") { (try? await admin.get(Pod.self, name: "app", namespace: "default")) == nil }
        let after = try await runCommand(k.kubectlPath, ["--kubeconfig", podToken, "auth", "whoami"], environment: ["HOME": k.workDirectory])
        #expect(after.status != 0 && after.stderr.contains("Unauthorized"), "\(after)")
    }

    @Test("a mirror pod keeps its spec (no service account, no token volume) and may reference no account, Secret or token, as upstream's ServiceAccount admission",
          .timeLimit(.minutes(2)))
    func mirrorPodsAreNotDefaultedAndMayNotReferenceAccountsSecretsOrTokens() async throws {
        let k = try await KubectlHarness(serverArguments: ["--controllers", "serviceaccount-controller", "--no-scheduler"])
        let admin = try KubeClient(configuration: k.server.clientConfiguration(), logger: Logger(label: "test"))
        defer { Task { try? await admin.shutdown() } }
        try await waitFor("the default ServiceAccount", timeout: .seconds(60)) { (try? await admin.get(ServiceAccount.self, name: "default", namespace: "default")) != nil }
        func mirror(_ name: String, _ spec: String) -> String {
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: \(name), annotations: {kubernetes.io/config.mirror: abc}}
            spec: {nodeName: n1, containers: [{name: a, image: busybox}]\(spec.isEmpty ? "" : ", " + spec)}
            """
        }
        _ = try await k.ok("apply", "-f", "-", stdin: mirror("static-n1", ""))
        let pod = try await admin.get(Pod.self, name: "static-n1", namespace: "default")
        #expect(pod.spec?.serviceAccountName == nil && pod.spec?.serviceAccount == nil, "\(String(describing: pod.spec?.serviceAccountName))")
        #expect((pod.spec?.volumes ?? []).isEmpty, "\(pod.spec?.volumes ?? [])")
        for (name, spec, reason) in [
            ("with-account", "serviceAccountName: default", "a mirror pod may not reference service accounts"),
            ("with-secret", "volumes: [{name: s, secret: {secretName: creds}}]", "a mirror pod may not reference secrets"),
            ("with-pull-secret", "imagePullSecrets: [{name: registry}]", "a mirror pod may not reference secrets"),
            ("with-token", "volumes: [{name: t, projected: {sources: [{serviceAccountToken: {path: token}}]}}]",
             "a mirror pod may not use ServiceAccountToken volume projections"),
        ] {
            let refused = try await k.kubectl(["create", "-f", "-"], stdin: mirror(name, spec))
            #expect(refused.status != 0 && refused.stderr.contains("pods \"\(name)\" is forbidden: \(reason)"), "\(refused)")
            #expect((try? await admin.get(Pod.self, name: name, namespace: "default")) == nil)
        }
    }

    private func claimsOf(_ token: String) throws -> [String: Any] {
        var payload = String(token.split(separator: ".")[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        let data = try #require(Data(base64Encoded: payload))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func expectForbidden(_ message: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("allowed, expected: \(message)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }
}

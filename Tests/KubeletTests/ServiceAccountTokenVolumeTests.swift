import Foundation
import KubeAPI
import KubeClient
import Logging
import TestSupport
import Testing
@testable import Kubelet

extension KubeletEndToEndTests {
    @Test("a pod's kube-api-access volume holds a token bound to the pod that authenticates as its ServiceAccount, the cluster CA and the namespace, read-only; the token dies with the pod",
          .timeLimit(.minutes(4)))
    func serviceAccountTokenVolume() async throws {
        // The agent runs as the node, so its TokenRequests pass the Node authorizer and NodeRestriction.
        let cluster = try await Cluster(controllers: "serviceaccount-controller,root-ca-certificate-publisher-controller", asNode: true)
        do {
            try await tokenVolume(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func tokenVolume(_ cluster: Cluster) async throws {
        let client = cluster.client
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let account = try? await client.get(ServiceAccount.self, name: "default", namespace: "default")
            let rootCA = try? await client.get(ConfigMap.self, name: "kube-root-ca.crt", namespace: "default")
            if account != nil, rootCA != nil { break }
            guard ContinuousClock.now < deadline else { throw TestSupportError("no default ServiceAccount or kube-root-ca.crt") }
            try await Task.sleep(for: .milliseconds(200))
        }
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: v1
            kind: Pod
            metadata: {name: reader}
            spec:
              nodeName: \(cluster.nodeName)
              terminationGracePeriodSeconds: 2
              containers:
              - name: main
                image: \(shell)
                command: [sh, -c, "d=/var/run/secrets/kubernetes.io/serviceaccount; echo token=$(cat $d/token); echo ns=$(cat $d/namespace); echo certs=$(grep -c 'BEGIN CERTIFICATE' $d/ca.crt); if touch $d/x 2>/dev/null; then echo writable; else echo read-only; fi; trap 'exit 0' TERM; while true; do sleep 1; done"]
            """)
        let running = try await cluster.waitForPod("reader") { $0.status?.phase == "Running" }
        let uid = try #require(running.metadata.uid)
        #expect(running.spec?.volumes?.contains { $0.name.hasPrefix("kube-api-access-") } == true)
        let logFile = "\(cluster.runtime.root)/pods/default_reader_\(uid)/main/0.log"
        var log = ""
        for _ in 0..<100 {
            log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            if log.contains("writable") || log.contains("read-only") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(log.contains("stdout F ns=default"), "\(log)")
        #expect(log.contains("stdout F certs=1"), "\(log)")
        #expect(log.contains("stdout F read-only"), "\(log)")
        let token = try #require(log.firstMatch(of: #/stdout F token=(\S+)/#)?.output.1, "\(log)")
        #expect(token.split(separator: ".").count == 3)

        // The pod's token is the default ServiceAccount, bound to this pod.
        let kubectl = try #require(which("kubectl"))
        let kubeconfig = try cluster.server.kubeconfig(token: String(token), name: "reader")
        let whoami = try await runCommand(kubectl, ["--kubeconfig", kubeconfig, "auth", "whoami", "-o", "json"])
        #expect(whoami.stdout.contains(#""username": "system:serviceaccount:default:default""#), "\(whoami)")
        #expect(whoami.stdout.contains(#""authentication.kubernetes.io/pod-uid": ["#) && whoami.stdout.contains(uid), "\(whoami)")
        #expect(whoami.stdout.contains(#""authentication.kubernetes.io/node-name": ["#) && whoami.stdout.contains(#""\#(cluster.nodeName)""#), "\(whoami)")

        _ = try await cluster.kubectl(["delete", "pod", "reader", "--timeout=60s"])
        let gone = try await runCommand(kubectl, ["--kubeconfig", kubeconfig, "auth", "whoami"])
        #expect(gone.status != 0 && gone.stderr.contains("Unauthorized"), "\(gone)")
    }
}

/// The kubelet renews a projected token once 80% of its lifetime has passed, or after 24 hours.
@Test func projectedTokensAreRenewedAtEightyPercentOfTheirLifetime() {
    let issued = Date(timeIntervalSince1970: 1_000_000)
    let expires = issued.addingTimeInterval(3607)
    #expect(!TokenManager.requiresRefresh(issued: issued, expires: expires, seconds: 3607, now: issued.addingTimeInterval(2885)))
    #expect(TokenManager.requiresRefresh(issued: issued, expires: expires, seconds: 3607, now: issued.addingTimeInterval(2886)))
    let year = issued.addingTimeInterval(365 * 86400)
    #expect(TokenManager.requiresRefresh(issued: issued, expires: year, seconds: 365 * 86400, now: issued.addingTimeInterval(86400)))
}

/// A projection's audience and expiry reach the TokenRequest the kubelet makes with the node's credentials: the token
/// is for that audience only (the API server refuses it, a TokenReview for the audience accepts it), lasts what was
/// asked, is served from the cache and requested again once 80% of its lifetime has passed.
@Test(.timeLimit(.minutes(2)))
func projectedTokensCarryTheirAudienceAndExpiryAndAreRequestedAgainWhenDue() async throws {
    try await withNodeCredentials { server, admin, node in
        _ = try await admin.create(ServiceAccount(metadata: ObjectMeta(name: "robot", namespace: "default")))
        let pod = try await admin.create(Pod(metadata: ObjectMeta(name: "app", namespace: "default"),
                                             spec: PodSpec(containers: [Container(name: "c", image: "busybox")], serviceAccountName: "robot", nodeName: "n1")))
        let tokens = TokenManager(client: node)
        let projection = ServiceAccountTokenProjection(audience: "vault", expirationSeconds: 600, path: "token")
        let start = Date()
        let token = try await tokens.token(for: projection, pod: pod, now: start)

        let claims = try jwtClaims(token)
        #expect(claims["aud"] as? [String] == ["vault"], "\(claims)")
        #expect(claims["sub"] as? String == "system:serviceaccount:default:robot", "\(claims)")
        let iat = try #require(claims["iat"] as? Int), exp = try #require(claims["exp"] as? Int)
        #expect(exp - iat == 600, "the asked expiry, not extended: \(claims)")
        let bound = (claims["kubernetes.io"] as? [String: Any])?["pod"] as? [String: Any]
        #expect(bound?["name"] as? String == "app" && bound?["uid"] as? String == pod.metadata.uid, "\(claims)")

        // Not for the API server's audience; for its own, yes.
        let kubectl = try #require(which("kubectl"))
        let whoami = try await runCommand(kubectl, ["--kubeconfig", try server.kubeconfig(token: token, name: "vault"), "auth", "whoami"])
        #expect(whoami.status != 0 && whoami.stderr.contains("Unauthorized"), "\(whoami)")
        func review(_ audiences: String) async throws -> String {
            let review = #"{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"\#(token)","audiences":\#(audiences)}}"#
            return try await runCommand(kubectl, ["--kubeconfig", server.kubeconfig, "create", "-f", "-", "-o", "jsonpath={.status.authenticated}"],
                                        stdin: review).stdout
        }
        #expect(try await review(#"["vault"]"#) == "true")
        #expect(try await review(#"["https://kubernetes.default.svc.cluster.local"]"#) == "false")

        // Cached until 80% of the 600 s have passed (480 s; the answer's expiry has whole seconds), then a new one.
        #expect(try await tokens.token(for: projection, pod: pod, now: start.addingTimeInterval(470)) == token)
        let renewed = try await tokens.token(for: projection, pod: pod, now: start.addingTimeInterval(490))
        #expect(renewed != token)
        #expect(try jwtClaims(renewed)["aud"] as? [String] == ["vault"])
        // Another audience is another token.
        let other = try await tokens.token(for: ServiceAccountTokenProjection(expirationSeconds: 600, path: "token"), pod: pod, now: start)
        #expect(other != token && other != renewed)
    }
}

/// The claims of a JWT, unverified.
private func jwtClaims(_ token: String) throws -> [String: Any] {
    var payload = String(token.split(separator: ".")[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while payload.count % 4 != 0 { payload += "=" }
    let data = try #require(Data(base64Encoded: payload))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

import ClusterPKI
import Foundation
import KubeAPI
import KubeClient
@testable import Kubelet
import Logging
import Synchronization
import TestSupport
import Testing

/// `KubeletAuth` over fake reviewers (what it asks and caches); the end-to-end test below uses the real API server.
@Suite("kubelet port authentication and authorization")
struct KubeletAuthTests {
    /// Counts the reviews and answers them as `allow` says.
    final class Reviews: Sendable {
        let tokens = Mutex<[String]>([])
        let accesses = Mutex<[SubjectAccessReviewSpec]>([])
        let failing = Mutex(false)

        func auth(anonymous: Bool = false, allow: @escaping @Sendable (SubjectAccessReviewSpec) -> Bool) -> KubeletAuth {
            KubeletAuth(nodeName: "n1", anonymous: anonymous, mode: .webhook, reviewToken: { token in
                self.tokens.withLock { $0.append(token) }
                guard token == "good" else { return .init(authenticated: false, error: "invalid bearer token") }
                return .init(authenticated: true, user: UserInfo(username: "system:serviceaccount:default:reader", uid: "u1",
                                                                  groups: ["system:serviceaccounts"]))
            }, reviewAccess: { spec in
                self.accesses.withLock { $0.append(spec) }
                if self.failing.withLock({ $0 }) { throw TestSupportError("API server unreachable") }
                return .init(allowed: allow(spec))
            }, logger: Logger(label: "test"))
        }
    }

    @Test("verb from the HTTP method, subresource from the path, as upstream's kubelet derives them")
    func attributes() {
        let cases: [(String, String, String, String)] = [
            ("GET", "/stats/summary", "get", "stats"), ("GET", "/stats", "get", "stats"), ("GET", "/statsx", "get", "proxy"),
            ("GET", "/metrics", "get", "metrics"), ("GET", "/metrics/cadvisor", "get", "metrics"), ("GET", "/metrics/resource", "get", "metrics"),
            ("GET", "/logs/", "get", "log"), ("GET", "/logs/syslog", "get", "log"), ("GET", "/spec/", "get", "spec"),
            ("GET", "/pods", "get", "proxy"), ("POST", "/exec/ns/p/c", "create", "proxy"), ("GET", "/exec/ns/p/c", "get", "proxy"),
            ("POST", "/attach/ns/p/c", "create", "proxy"), ("POST", "/portForward/ns/p", "create", "proxy"),
            ("GET", "/containerLogs/ns/p/c", "get", "proxy"), ("POST", "/run/ns/p/c", "create", "proxy"), ("GET", "/healthz", "get", "proxy"),
            ("PUT", "/x", "update", "proxy"), ("PATCH", "/x", "patch", "proxy"), ("DELETE", "/x", "delete", "proxy"), ("HEAD", "/x", "", "proxy"),
        ]
        for (method, path, verb, subresource) in cases {
            #expect(KubeletAuth.attributes(method: method, path: path) == .init(verb: verb, subresource: subresource), "\(method) \(path)")
        }
    }

    @Test("401 without credentials or with a rejected token; tokens reviewed once and cached; anonymous when allowed")
    func authentication() async throws {
        let reviews = Reviews()
        let auth = reviews.auth { _ in true }
        #expect(await auth.refusal(method: "GET", path: "/healthz", authorization: nil, clientCertificate: nil) == .init(statusCode: 401, message: "Unauthorized"))
        #expect(await auth.refusal(method: "GET", path: "/healthz", authorization: "Bearer bad", clientCertificate: nil)?.statusCode == 401)
        #expect(await auth.refusal(method: "GET", path: "/healthz", authorization: "Basic Zm9vOmJhcg==", clientCertificate: nil)?.statusCode == 401)
        #expect(await auth.refusal(method: "GET", path: "/healthz", authorization: "Bearer good", clientCertificate: nil) == nil)
        #expect(await auth.refusal(method: "GET", path: "/pods", authorization: "Bearer good", clientCertificate: nil) == nil)
        #expect(await auth.refusal(method: "GET", path: "/healthz", authorization: "Bearer bad", clientCertificate: nil)?.statusCode == 401)
        #expect(reviews.tokens.withLock { $0 } == ["bad", "good"], "each token is reviewed once, answers cached")
        let spec = try #require(reviews.accesses.withLock { $0.first })
        #expect(spec.user == "system:serviceaccount:default:reader")
        #expect(spec.uid == "u1")
        #expect(spec.groups == ["system:serviceaccounts", "system:authenticated"])
        #expect(spec.resourceAttributes == ResourceAttributes(namespace: "", verb: "get", group: "", version: "v1", resource: "nodes",
                                                              subresource: "proxy", name: "n1"))

        let anonymous = Reviews().auth(anonymous: true) { $0.user == "system:anonymous" && $0.resourceAttributes?.subresource == "metrics" }
        #expect(await anonymous.refusal(method: "GET", path: "/metrics", authorization: nil, clientCertificate: nil) == nil)
        #expect(await anonymous.refusal(method: "GET", path: "/pods", authorization: nil, clientCertificate: nil)
            == .init(statusCode: 403, message: "Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource=proxy)"))
    }

    @Test("client certificates: CN is the user, O the groups; decisions cached, failed reviews are 500 and not cached")
    func authorization() async throws {
        let ca = try CertificateAuthority.generate(commonName: "test-ca")
        let issued = try ca.issue(CertificateRequest(commonName: "jane", organizations: ["ops"], usage: .client))
        let der = try Self.der(issued.certificatePEM)
        let reviews = Reviews()
        let auth = reviews.auth { $0.user == "jane" && $0.resourceAttributes?.subresource == "log" }
        #expect(await auth.refusal(method: "GET", path: "/logs/", authorization: nil, clientCertificate: der) == nil)
        #expect(await auth.refusal(method: "POST", path: "/exec/default/box/c", authorization: "Bearer ignored", clientCertificate: der)
            == .init(statusCode: 403, message: "Forbidden (user=jane, verb=create, resource=nodes, subresource=proxy)"))
        #expect(await auth.refusal(method: "GET", path: "/logs/", authorization: nil, clientCertificate: der) == nil)
        #expect(await auth.refusal(method: "POST", path: "/exec/default/box/c", authorization: nil, clientCertificate: der)?.statusCode == 403)
        #expect(reviews.accesses.withLock { $0.count } == 2, "allowed and denied answers are cached")
        #expect(reviews.accesses.withLock { $0.first?.groups } == ["ops", "system:authenticated"])
        #expect(reviews.tokens.withLock { $0.isEmpty }, "a certificate wins over a token")

        reviews.failing.withLock { $0 = true }
        let failed = await auth.refusal(method: "GET", path: "/stats/summary", authorization: nil, clientCertificate: der)
        #expect(failed == .init(statusCode: 500, message: "Authorization error (user=jane, verb=get, resource=nodes, subresource=stats)"))
        _ = await auth.refusal(method: "GET", path: "/stats/summary", authorization: nil, clientCertificate: der)
        #expect(reviews.accesses.withLock { $0.count } == 4, "a failed review is asked again")
    }

    static func der(_ pem: String) throws -> [UInt8] {
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return Array(try #require(Data(base64Encoded: body)))
    }
}

extension KubeletEndToEndTests {
    @Test("the kubelet port in webhook mode against the real API server: certificates, bearer tokens by TokenReview, SubjectAccessReviews, upstream's 401/403",
          .timeLimit(.minutes(3)))
    func kubeletPortAuthorization() async throws {
        let cluster = try await Cluster()
        do {
            try await portAuthorization(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func portAuthorization(_ cluster: Cluster) async throws {
        var port: Int32?
        for _ in 0..<150 where port == nil {
            port = try? await cluster.client.get(Node.self, name: cluster.nodeName).status?.daemonEndpoints?.kubeletEndpoint?.port
            if port == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        let base = "https://127.0.0.1:\(try #require(port))"
        /// The status code and body of a request to the kubelet's port.
        func call(_ path: String, token: String? = nil, certificate: Bool = false, _ extra: [String] = []) async throws -> (code: String, body: String) {
            var arguments = ["-sk", "-o", "-", "-w", "\n%{http_code}", "--max-time", "20"] + extra
            if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
            if certificate { arguments += ["--cert", cluster.server.adminCertificateFile, "--key", cluster.server.adminKeyFile] }
            let result = try await runCommand("/usr/bin/curl", arguments + [base + path])
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            return (String(lines.last ?? ""), lines.dropLast().joined(separator: "\n"))
        }
        func forbidden(_ user: String, _ verb: String, _ subresource: String) -> (String, String) {
            ("403", "Forbidden (user=\(user), verb=\(verb), resource=nodes, subresource=\(subresource))")
        }

        // No credentials: 401 in upstream's words (the handshake no longer needs a certificate, so tokens can be used).
        #expect(try await call("/healthz") == ("401", "Unauthorized"))
        // The admin's certificate (system:masters) is allowed everything.
        #expect(try await call("/healthz", certificate: true) == ("200", "ok"))

        _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: reader}
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: prober}
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: scraper}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: kubelet-scraper}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kubelet-api-admin}
            subjects: [{kind: ServiceAccount, name: scraper, namespace: default}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: kubelet-prober}
            rules:
            - {apiGroups: [""], resources: [nodes/proxy], verbs: [get]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: kubelet-prober}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kubelet-prober}
            subjects: [{kind: ServiceAccount, name: prober, namespace: default}]
            """)
        let reader = try await cluster.kubectl(["create", "token", "reader"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let prober = try await cluster.kubectl(["create", "token", "prober"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let readerName = "system:serviceaccount:default:reader"

        // A token the API server vouches for, without rights on the node: 403 naming the subresource by path.
        #expect(try await call("/healthz", token: reader) == forbidden(readerName, "get", "proxy"))
        #expect(try await call("/stats/summary", token: reader) == forbidden(readerName, "get", "stats"))
        #expect(try await call("/metrics/cadvisor", token: reader) == forbidden(readerName, "get", "metrics"))
        #expect(try await call("/metrics/probes", token: reader) == forbidden(readerName, "get", "metrics"))
        #expect(try await call("/configz", token: reader) == forbidden(readerName, "get", "proxy"))
        #expect(try await call("/logs/", token: reader) == forbidden(readerName, "get", "log"))
        #expect(try await call("/spec/", token: reader) == forbidden(readerName, "get", "spec"))
        #expect(try await call("/run/default/box/c", token: reader, ["-X", "POST"]) == forbidden(readerName, "create", "proxy"))
        // Stream upgrades are checked before any upgrade: a WebSocket exec is a GET, a SPDY one a POST.
        let webSocket = ["-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-H", "Sec-WebSocket-Version: 13",
                         "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "-H", "Sec-WebSocket-Protocol: v5.channel.k8s.io"]
        #expect(try await call("/exec/default/box/c?command=true&output=1", token: reader, webSocket) == forbidden(readerName, "get", "proxy"))
        let spdy = ["-X", "POST", "-H", "Connection: Upgrade", "-H", "Upgrade: SPDY/3.1", "-H", "X-Stream-Protocol-Version: v4.channel.k8s.io"]
        #expect(try await call("/exec/default/box/c?command=true&output=1", token: reader, spdy) == forbidden(readerName, "create", "proxy"))
        #expect(try await call("/exec/default/box/c?command=true&output=1", spdy) == ("401", "Unauthorized"))

        // A token bound to get nodes/proxy: allowed there, not on stats.
        #expect(try await call("/healthz", token: prober) == ("200", "ok"))
        #expect(try await call("/stats/summary", token: prober) == forbidden("system:serviceaccount:default:prober", "get", "stats"))
        // Upstream's system:kubelet-api-admin role: stats allowed.
        let scraper = try await cluster.kubectl(["create", "token", "scraper"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await call("/stats/summary", token: scraper).code == "200")
        let cadvisor = try await call("/metrics/cadvisor", token: scraper)
        #expect(cadvisor.code == "200" && cadvisor.body.contains("\ncontainer_scrape_error 0"), "\(cadvisor)")
        // A token bound to nodes/proxy only reaches /configz (nodes/proxy) but not the metrics (nodes/metrics).
        #expect(try await call("/configz", token: prober).body.hasPrefix("{\"kubeletconfig\":{"))
        #expect(try await call("/metrics/cadvisor", token: prober) == forbidden("system:serviceaccount:default:prober", "get", "metrics"))
        #expect(try await call("/healthz", token: scraper) == ("200", "ok"))
        // A token the API server does not know.
        #expect(try await call("/healthz", token: "not-a-token") == ("401", "Unauthorized"))

        // Reviews are cached: asking again costs no TokenReview or SubjectAccessReview (the agent's delegated-auth metrics).
        let agentLog = try String(contentsOfFile: cluster.agent.logFile, encoding: .utf8)
        let health = try #require(agentLog.firstMatch(of: #/address=(127\.0\.0\.1:\d+) \[SwiftletCommands\] serving health and metrics/#)?.output.1)
        func reviews() async throws -> (authn: Int, authz: Int) {
            let metrics = try await runCommand("/usr/bin/curl", ["-s", "http://\(health)/metrics"]).stdout
            func total(_ name: String) -> Int {
                metrics.split(separator: "\n").filter { $0.hasPrefix(name + "{") }.compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
            }
            return (total("apiserver_delegated_authn_request_total"), total("apiserver_delegated_authz_request_total"))
        }
        let before = try await reviews()
        #expect(before.authn >= 3 && before.authz >= 9, "\(before)")
        #expect(try await call("/healthz", token: prober) == ("200", "ok"))
        #expect(try await call("/healthz", token: reader) == forbidden(readerName, "get", "proxy"))
        let after = try await reviews()
        #expect(after == before)
        // The API server reaches the kubelet as kube-apiserver-kubelet-client (system:masters): `kubectl logs`, exec,
        // attach and port-forward through it are the other tests of this suite.
    }
}

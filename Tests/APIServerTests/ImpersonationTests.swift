import Foundation
import Testing
import TestSupport

/// User impersonation (`kubectl --as`, `--as-group`, `--as-uid`) through the real kubectl against `swiftlet server`:
/// each impersonated attribute needs verb `impersonate`, refusals read as upstream's, and the request then acts as
/// the impersonated user.
@Suite(.serialized) struct ImpersonationTests {
    func kubectl(_ k: KubectlHarness, _ kubeconfig: String, _ arguments: String...) async throws -> CommandResult {
        try await runCommand(k.kubectlPath, ["--kubeconfig", kubeconfig] + arguments, environment: ["HOME": k.workDirectory], timeout: 60)
    }

    @Test(.timeLimit(.minutes(3)))
    func impersonationIsAuthorizedPerAttributeAndActsAsTheImpersonatedUser() async throws {
        let tokens = try tokenFile("t-alice,alice,1001\n")
        defer { try? FileManager.default.removeItem(atPath: tokens) }
        let k = try await KubectlHarness(controllers: false, serverArguments: ["--token-auth-file", tokens])
        let alice = try k.server.kubeconfig(token: "t-alice", name: "alice")

        // Discovery is refused as well, so `kubectl get` says only "Error from server (Forbidden): unknown", as
        // kubectl 1.32 does against kube-apiserver; a raw GET prints the Status.
        let refused = try await kubectl(k, alice, "--as", "bob", "get", "--raw", "/api/v1/namespaces/default/pods")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains(#"users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope"#),
                "\(refused)")

        // Impersonating bob only (resourceNames), and the groups devs and qa.
        try await k.ok("apply", "-f", "-", stdin: """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: impersonate-bob}
            rules:
            - {apiGroups: [""], resources: [users], verbs: [impersonate], resourceNames: [bob]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: alice-impersonates-bob}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: impersonate-bob}
            subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
            """)
        try await waitFor("the binding to apply") { (try? await kubectl(k, alice, "--as", "bob", "auth", "whoami").status) == 0 }
        let bob = try await kubectl(k, alice, "--as", "bob", "auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}")
        #expect(bob.stdout == #"bob ["system:authenticated"]"#, "\(bob)")
        let carol = try await kubectl(k, alice, "--as", "carol", "get", "--raw", "/api/v1/namespaces/default/pods")
        #expect(carol.stderr.contains(#"users "carol" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope"#),
                "\(carol)")
        let group = try await kubectl(k, alice, "--as", "bob", "--as-group", "devs", "get", "--raw", "/api/v1/namespaces/default/pods")
        #expect(group.stderr.contains(#"groups "devs" is forbidden: User "alice" cannot impersonate resource "groups" in API group "" at the cluster scope"#),
                "\(group)")
        let account = try await kubectl(k, alice, "--as", "system:serviceaccount:default:robot", "get", "--raw", "/api/v1/namespaces/default/pods")
        #expect(account.stderr.contains(#"serviceaccounts "robot" is forbidden: User "alice" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "default""#),
                "\(account)")
        let uid = try await kubectl(k, alice, "--as", "bob", "--as-uid", "42", "get", "--raw", "/api/v1/namespaces/default/pods")
        #expect(uid.stderr.contains(#"uids.authentication.k8s.io "42" is forbidden: User "alice" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope"#),
                "\(uid)")

        try await k.ok("apply", "-f", "-", stdin: """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: impersonate-bob}
            rules:
            - {apiGroups: [""], resources: [users], verbs: [impersonate], resourceNames: [bob]}
            - {apiGroups: [""], resources: [groups, serviceaccounts], verbs: [impersonate]}
            - {apiGroups: [authentication.k8s.io], resources: [uids, userextras/scopes], verbs: [impersonate]}
            """)
        try await waitFor("the wider role to apply") {
            (try? await kubectl(k, alice, "--as", "bob", "--as-group", "devs", "auth", "whoami").status) == 0
        }
        let groups = try await kubectl(k, alice, "--as", "bob", "--as-group", "devs", "--as-group", "qa", "--as-uid", "42",
                                       "auth", "whoami", "-o", "jsonpath={.status.userInfo.groups} {.status.userInfo.uid}")
        #expect(groups.stdout == #"["devs","qa","system:authenticated"] 42"#, "\(groups)")
        let robot = try await kubectl(k, alice, "--as", "system:serviceaccount:default:robot", "auth", "whoami", "-o", "jsonpath={.status.userInfo.groups}")
        #expect(robot.stdout == #"["system:serviceaccounts","system:serviceaccounts:default","system:authenticated"]"#, "\(robot)")

        // The request itself is authorized as the impersonated user.
        let pods = try await kubectl(k, alice, "--as", "bob", "get", "pods")
        #expect(pods.stderr.contains(#"pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default""#), "\(pods)")
        try await k.ok("create", "rolebinding", "devs-view", "--clusterrole", "view", "--group", "devs")
        try await waitFor("devs to read pods") { (try? await kubectl(k, alice, "--as", "bob", "--as-group", "devs", "get", "pods").status) == 0 }

        // Extras are authorized per key; groups without a user are upstream's 500.
        let extra = try await curl(k, token: "t-alice", headers: ["Impersonate-User: bob", "Impersonate-Extra-Scopes: view", "Impersonate-Extra-Reason: x"],
                                   path: "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: #"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#)
        #expect(extra.code == 403 && extra.body.contains(#"userextras.authentication.k8s.io \"x\" is forbidden: User \"alice\" cannot impersonate resource \"userextras/reason\" in API group \"authentication.k8s.io\" at the cluster scope"#),
                "\(extra)")
        let scoped = try await curl(k, token: "t-alice", headers: ["Impersonate-User: bob", "Impersonate-Extra-Scopes: view", "Impersonate-Extra-Scopes: edit"],
                                    path: "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: #"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#)
        #expect(scoped.code == 201 && scoped.body.contains(#""extra":{"scopes":["view","edit"]}"#), "\(scoped)")
        // Stream upgrades (exec) are impersonated too, and refused before any pod is looked up.
        let upgrade = ["Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                       "Sec-WebSocket-Protocol: v5.channel.k8s.io"]
        let execAsCarol = try await curl(k, token: "t-alice", headers: upgrade + ["Impersonate-User: carol"],
                                         path: "/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true")
        #expect(execAsCarol.code == 403 && execAsCarol.body.contains(#"users \"carol\" is forbidden: User \"alice\" cannot impersonate resource \"users\""#), "\(execAsCarol)")
        let execAsBob = try await curl(k, token: "t-alice", headers: upgrade + ["Impersonate-User: bob"],
                                       path: "/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true")
        #expect(execAsBob.code == 403 && execAsBob.body.contains(#"pods \"web\" is forbidden: User \"bob\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"default\""#),
                "\(execAsBob)")
        let noUser = try await curl(k, token: "t-alice", headers: ["Impersonate-Group: devs"], path: "/api/v1/namespaces/default/pods")
        #expect(noUser.code == 500 && noUser.body.contains(#"Internal error occurred: requested [{Group  devs    }] without impersonating a user"#), "\(noUser)")
    }

    // MARK: Helpers

    private func tokenFile(_ csv: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-tokens-\(UUID().uuidString.prefix(8)).csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func curl(_ k: KubectlHarness, token: String, headers: [String], path: String, body: String? = nil) async throws -> (code: Int, body: String) {
        var args = ["-s", "-o", "-", "-w", "\n%{http_code}", "--cacert", k.server.caFile, "-H", "Authorization: Bearer \(token)",
                    "-H", "Content-Type: application/json"]
        for header in headers { args += ["-H", header] }
        if body != nil { args += ["-X", "POST", "--data-binary", "@-"] }
        let result = try await runCommand("/usr/bin/curl", args + [k.server.url + path], stdin: body)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }
}

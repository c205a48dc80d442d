import Foundation
import Testing
import TestSupport

/// RBAC escalation prevention through the real kubectl: roles only with rules the writer holds (or `escalate`),
/// bindings only to roles whose rules the writer holds (or `bind`), in upstream's words.
@Suite(.serialized) struct RBACEscalationTests {
    func kubectl(_ k: KubectlHarness, _ kubeconfig: String, _ arguments: String..., stdin: String? = nil) async throws -> CommandResult {
        try await runCommand(k.kubectlPath, ["--kubeconfig", kubeconfig] + arguments, stdin: stdin, environment: ["HOME": k.workDirectory], timeout: 60)
    }

    static let notHeld = #"user "alice" (groups=["developers" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:"#

    @Test(.timeLimit(.minutes(3)))
    func rolesAndBindingsCannotGrantWhatTheWriterDoesNotHold() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-tokens-\(UUID().uuidString.prefix(8)).csv").path
        try "t-alice,alice,1001,developers\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let k = try await KubectlHarness(controllers: false, serverArguments: ["--token-auth-file", path])
        let alice = try k.server.kubeconfig(token: "t-alice", name: "alice")
        try await k.ok("create", "namespace", "team")
        try await k.ok("apply", "-f", "-", stdin: """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: rbac-manager}
            rules:
            - {apiGroups: [rbac.authorization.k8s.io], resources: [roles, clusterroles, rolebindings, clusterrolebindings], verbs: [get, list, create, update, patch, delete]}
            - {apiGroups: [""], resources: [pods], verbs: [get, list]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: alice-rbac-manager}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: rbac-manager}
            subjects: [{kind: Group, name: developers, apiGroup: rbac.authorization.k8s.io}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: alice-edit, namespace: team}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
            subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
            """)
        try await waitFor("alice to manage RBAC") { (try? await kubectl(k, alice, "get", "clusterroles").status) == 0 }

        // Rules she holds: allowed.
        try await waitFor("a role with held rules") {
            (try? await kubectl(k, alice, "create", "clusterrole", "pod-reader", "--verb=get,list", "--resource=pods").status) == 0
        }
        // Rules she does not hold: refused with the missing rules, compacted by resource.
        let secrets = try await kubectl(k, alice, "create", "clusterrole", "secret-reader", "--verb=get,list", "--resource=secrets,configmaps")
        #expect(secrets.status != 0)
        #expect(secrets.stderr.contains(#"clusterroles.rbac.authorization.k8s.io "secret-reader" is forbidden: "# + Self.notHeld + "\n"
                                        + #"{APIGroups:[""], Resources:["configmaps"], Verbs:["get" "list"]}"# + "\n"
                                        + #"{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}"#), "\(secrets)")
        // In namespace team she holds edit, so a Role there may grant configmap writes; in default she may not.
        try await k.ok("get", "clusterrole", "edit")
        let team = try await kubectl(k, alice, "create", "role", "cm-writer", "-n", "team", "--verb=create,update", "--resource=configmaps")
        #expect(team.status == 0, "\(team)")
        let elsewhere = try await kubectl(k, alice, "create", "role", "cm-writer", "-n", "default", "--verb=create,update", "--resource=configmaps")
        #expect(elsewhere.stderr.contains(#"roles.rbac.authorization.k8s.io "cm-writer" is forbidden: "# + Self.notHeld + "\n"
                                          + #"{APIGroups:[""], Resources:["configmaps"], Verbs:["create" "update"]}"#), "\(elsewhere)")
        // Updating a role to more than she holds is refused too.
        let widened = try await kubectl(k, alice, "apply", "-f", "-", stdin: """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: pod-reader}
            rules:
            - {apiGroups: [""], resources: [pods], verbs: [get, list, delete]}
            """)
        #expect(widened.stderr.contains(#"clusterroles.rbac.authorization.k8s.io "pod-reader" is forbidden: "# + Self.notHeld + "\n"
                                        + #"{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}"#), "\(widened)")
        let aggregated = try await kubectl(k, alice, "apply", "-f", "-", stdin: """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: gatherer}
            aggregationRule: {clusterRoleSelectors: [{matchLabels: {gather: "yes"}}]}
            """)
        #expect(aggregated.stderr.contains(#"clusterroles.rbac.authorization.k8s.io "gatherer" is forbidden: must have cluster-admin privileges to use the aggregationRule"#),
                "\(aggregated)")

        // Bindings: to a role whose rules she holds, yes; to admin, no; to a role that does not exist, 404.
        let own = try await kubectl(k, alice, "create", "clusterrolebinding", "bob-pod-reader", "--clusterrole=pod-reader", "--user=bob")
        #expect(own.status == 0, "\(own)")
        let admin = try await kubectl(k, alice, "create", "rolebinding", "bob-admin", "-n", "default", "--clusterrole=admin", "--user=bob")
        #expect(admin.stderr.contains(#"rolebindings.rbac.authorization.k8s.io "bob-admin" is forbidden: "# + Self.notHeld), "\(admin)")
        let missing = try await kubectl(k, alice, "create", "clusterrolebinding", "bob-nothing", "--clusterrole=nothing", "--user=bob")
        #expect(missing.stderr.contains(#"clusterroles.rbac.authorization.k8s.io "nothing" not found"#), "\(missing)")

        // `bind` on admin and `escalate` on clusterroles lift the checks.
        try await k.ok("create", "clusterrole", "delegate", "--verb=bind", "--resource=clusterroles", "--resource-name=admin")
        try await k.ok("create", "clusterrole", "escalator", "--verb=escalate", "--resource=clusterroles")
        try await k.ok("create", "clusterrolebinding", "alice-delegate", "--clusterrole=delegate", "--user=alice")
        try await k.ok("create", "clusterrolebinding", "alice-escalator", "--clusterrole=escalator", "--user=alice")
        try await waitFor("bind to apply") {
            (try? await kubectl(k, alice, "create", "rolebinding", "bob-admin", "-n", "default", "--clusterrole=admin", "--user=bob").status) == 0
        }
        try await waitFor("escalate to apply") {
            (try? await kubectl(k, alice, "create", "clusterrole", "secret-reader", "--verb=get,list", "--resource=secrets,configmaps").status) == 0
        }
        // Escalate covers ClusterRoles only: a namespaced Role still needs held rules.
        let stillRefused = try await kubectl(k, alice, "create", "role", "cm-writer", "-n", "default", "--verb=create", "--resource=configmaps")
        #expect(stillRefused.stderr.contains(#"roles.rbac.authorization.k8s.io "cm-writer" is forbidden"#), "\(stillRefused)")
    }
}

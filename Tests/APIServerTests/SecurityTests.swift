import Foundation
import KubeAPI
import KubeClient
import Logging
import Testing
import TestSupport

/// TLS by default, authentication (x509, static tokens, service-account tokens) and authorization (RBAC, the Node
/// authorizer and NodeRestriction) through the real kubectl and curl against `swiftlet server`.
@Suite(.serialized) struct SecurityTests {
    /// kubectl with another kubeconfig than the admin's.
    func kubectl(_ k: KubectlHarness, _ kubeconfig: String, _ arguments: String...) async throws -> CommandResult {
        try await runCommand(k.kubectlPath, ["--kubeconfig", kubeconfig] + arguments, environment: ["HOME": k.workDirectory], timeout: 60)
    }

    @Test(.timeLimit(.minutes(2)))
    func adminKubeconfigWorksOverTLSAndNoCredentialsIs401() async throws {
        let k = try await KubectlHarness(controllers: false)
        #expect(k.server.url.hasPrefix("https://127.0.0.1:"))
        let kubeconfig = try String(contentsOfFile: k.server.kubeconfig, encoding: .utf8)
        #expect(kubeconfig.contains("certificate-authority-data:") && kubeconfig.contains("client-certificate-data:"))
        #expect(try await k.ok("get", "namespaces").contains("kube-system"))
        let whoami = try await k.ok("auth", "whoami")
        #expect(whoami.contains("kubernetes-admin") && whoami.contains("system:masters"), "\(whoami)")

        // The serving certificate names what clients dial (checked by curl against the cluster CA).
        let anonymous = try await runCommand("/usr/bin/curl", ["-s", "-w", "\n%{http_code}", "--cacert", k.server.caFile,
                                                               k.server.url + "/api/v1/namespaces/default/pods"])
        #expect(anonymous.stdout.hasSuffix("\n401"), "\(anonymous)")
        #expect(anonymous.stdout.contains(#""reason":"Unauthorized""#), "\(anonymous)")
        let viaLocalhost = try await runCommand("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", k.server.caFile,
                                                                  k.server.url.replacingOccurrences(of: "127.0.0.1", with: "localhost") + "/version"])
        #expect(viaLocalhost.stdout == "401", "\(viaLocalhost)")
        // A bad token is 401 as well; kubectl says so.
        let bad = try await kubectl(k, try k.server.kubeconfig(token: "not-a-token", name: "bad"), "get", "pods")
        #expect(bad.status != 0 && bad.stderr.contains("Unauthorized"), "\(bad)")
    }

    /// Plain HTTP only when asked for: `--insecure-http` serves without TLS, authentication or authorization (a request
    /// without credentials acts with full rights), writes a kubeconfig without credentials, and refuses the
    /// authentication flags that would not apply.
    @Test(.timeLimit(.minutes(2)))
    func insecureHTTPOnlyWhenAskedFor() async throws {
        let server = try await ServerProcess(extraArguments: ["--insecure-http"])
        defer { server.stop() }
        #expect(server.url.hasPrefix("http://127.0.0.1:"))
        let kubeconfig = try String(contentsOfFile: server.kubeconfig, encoding: .utf8)
        #expect(!kubeconfig.contains("client-certificate-data") && !kubeconfig.contains("certificate-authority-data"), "\(kubeconfig)")
        let kubectl = try #require(which("kubectl"))
        let created = try await runCommand(kubectl, ["--kubeconfig", server.kubeconfig, "create", "configmap", "plain"],
                                           environment: ["HOME": server.dataDirectory])
        #expect(created.status == 0, "\(created)")
        let anonymous = try await runCommand("/usr/bin/curl", ["-s", "-w", "\n%{http_code}", server.url + "/api/v1/namespaces/default/configmaps/plain"])
        #expect(anonymous.stdout.hasSuffix("\n200") && anonymous.stdout.contains(#""name":"plain""#), "\(anonymous)")
        let refused = try await runCommand(try BuiltProducts.path(of: "swiftlet"),
                                           ["server", "--data-dir", server.dataDirectory + "/other", "--insecure-http", "--anonymous-auth"])
        #expect(refused.status != 0 && refused.stderr.contains("--insecure-http serves without TLS or authentication"), "\(refused)")
    }

    @Test(.timeLimit(.minutes(2)))
    func viewBindingAllowsReadsAndForbidsWritesInUpstreamWords() async throws {
        let k = try await KubectlHarness(controllers: false)
        // `swiftlet kubeconfig` signs a certificate for another user with the server's CA.
        let alice = k.workDirectory + "/alice.kubeconfig"
        let issued = try await runCommand(try BuiltProducts.path(of: "swiftlet"), ["kubeconfig", "--data-dir", k.server.dataDirectory,
                                                                                  "--user", "alice", "--group", "developers", "--output", alice])
        #expect(issued.status == 0, "\(issued)")
        // Authenticated but bound to nothing: reads are forbidden too.
        let before = try await kubectl(k, alice, "get", "pods")
        #expect(before.stderr.contains(#"pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default""#), "\(before)")

        try await k.ok("create", "rolebinding", "alice-view", "--clusterrole", "view", "--user", "alice")
        let table = try await k.ok("get", "rolebindings", "-o", "wide")
        #expect(table.contains("ClusterRole/view") && table.contains("alice"), "\(table)")
        try await waitFor("the binding to apply") { (try? await kubectl(k, alice, "get", "pods").status) == 0 }
        let write = try await kubectl(k, alice, "create", "configmap", "x")
        #expect(write.status != 0)
        #expect(write.stderr.contains(#"configmaps is forbidden: User "alice" cannot create resource "configmaps" in API group "" in the namespace "default""#),
                "\(write)")
        let other = try await kubectl(k, alice, "get", "pods", "-n", "kube-system")
        #expect(other.stderr.contains(#"in the namespace "kube-system""#), "\(other)")
        #expect(try await kubectl(k, alice, "auth", "can-i", "list", "deployments.apps").stdout.contains("yes"))
        #expect(try await kubectl(k, alice, "auth", "can-i", "delete", "pods").stdout.contains("no"))

        // Group bindings and edit, which aggregates view's rules plus writes.
        try await k.ok("create", "rolebinding", "devs-edit", "--clusterrole", "edit", "--group", "developers")
        try await waitFor("edit to apply") { (try? await kubectl(k, alice, "create", "configmap", "y").status) == 0 }
        // A SubjectAccessReview answers for another user.
        let review = try await k.curl("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", body: """
            {"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"bob","resourceAttributes":{"verb":"get","resource":"pods","namespace":"default"}}}
            """)
        #expect(review.code == 201 && review.body.contains(#""allowed":false"#), "\(review)")
    }

    /// The default roles users expect, each bound to its own user and asked through `kubectl auth can-i`, with
    /// upstream's answers: cluster-admin anything anywhere; admin a namespace including its RBAC but not its quota;
    /// edit the namespace's workloads and secrets but not its RBAC; view reads except secrets. A ClusterRole labelled
    /// `aggregate-to-view` reaches view and, through it, edit and admin; a namespaced Role grants in its namespace only.
    @Test(.timeLimit(.minutes(2)))
    func defaultRolesAggregateAndAnswerCanIAsUpstream() async throws {
        let k = try await KubectlHarness(controllers: false)
        try await k.ok("create", "namespace", "team")
        try await k.ok("create", "clusterrolebinding", "root", "--clusterrole=cluster-admin", "--user=root")
        for (user, role) in [("owner", "admin"), ("editor", "edit"), ("viewer", "view")] {
            try await k.ok("create", "rolebinding", user, "-n", "team", "--clusterrole=\(role)", "--user=\(user)")
        }
        try await k.ok("create", "role", "cm-getter", "-n", "team", "--verb=get", "--resource=configmaps")
        try await k.ok("create", "rolebinding", "reader", "-n", "team", "--role=cm-getter", "--user=reader")
        var kubeconfigs: [String: String] = [:]
        for user in ["root", "owner", "editor", "viewer", "reader"] { kubeconfigs[user] = try k.server.kubeconfig(user: user) }
        func canI(_ user: String, _ arguments: [String]) async throws -> String {
            let result = try await runCommand(k.kubectlPath, ["--kubeconfig", kubeconfigs[user]!, "auth", "can-i"] + arguments,
                                              environment: ["HOME": k.workDirectory], timeout: 60)
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let team = ["-n", "team"]
        let expectations: [(String, [String], String)] = [
            ("root", ["*", "*", "--all-namespaces"], "yes"), ("root", ["delete", "nodes"], "yes"), ("root", ["create", "clusterroles"], "yes"),
            ("owner", ["create", "rolebindings"] + team, "yes"), ("owner", ["delete", "roles"] + team, "yes"),
            ("owner", ["delete", "secrets"] + team, "yes"), ("owner", ["create", "deployments.apps"] + team, "yes"),
            ("owner", ["create", "resourcequotas"] + team, "no"), ("owner", ["get", "resourcequotas"] + team, "yes"),
            ("owner", ["get", "pods", "-n", "default"], "no"), ("owner", ["create", "clusterroles"], "no"),
            ("editor", ["create", "deployments.apps"] + team, "yes"), ("editor", ["get", "secrets"] + team, "yes"),
            ("editor", ["create", "pods", "--subresource=exec"] + team, "yes"), ("editor", ["create", "rolebindings"] + team, "no"),
            ("editor", ["get", "roles"] + team, "no"), ("editor", ["delete", "pods", "-n", "default"], "no"),
            ("viewer", ["list", "pods"] + team, "yes"), ("viewer", ["get", "pods", "--subresource=log"] + team, "yes"),
            ("viewer", ["watch", "deployments.apps"] + team, "yes"), ("viewer", ["get", "secrets"] + team, "no"),
            ("viewer", ["create", "configmaps"] + team, "no"), ("viewer", ["create", "pods", "--subresource=exec"] + team, "no"),
            ("reader", ["get", "configmaps"] + team, "yes"), ("reader", ["list", "configmaps"] + team, "no"),
            ("reader", ["get", "configmaps", "-n", "default"], "no"),
            // kubectl debug's subresource is in none of the default roles, as upstream's.
            ("root", ["patch", "pods", "--subresource=ephemeralcontainers"] + team, "yes"),
            ("owner", ["patch", "pods", "--subresource=ephemeralcontainers"] + team, "no"),
            ("editor", ["update", "pods", "--subresource=ephemeralcontainers"] + team, "no"),
        ]
        for (user, arguments, answer) in expectations {
            #expect(try await canI(user, arguments) == answer, "\(user): can-i \(arguments.joined(separator: " "))")
        }

        // `can-i --list` (SelfSubjectRulesReview): the reader's Role, and what every authenticated user may do.
        let list = try await runCommand(k.kubectlPath, ["--kubeconfig", kubeconfigs["reader"]!, "auth", "can-i", "--list"] + team,
                                        environment: ["HOME": k.workDirectory], timeout: 60)
        let rows = list.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(rows.first == "Resources Non-Resource URLs Resource Names Verbs", "\(list)")
        #expect(rows.contains("configmaps [] [] [get]") && rows.contains("selfsubjectaccessreviews.authorization.k8s.io [] [] [create]")
                && rows.contains("[/version] [] [get]") && !rows.contains { $0.hasPrefix("secrets") }, "\(list)")

        // Aggregation: rules labelled for view reach view, edit (which aggregates view) and admin (which aggregates edit);
        // upstream's three give nothing on podtemplates.
        for user in ["viewer", "editor", "owner"] { #expect(try await canI(user, ["list", "podtemplates"] + team) == "no", "\(user)") }
        try await k.ok("apply", "-f", "-", stdin: """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: podtemplate-viewer
              labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
            rules:
            - {apiGroups: [""], resources: [podtemplates], verbs: [get, list, watch]}
            """)
        for user in ["viewer", "editor", "owner"] {
            try await waitFor("\(user) to read podtemplates") { (try? await canI(user, ["list", "podtemplates"] + team)) == "yes" }
        }
        #expect(try await canI("viewer", ["delete", "podtemplates"] + team) == "no")
        #expect(try await canI("reader", ["list", "podtemplates"] + team) == "no")
        #expect(try await k.ok("get", "clusterrole", "admin", "-o", "yaml").contains("podtemplates"), "the aggregated rules are written back into admin")
    }

    @Test(.timeLimit(.minutes(2)))
    func nodeCredentialsReachOnlyTheirOwnNodeAndPods() async throws {
        let k = try await KubectlHarness(controllers: false)
        let admin = try KubeClient(configuration: k.server.clientConfiguration(), logger: Logger(label: "test"))
        defer { Task { try? await admin.shutdown() } }
        for name in ["n1", "n2"] { _ = try await admin.create(Node(metadata: ObjectMeta(name: name))) }
        _ = try await admin.create(Secret(metadata: ObjectMeta(name: "mine", namespace: "default"), stringData: ["a": "b"]))
        _ = try await admin.create(Secret(metadata: ObjectMeta(name: "theirs", namespace: "default"), stringData: ["a": "b"]))
        func pod(_ name: String, node: String, secret: String) -> Pod {
            Pod(metadata: ObjectMeta(name: name, namespace: "default"),
                spec: PodSpec(volumes: [Volume(name: "s", secret: SecretVolumeSource(secretName: secret))],
                              containers: [Container(name: "c", image: "busybox")], nodeName: node))
        }
        _ = try await admin.create(pod("on-n1", node: "n1", secret: "mine"))
        _ = try await admin.create(pod("on-n2", node: "n2", secret: "theirs"))

        let n1 = try KubeClient(configuration: k.server.clientConfiguration(user: "system:node:n1", groups: ["system:nodes"]), logger: Logger(label: "n1"))
        defer { Task { try? await n1.shutdown() } }
        // Its own Node, Lease, pods and the secrets its pods use.
        var own = try await n1.get(Node.self, name: "n1")
        own.metadata.labels = ["mine": "yes"]
        _ = try await n1.update(own)
        _ = try await n1.patch(Pod.self, name: "on-n1", namespace: "default", patchType: .merge,
                               .object(["status": .object(["phase": .string("Running")])]), subresource: "status")
        _ = try await n1.get(Secret.self, name: "mine", namespace: "default")
        _ = try await n1.create(Lease(metadata: ObjectMeta(name: "n1", namespace: "kube-node-lease")))

        await forbidden(#"nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2""#) {
            var other = try await n1.get(Node.self, name: "n2")
            other.metadata.labels = ["stolen": "yes"]
            _ = try await n1.update(other)
        }
        await forbidden(#"pods "on-n2" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself"#) {
            _ = try await n1.patch(Pod.self, name: "on-n2", namespace: "default", patchType: .merge,
                                   .object(["status": .object(["phase": .string("Failed")])]), subresource: "status")
        }
        await forbidden(#"pods "on-n2" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself"#) {
            try await n1.delete(Pod.self, name: "on-n2", namespace: "default")
        }
        await forbidden(#"secrets "theirs" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'n1' and this object"#) {
            _ = try await n1.get(Secret.self, name: "theirs", namespace: "default")
        }
        await forbidden("can only access node lease with the same name as the requesting node") {
            _ = try await n1.create(Lease(metadata: ObjectMeta(name: "n2", namespace: "kube-node-lease")))
        }
        await forbidden(#"pods "on-n1" is forbidden: User "system:node:n1" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "default""#) {
            _ = try await n1.patch(Pod.self, name: "on-n1", namespace: "default", patchType: .merge,
                                   .object(["spec": .object(["ephemeralContainers": .array([.object(["name": "d", "image": "busybox"])])])]),
                                   subresource: "ephemeralcontainers")
        }
        await forbidden("node \"n1\" can only create mirror pods") {
            _ = try await n1.create(pod("sneaky", node: "n1", secret: "theirs"))
        }
        #expect(try await admin.get(Pod.self, name: "on-n2", namespace: "default").status?.phase != "Failed")
    }

    /// NodeRestriction on a node's own Node as upstream 1.32's `admitNode`: it registers with the labels a kubelet may
    /// set (its own kubelet.kubernetes.io/node.kubernetes.io namespaces, topology and the other well-known ones, and
    /// any outside kubernetes.io) and taints, never with other kubernetes.io labels nor node-restriction.kubernetes.io
    /// ones; afterwards it may not change its taints nor add, change or remove such labels. An admin may.
    @Test(.timeLimit(.minutes(2)))
    func nodeRestrictionKeepsANodeToItsOwnLabelsAndTaints() async throws {
        let k = try await KubectlHarness(controllers: false)
        let admin = try KubeClient(configuration: k.server.clientConfiguration(), logger: Logger(label: "test"))
        defer { Task { try? await admin.shutdown() } }
        func client(_ node: String) throws -> KubeClient {
            try KubeClient(configuration: k.server.clientConfiguration(user: "system:node:\(node)", groups: ["system:nodes"]), logger: Logger(label: node))
        }
        let n1 = try client("n1"), n2 = try client("n2")
        defer { Task { try? await n1.shutdown(); try? await n2.shutdown() } }
        let allowed = ["topology.kubernetes.io/zone": "zone-a", "node.kubernetes.io/pool": "blue", "kubelet.kubernetes.io/role": "edge",
                       "sub.node.kubernetes.io/x": "y", "kubernetes.io/hostname": "n1", "example.com/free": "yes"]
        let taint = Taint(key: "dedicated", value: "edge", effect: "NoSchedule")
        _ = try await n1.create(Node(metadata: ObjectMeta(name: "n1", labels: allowed), spec: NodeSpec(taints: [taint])))
        await forbidden(#"nodes "n2" is forbidden: node "n2" is not allowed to set the following labels: node-restriction.kubernetes.io/trusted, node-role.kubernetes.io/control-plane"#) {
            _ = try await n2.create(Node(metadata: ObjectMeta(name: "n2", labels: ["node-role.kubernetes.io/control-plane": "",
                                                                                 "node-restriction.kubernetes.io/trusted": "yes",
                                                                                 "topology.kubernetes.io/zone": "zone-b"])))
        }
        var own = try await n1.get(Node.self, name: "n1")
        #expect(own.metadata.labels?["topology.kubernetes.io/zone"] == "zone-a" && own.spec?.taints?.map(\.key) == ["dedicated"])
        own.metadata.labels?["topology.kubernetes.io/zone"] = "zone-b"
        own.metadata.labels?["example.com/other"] = "fine"
        own = try await n1.update(own)
        await forbidden(#"nodes "n1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/worker"#) {
            var relabelled = own
            relabelled.metadata.labels?["node-role.kubernetes.io/worker"] = ""
            _ = try await n1.update(relabelled)
        }
        await forbidden(#"nodes "n1" is forbidden: node "n1" is not allowed to modify taints"#) {
            _ = try await n1.patch(Node.self, name: "n1", patchType: .merge, .object(["spec": .object(["taints": .null])]))
        }
        // The admin may do both.
        _ = try await admin.patch(Node.self, name: "n1", patchType: .merge,
                                  .object(["metadata": .object(["labels": .object(["node-role.kubernetes.io/worker": ""])]), "spec": .object(["taints": .null])]))
        let final = try await admin.get(Node.self, name: "n1")
        #expect(final.metadata.labels?["node-role.kubernetes.io/worker"] == "" && final.metadata.labels?["topology.kubernetes.io/zone"] == "zone-b")
        #expect(final.spec?.taints == nil)
        // Unrelated writes by the node still pass with the admin's label on it.
        _ = try await n1.patch(Node.self, name: "n1", patchType: .merge, .object(["metadata": .object(["labels": .object(["example.com/free": "no"])])]))
    }

    /// NodeRestriction on pods as upstream 1.32's: whatever RBAC grants, a node never updates or patches a pod itself
    /// nor writes another subresource than `status` and `eviction`; it writes the status only of its own pods (without
    /// relabelling them or renaming their claims), deletes and evicts only its own pods (a missing pod is 404), and
    /// creates only mirror pods bound to and owned by itself that reference no other API object. Each refusal in
    /// upstream's words, through the real server with the node's client certificate (and kubectl for the eviction).
    @Test(.timeLimit(.minutes(3)))
    func nodeRestrictionKeepsANodeToItsOwnPodsAsUpstream() async throws {
        let k = try await KubectlHarness(controllers: false)
        let admin = try KubeClient(configuration: k.server.clientConfiguration(), logger: Logger(label: "test"))
        defer { Task { try? await admin.shutdown() } }
        for name in ["n1", "n2"] { _ = try await admin.create(Node(metadata: ObjectMeta(name: name))) }
        let n1UID = try #require(try await admin.get(Node.self, name: "n1").metadata.uid)
        for (name, node) in [("on-n1", "n1"), ("on-n2", "n2"), ("gone-n1", "n1"), ("evict-n1", "n1")] {
            _ = try await admin.create(Pod(metadata: ObjectMeta(name: name, namespace: "default", labels: ["app": "web"]),
                                           spec: PodSpec(containers: [Container(name: "c", image: "busybox")], nodeName: node)))
        }
        let n1 = try KubeClient(configuration: k.server.clientConfiguration(user: "system:node:n1", groups: ["system:nodes"]), logger: Logger(label: "n1"))
        defer { Task { try? await n1.shutdown() } }
        let nodeKubeconfig = try k.server.kubeconfig(user: "system:node:n1", groups: ["system:nodes"])
        let spec: JSONValue = .object(["spec": .object(["activeDeadlineSeconds": .int(5)])])

        // The main pod object: no rule of the Node authorizer lets a node write it…
        await forbidden(#"pods "on-n1" is forbidden: User "system:node:n1" cannot patch resource "pods" in API group "" in the namespace "default""#) {
            _ = try await n1.patch(Pod.self, name: "on-n1", namespace: "default", patchType: .merge, spec)
        }
        // … and when RBAC grants it anyway, NodeRestriction refuses (a patch is an UPDATE, as upstream's admission says).
        _ = try await k.ok("create", "clusterrole", "pod-writer", "--verb=update,patch", "--resource=pods,pods/ephemeralcontainers")
        _ = try await k.ok("create", "clusterrolebinding", "nodes-write-pods", "--clusterrole=pod-writer", "--group=system:nodes")
        let mirrorsOnly = #"pods "on-n1" is forbidden: unexpected operation "UPDATE", node "n1" can only create and delete mirror pods"#
        try await waitFor("RBAC to let nodes patch pods") {
            do {
                _ = try await n1.patch(Pod.self, name: "on-n1", namespace: "default", patchType: .merge, spec)
                return false
            } catch {
                return "\(error)".contains(mirrorsOnly)
            }
        }
        await forbidden(mirrorsOnly) {
            var pod = try await n1.get(Pod.self, name: "on-n1", namespace: "default")
            pod.metadata.labels = ["app": "stolen"]
            _ = try await n1.update(pod)
        }
        await forbidden(#"pods "on-n1" is forbidden: unexpected pod subresource "ephemeralcontainers", only 'status' and 'eviction' are allowed"#) {
            _ = try await n1.patch(Pod.self, name: "on-n1", namespace: "default", patchType: .merge,
                                   .object(["spec": .object(["ephemeralContainers": .array([.object(["name": "d", "image": "busybox"])])])]),
                                   subresource: "ephemeralcontainers")
        }
        let untouched = try await admin.get(Pod.self, name: "on-n1", namespace: "default")
        #expect(untouched.spec?.activeDeadlineSeconds == nil && untouched.metadata.labels == ["app": "web"] && untouched.spec?.ephemeralContainers == nil)

        // Status: its own pods' only, by patch or update, without changing labels or the claims the status names.
        let running = try await n1.patch(Pod.self, name: "on-n1", namespace: "default", patchType: .merge,
                                         .object(["status": .object(["phase": .string("Running")])]), subresource: "status")
        #expect(running.status?.phase == "Running")
        var current = try await n1.get(Pod.self, name: "on-n1", namespace: "default")
        current.status?.message = "updated by its node"
        #expect(try await n1.updateStatus(current).status?.message == "updated by its node")
        await forbidden(#"pods "on-n2" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself"#) {
            _ = try await n1.patch(Pod.self, name: "on-n2", namespace: "default", patchType: .merge,
                                   .object(["status": .object(["phase": .string("Failed")])]), subresource: "status")
        }
        await forbidden(#"pods "on-n1" is forbidden: node "n1" cannot update labels through pod status"#) {
            _ = try await n1.patch(Pod.self, name: "on-n1", namespace: "default", patchType: .merge,
                                   .object(["metadata": .object(["labels": .object(["app": .string("stolen")])])]), subresource: "status")
        }
        await forbidden(#"pods "on-n1" is forbidden: node "n1" cannot update labels through pod status"#) {
            var relabelled = try await n1.get(Pod.self, name: "on-n1", namespace: "default")
            relabelled.metadata.labels = nil
            _ = try await n1.updateStatus(relabelled)
        }
        await forbidden(#"pods "on-n1" is forbidden: node "n1" cannot update resource claim statues"#) {
            _ = try await n1.patch(Pod.self, name: "on-n1", namespace: "default", patchType: .merge, .object(["status": .object([
                "resourceClaimStatuses": .array([.object(["name": .string("gpu"), "resourceClaimName": .string("someone-elses")])]),
            ])]), subresource: "status")
        }
        await forbidden(#"pods "ghost" not found"#) {
            _ = try await n1.patch(Pod.self, name: "ghost", namespace: "default", patchType: .merge,
                                   .object(["status": .object(["phase": .string("Running")])]), subresource: "status")
        }
        let stored = try await admin.get(Pod.self, name: "on-n1", namespace: "default")
        #expect(stored.metadata.labels == ["app": "web"] && stored.status?.resourceClaimStatuses == nil)
        #expect(try await admin.get(Pod.self, name: "on-n2", namespace: "default").status?.phase == "Pending")

        // Deletion: its own pods only; a pod that is not there is 404, as upstream's admission answers.
        await forbidden(#"pods "on-n2" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself"#) {
            try await n1.delete(Pod.self, name: "on-n2", namespace: "default")
        }
        await forbidden(#"pods "ghost" not found"#) {
            try await n1.delete(Pod.self, name: "ghost", namespace: "default")
        }
        try await n1.delete(Pod.self, name: "gone-n1", namespace: "default")
        #expect(try await admin.get(Pod.self, name: "gone-n1", namespace: "default").metadata.deletionTimestamp != nil)

        // Eviction (upstream's message names the node without quotes).
        func evict(_ pod: String) async throws -> CommandResult {
            let file = try k.file("eviction-\(pod).json", #"{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"\#(pod)","namespace":"default"}}"#)
            return try await kubectl(k, nodeKubeconfig, "create", "--raw", "/api/v1/namespaces/default/pods/\(pod)/eviction", "-f", file)
        }
        let foreign = try await evict("on-n2")
        #expect(foreign.status != 0 && foreign.stderr.contains(#"pods "on-n2" is forbidden: node n1 can only evict pods with spec.nodeName set to itself"#), "\(foreign)")
        let missing = try await evict("ghost")
        #expect(missing.status != 0 && missing.stderr.contains("NotFound"), "\(missing)")
        let own = try await evict("evict-n1")
        #expect(own.status == 0, "\(own)")
        #expect(try await admin.get(Pod.self, name: "evict-n1", namespace: "default").metadata.deletionTimestamp != nil)

        // Mirror pods: bound to the node, owned by its Node (by UID, as the controller, not blocking deletion), and
        // referencing no service account, secret, configmap, ClusterTrustBundle or claim.
        let mirror = Pod(metadata: ObjectMeta(name: "static-n1", namespace: "default", annotations: ["kubernetes.io/config.mirror": "0123abcd"],
                                              ownerReferences: [OwnerReference(apiVersion: "v1", kind: "Node", name: "n1", uid: n1UID, controller: true)]),
                         spec: PodSpec(containers: [Container(name: "c", image: "busybox")], nodeName: "n1"))
        func refused(_ message: String, _ change: (inout Pod) -> Void) async {
            var pod = mirror
            change(&pod)
            await forbidden(#"pods "static-n1" is forbidden: "# + message) { _ = try await n1.create(pod) }
        }
        let node = #"node "n1""#
        await refused(#"pod does not have "kubernetes.io/config.mirror" annotation, \#(node) can only create mirror pods"#) { $0.metadata.annotations = nil }
        await refused("\(node) can only create pods with spec.nodeName set to itself") { $0.spec?.nodeName = "n2" }
        await refused("\(node) can only create pods with an owner reference set to itself") { $0.metadata.ownerReferences = nil }
        await refused("\(node) can only create pods with a single owner reference set to itself") {
            $0.metadata.ownerReferences! += [OwnerReference(apiVersion: "v1", kind: "Node", name: "n2", uid: "x")]
        }
        await refused("\(node) can only create pods with an owner reference set to itself") { $0.metadata.ownerReferences![0].name = "n2" }
        await refused("\(node) can only create pods with an owner reference set to itself") { $0.metadata.ownerReferences![0].kind = "Pod" }
        await refused("\(node) can only create pods with a controller owner reference set to itself") { $0.metadata.ownerReferences![0].controller = nil }
        await refused("\(node) must not set blockOwnerDeletion on an owner reference") { $0.metadata.ownerReferences![0].blockOwnerDeletion = true }
        await refused("node n1 UID mismatch: expected not-the-uid got \(n1UID)") { $0.metadata.ownerReferences![0].uid = "not-the-uid" }
        await refused("\(node) can not create pods that reference a service account") { $0.spec?.serviceAccountName = "default" }
        await refused("\(node) can not create pods that reference secrets") {
            $0.spec?.containers[0].env = [EnvVar(name: "K", valueFrom: EnvVarSource(secretKeyRef: SecretKeySelector(name: "s", key: "k")))]
        }
        await refused("\(node) can not create pods that reference secrets") { $0.spec?.imagePullSecrets = [LocalObjectReference(name: "pull")] }
        await refused("\(node) can not create pods that reference secrets") {
            $0.spec?.volumes = [Volume(name: "s", secret: SecretVolumeSource(secretName: "s"))]
        }
        await refused("\(node) can not create pods that reference configmaps") {
            $0.spec?.initContainers = [Container(name: "i", image: "busybox", envFrom: [EnvFromSource(configMapRef: ConfigMapEnvSource(name: "cm"))])]
        }
        await refused("\(node) can not create pods that reference clustertrustbundles") {
            $0.spec?.volumes = [Volume(name: "b", projected: ProjectedVolumeSource(sources: [
                VolumeProjection(clusterTrustBundle: ClusterTrustBundleProjection(name: "bundle", path: "ca.pem")),
            ]))]
        }
        await refused("\(node) can not create pods that reference persistentvolumeclaims") {
            $0.spec?.volumes = [Volume(name: "d", persistentVolumeClaim: PersistentVolumeClaimVolumeSource(claimName: "data"))]
        }
        let created = try await n1.create(mirror)
        #expect(created.metadata.ownerReferences?.first?.uid == n1UID && created.spec?.nodeName == "n1")
        try await n1.delete(Pod.self, name: "static-n1", namespace: "default", options: DeleteOptions(gracePeriodSeconds: 0))
    }

    /// Volume attachment and expansion as upstream lets a kubelet take part in them: a node gets the VolumeAttachments
    /// that attach to it (the graph's volumeattachment → node edge), and updates or patches the status of a claim its
    /// pods use — NodeRestriction letting through only capacity, conditions and the allocated resources.
    @Test(.timeLimit(.minutes(2)))
    func nodeGetsItsVolumeAttachmentsAndWritesOnlyTheResizeStatusOfItsClaims() async throws {
        let k = try await KubectlHarness(controllers: false)
        let admin = try KubeClient(configuration: k.server.clientConfiguration(), logger: Logger(label: "test"))
        defer { Task { try? await admin.shutdown() } }
        for (claim, node) in [("data", "n1"), ("other", "n2")] {
            _ = try await admin.create(Node(metadata: ObjectMeta(name: node)))
            _ = try await admin.create(PersistentVolumeClaim(metadata: ObjectMeta(name: claim, namespace: "default"),
                                                             spec: PersistentVolumeClaimSpec(accessModes: ["ReadWriteOnce"],
                                                                                             resources: VolumeResourceRequirements(requests: ["storage": "1Gi"]))))
            _ = try await admin.create(Pod(metadata: ObjectMeta(name: "on-\(node)", namespace: "default"),
                                           spec: PodSpec(volumes: [Volume(name: "d", persistentVolumeClaim: PersistentVolumeClaimVolumeSource(claimName: claim))],
                                                         containers: [Container(name: "c", image: "busybox")], nodeName: node)))
            _ = try await admin.create(VolumeAttachment(metadata: ObjectMeta(name: "va-\(node)"),
                                                        spec: VolumeAttachmentSpec(attacher: "csi.example.com",
                                                                                   source: VolumeAttachmentSource(persistentVolumeName: "pv-\(claim)"),
                                                                                   nodeName: node)))
        }
        // The node's own client certificate, over TLS.
        let n1 = try KubeClient(configuration: k.server.clientConfiguration(user: "system:node:n1", groups: ["system:nodes"]), logger: Logger(label: "n1"))
        defer { Task { try? await n1.shutdown() } }
        let user = #"User "system:node:n1" cannot"#

        let attachment = try await n1.get(VolumeAttachment.self, name: "va-n1")
        #expect(attachment.spec.nodeName == "n1" && attachment.status?.attached == false)
        await forbidden(#"volumeattachments.storage.k8s.io "va-n2" is forbidden: \#(user) get resource "volumeattachments" in API group "storage.k8s.io" at the cluster scope: no relationship found between node 'n1' and this object"#) {
            _ = try await n1.get(VolumeAttachment.self, name: "va-n2")
        }
        await forbidden(#"volumeattachments.storage.k8s.io is forbidden: \#(user) list resource "volumeattachments" in API group "storage.k8s.io" at the cluster scope: can only get individual resources of this type"#) {
            _ = try await n1.list(VolumeAttachment.self)
        }
        await forbidden(#"\#(user) patch resource "volumeattachments/status" in API group "storage.k8s.io" at the cluster scope: can only get individual resources of this type"#) {
            _ = try await n1.patch(VolumeAttachment.self, name: "va-n1", patchType: .merge, .object(["status": .object(["attached": .bool(true)])]), subresource: "status")
        }

        // The kubelet's part of an expansion: capacity, conditions and the allocated resources' status, by patch…
        let resized = try await n1.patch(PersistentVolumeClaim.self, name: "data", namespace: "default", patchType: .merge, .object(["status": .object([
            "capacity": .object(["storage": .string("2Gi")]),
            "conditions": .array([.object(["type": .string("FileSystemResizePending"), "status": .string("True")])]),
            "allocatedResources": .object(["storage": .string("2Gi")]),
            "allocatedResourceStatuses": .object(["storage": .string("NodeResizeInProgress")]),
        ])]), subresource: "status")
        #expect(resized.status?.capacity?["storage"].map { "\($0)" } == "2Gi")
        #expect(resized.status?.conditions?.map(\.type) == ["FileSystemResizePending"])
        // … and by update.
        var claim = try await n1.get(PersistentVolumeClaim.self, name: "data", namespace: "default")
        claim.status?.conditions = nil
        claim.status?.allocatedResourceStatuses = nil
        let updated = try await n1.updateStatus(claim)
        #expect(updated.status?.conditions == nil && updated.status?.capacity?["storage"].map { "\($0)" } == "2Gi")

        let restricted = #"persistentvolumeclaims "data" is forbidden: node "n1" is not allowed to update fields other than status.capacity and status.conditions: "#
        await forbidden(restricted + #"{"status":{"phase":"Lost"}}"#) {
            _ = try await n1.patch(PersistentVolumeClaim.self, name: "data", namespace: "default", patchType: .merge,
                                   .object(["status": .object(["phase": .string("Lost")])]), subresource: "status")
        }
        await forbidden(restricted + #"{"metadata":{"labels":{"stolen":"yes"}}}"#) {
            var relabelled = try await n1.get(PersistentVolumeClaim.self, name: "data", namespace: "default")
            relabelled.metadata.labels = ["stolen": "yes"]
            _ = try await n1.updateStatus(relabelled)
        }
        await forbidden(#"persistentvolumeclaims "other" is forbidden: \#(user) patch resource "persistentvolumeclaims/status" in API group "" in the namespace "default": no relationship found between node 'n1' and this object"#) {
            _ = try await n1.patch(PersistentVolumeClaim.self, name: "other", namespace: "default", patchType: .merge,
                                   .object(["status": .object(["capacity": .object(["storage": .string("5Gi")])])]), subresource: "status")
        }
        await forbidden(#"persistentvolumeclaims "data" is forbidden: \#(user) patch resource "persistentvolumeclaims" in API group "" in the namespace "default": can only get individual resources of this type"#) {
            _ = try await n1.patch(PersistentVolumeClaim.self, name: "data", namespace: "default", patchType: .merge,
                                   .object(["spec": .object(["resources": .object(["requests": .object(["storage": .string("5Gi")])])])]))
        }
        let stored = try await admin.get(PersistentVolumeClaim.self, name: "data", namespace: "default")
        #expect(stored.status?.phase == "Pending" && stored.metadata.labels?["stolen"] == nil)
        #expect(try await admin.get(PersistentVolumeClaim.self, name: "other", namespace: "default").status?.capacity == nil)
    }

    /// Expects `body` to fail with an error that says `message`.
    func forbidden(_ message: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("allowed, expected: \(message)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    /// A `swiftlet server` on `backend`: the default SQLite, or a new one-member etcd (returned, to be stopped).
    func startServer(on backend: StoreBackend) async throws -> (ServerProcess, EtcdCluster?) {
        let etcd = backend == .etcd ? try await EtcdCluster(members: 1) : nil
        do {
            return (try await ServerProcess(extraArguments: etcd.map { ["--store", $0.storeArgument] } ?? []), etcd)
        } catch {
            etcd?.stop()
            throw error
        }
    }

    /// The Node authorizer answers from its graph: a pod's create is seen by the kubelet's next request, the deletion
    /// of the last pod using a secret takes the node's access away, and after a restart the graph (rebuilt from a
    /// list) answers the same.
    @Test(.timeLimit(.minutes(2)), arguments: StoreBackend.allCases)
    func nodeLosesASecretWithItsLastPodAndTheGraphSurvivesARestart(_ backend: StoreBackend) async throws {
        let (server, etcd) = try await startServer(on: backend)
        defer { server.stop(); etcd?.stop() }
        let admin = try KubeClient(configuration: server.clientConfiguration(), logger: Logger(label: "test"))
        defer { Task { try? await admin.shutdown() } }
        _ = try await admin.create(Node(metadata: ObjectMeta(name: "n1")))
        for name in ["shared", "kept"] {
            _ = try await admin.create(Secret(metadata: ObjectMeta(name: name, namespace: "default"), stringData: ["a": "b"]))
        }
        func pod(_ name: String, secret: String) -> Pod {
            Pod(metadata: ObjectMeta(name: name, namespace: "default"),
                spec: PodSpec(volumes: [Volume(name: "s", secret: SecretVolumeSource(secretName: secret))],
                              containers: [Container(name: "c", image: "busybox")], nodeName: "n1"))
        }
        func code(_ client: KubeClient, _ name: String) async -> Int? {
            do {
                _ = try await client.get(Secret.self, name: name, namespace: "default")
                return 200
            } catch {
                return error.code
            }
        }
        let n1 = try KubeClient(configuration: server.clientConfiguration(user: "system:node:n1", groups: ["system:nodes"]), logger: Logger(label: "n1"))
        defer { Task { try? await n1.shutdown() } }
        #expect(await code(n1, "shared") == 403)
        // The next request after the create is allowed (a denial waits for the graph to reach the store's revision).
        _ = try await admin.create(pod("a", secret: "shared"))
        #expect(await code(n1, "shared") == 200)
        _ = try await admin.create(pod("b", secret: "shared"))
        _ = try await admin.create(pod("c", secret: "kept"))
        try await admin.delete(Pod.self, name: "a", namespace: "default", options: DeleteOptions(gracePeriodSeconds: 0))
        #expect(await code(n1, "shared") == 200)
        try await admin.delete(Pod.self, name: "b", namespace: "default", options: DeleteOptions(gracePeriodSeconds: 0))
        try await waitFor("n1 to lose the secret with its last pod", timeout: .seconds(10)) { await code(n1, "shared") == 403 }

        try await server.restart()
        let again = try KubeClient(configuration: server.clientConfiguration(user: "system:node:n1", groups: ["system:nodes"]), logger: Logger(label: "n1"))
        defer { Task { try? await again.shutdown() } }
        #expect(await code(again, "kept") == 200)
        #expect(await code(again, "shared") == 403)
        _ = try await admin.create(pod("d", secret: "shared"))
        #expect(await code(again, "shared") == 200)
    }

    /// The kubelet's per-object reflectors list and watch one secret or configmap by `fieldSelector=metadata.name=`:
    /// a node may for what its pods use, and gets upstream's reasons for anything else.
    @Test(.timeLimit(.minutes(2)), arguments: StoreBackend.allCases)
    func nodeListsAndWatchesByNameOnlyWhatItsPodsUse(_ backend: StoreBackend) async throws {
        let (server, etcd) = try await startServer(on: backend)
        defer { server.stop(); etcd?.stop() }
        let admin = try KubeClient(configuration: server.clientConfiguration(), logger: Logger(label: "test"))
        defer { Task { try? await admin.shutdown() } }
        for name in ["mine", "theirs"] {
            _ = try await admin.create(Secret(metadata: ObjectMeta(name: name, namespace: "default"), stringData: ["a": "b"]))
        }
        _ = try await admin.create(ConfigMap(metadata: ObjectMeta(name: "settings", namespace: "default"), data: ["k": "v"]))
        for (name, node, secret) in [("on-n1", "n1", "mine"), ("on-n2", "n2", "theirs")] {
            _ = try await admin.create(Pod(metadata: ObjectMeta(name: name, namespace: "default"),
                                           spec: PodSpec(volumes: [Volume(name: "s", secret: SecretVolumeSource(secretName: secret)),
                                                                   Volume(name: "c", configMap: ConfigMapVolumeSource(name: "settings"))],
                                                         containers: [Container(name: "c", image: "busybox")], nodeName: node)))
        }
        // The node's own client certificate, over TLS.
        let n1 = try KubeClient(configuration: server.clientConfiguration(user: "system:node:n1", groups: ["system:nodes"]), logger: Logger(label: "n1"))
        defer { Task { try? await n1.shutdown() } }
        let mine = try await n1.list(Secret.self, namespace: "default", options: ListOptions(fieldSelector: "metadata.name=mine"))
        #expect(mine.items.map(\.metadata.name) == ["mine"])
        let settings = try await n1.list(ConfigMap.self, namespace: "default", options: ListOptions(fieldSelector: "metadata.name==settings"))
        #expect(settings.items.map(\.metadata.name) == ["settings"])
        // A watch from the list's revision sees the secret change.
        let watch = Task {
            for try await event in n1.watch(Secret.self, namespace: "default", fieldSelector: "metadata.name=mine",
                                              resourceVersion: mine.metadata.resourceVersion) {
                if case .modified(let secret) = event, secret.metadata.name == "mine" { return secret.metadata.labels?["changed"] }
            }
            return nil
        }
        var changed = try await admin.get(Secret.self, name: "mine", namespace: "default")
        changed.metadata.labels = ["changed": "yes"]
        _ = try await admin.update(changed)
        #expect(try await watch.value == "yes")

        let user = #"User "system:node:n1" cannot"#
        await forbidden(#"secrets is forbidden: \#(user) list resource "secrets" in API group "" in the namespace "default": No Object name found"#) {
            _ = try await n1.list(Secret.self, namespace: "default")
        }
        await forbidden(#"secrets "theirs" is forbidden: \#(user) list resource "secrets" in API group "" in the namespace "default": no relationship found between node 'n1' and this object"#) {
            _ = try await n1.list(Secret.self, namespace: "default", options: ListOptions(fieldSelector: "metadata.name=theirs"))
        }
        await forbidden(#"secrets "theirs" is forbidden: \#(user) watch resource "secrets" in API group "" in the namespace "default": no relationship found"#) {
            for try await _ in n1.watch(Secret.self, namespace: "default", fieldSelector: "metadata.name=theirs") { break }
        }
        await forbidden(#"secrets is forbidden: \#(user) list resource "secrets" in API group "" in the namespace "default": No Object name found"#) {
            _ = try await n1.list(Secret.self, namespace: "default", options: ListOptions(fieldSelector: "metadata.name!=theirs"))
        }
        await forbidden(#"secrets "mine" is forbidden: \#(user) list resource "secrets" in API group "" at the cluster scope: can only read namespaced object of this type"#) {
            _ = try await n1.list(Secret.self, options: ListOptions(fieldSelector: "metadata.name=mine"))
        }
        await forbidden(#"secrets "mine" is forbidden: \#(user) delete resource "secrets" in API group "" in the namespace "default": can only read resources of this type"#) {
            try await n1.delete(Secret.self, name: "mine", namespace: "default")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func createTokenGivesATokenThatAuthenticates() async throws {
        let k = try await KubectlHarness(controllers: false)
        try await k.ok("create", "serviceaccount", "robot")
        let token = try await k.ok("create", "token", "robot", "--duration", "20m").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.split(separator: ".").count == 3)
        let robot = try k.server.kubeconfig(token: token, name: "robot")
        let whoami = try await kubectl(k, robot, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
        #expect(whoami.stdout == "system:serviceaccount:default:robot", "\(whoami)")
        let denied = try await kubectl(k, robot, "get", "pods")
        #expect(denied.stderr.contains(#"User "system:serviceaccount:default:robot" cannot list resource "pods""#), "\(denied)")

        // TokenReview, as a webhook authenticator asks.
        let review = try await k.curl("POST", "/apis/authentication.k8s.io/v1/tokenreviews", body: """
            {"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"\(token)"}}
            """)
        #expect(review.code == 201 && review.body.contains(#""authenticated":true"#) && review.body.contains("system:serviceaccounts:default"), "\(review)")
        let short = try await k.kubectl("create", "token", "robot", "--duration", "1m")
        #expect(short.stderr.contains("may not specify a duration less than 10 minutes"), "\(short)")

        // The token dies with its ServiceAccount.
        try await k.ok("delete", "serviceaccount", "robot")
        let gone = try await kubectl(k, robot, "auth", "whoami")
        #expect(gone.status != 0 && gone.stderr.contains("Unauthorized"), "\(gone)")
    }

    @Test(.timeLimit(.minutes(2)))
    func staticTokenFileAndAnonymousAccess() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-tokens-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "s3cret,carol,1001,\"admins,devs\"\n".write(toFile: dir + "/tokens.csv", atomically: true, encoding: .utf8)
        let k = try await KubectlHarness(controllers: false, serverArguments: ["--token-auth-file", dir + "/tokens.csv", "--anonymous-auth"])
        let carol = try k.server.kubeconfig(token: "s3cret", name: "carol")
        let whoami = try await kubectl(k, carol, "auth", "whoami")
        #expect(whoami.stdout.contains("carol") && whoami.stdout.contains("admins") && whoami.stdout.contains("devs"), "\(whoami)")
        // Anonymous requests act as system:anonymous: public info yes, resources no.
        let version = try await runCommand("/usr/bin/curl", ["-s", "--cacert", k.server.caFile, k.server.url + "/version"])
        #expect(version.stdout.contains("gitVersion"), "\(version)")
        let pods = try await runCommand("/usr/bin/curl", ["-s", "--cacert", k.server.caFile, k.server.url + "/api/v1/namespaces/default/pods"])
        #expect(pods.stdout.contains(#"User \"system:anonymous\" cannot list resource \"pods\""#), "\(pods)")
    }

    @Test(.timeLimit(.minutes(2)))
    func bootstrapTokensAuthenticateWhileTheirSecretAllows() async throws {
        let k = try await KubectlHarness(controllers: false, serverArguments: ["--enable-bootstrap-token-auth"])
        func secret(_ id: String, _ secret: String, extra: String) -> String {
            """
            apiVersion: v1
            kind: Secret
            metadata: {name: bootstrap-token-\(id), namespace: kube-system}
            type: bootstrap.kubernetes.io/token
            stringData: {token-id: \(id), token-secret: \(secret), usage-bootstrap-authentication: "true", \(extra)}
            """
        }
        try await k.ok("apply", "-f", "-", stdin: secret("abcdef", "0123456789abcdef", extra: "auth-extra-groups: system:bootstrappers:kubeadm:default-node-token")
            + "\n---\n" + secret("expird", "0123456789abcdef", extra: "expiration: 2020-01-01T00:00:00Z")
            + "\n---\n" + secret("badgrp", "0123456789abcdef", extra: "auth-extra-groups: developers"))
        let good = try k.server.kubeconfig(token: "abcdef.0123456789abcdef", name: "bootstrap")
        let whoami = try await kubectl(k, good, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}")
        #expect(whoami.stdout == #"system:bootstrap:abcdef ["system:bootstrappers","system:bootstrappers:kubeadm:default-node-token","system:authenticated"]"#,
                "\(whoami)")
        // A wrong secret, an expired token, a malformed extra group, an unknown id: 401.
        for token in ["abcdef.0123456789abcdee", "expird.0123456789abcdef", "badgrp.0123456789abcdef", "zzzzzz.0123456789abcdef"] {
            let refused = try await kubectl(k, try k.server.kubeconfig(token: token, name: "refused"), "get", "--raw", "/api")
            #expect(refused.status != 0 && refused.stderr.contains("Unauthorized"), "\(token): \(refused)")
        }
        // Without the flag, bootstrap tokens are not accepted.
        let plain = try await KubectlHarness(controllers: false)
        try await plain.ok("apply", "-f", "-", stdin: secret("abcdef", "0123456789abcdef", extra: "auth-extra-groups: system:bootstrappers:x"))
        let off = try await kubectl(plain, try plain.server.kubeconfig(token: "abcdef.0123456789abcdef", name: "bootstrap-off"), "get", "--raw", "/api")
        #expect(off.status != 0 && off.stderr.contains("Unauthorized"), "\(off)")
    }

    @Test(.timeLimit(.minutes(2)))
    func serversSharingAStoreAndTokenServeTheSameCA() async throws {
        let etcd = try await EtcdCluster(members: 1)
        defer { etcd.stop() }
        let arguments = ["--store", etcd.storeArgument, "--token", "cluster-secret-1"]
        let first = try await ServerProcess(extraArguments: arguments)
        defer { first.stop() }
        let second = try await ServerProcess(extraArguments: arguments)
        defer { second.stop() }
        let ca = try String(contentsOfFile: first.caFile, encoding: .utf8)
        #expect(ca == (try String(contentsOfFile: second.caFile, encoding: .utf8)))
        // The first server's admin kubeconfig works against the second.
        let kubectl = try #require(which("kubectl"))
        let result = try await runCommand(kubectl, ["--kubeconfig", first.kubeconfig, "--server", second.url, "get", "namespaces"])
        #expect(result.status == 0 && result.stdout.contains("kube-system"), "\(result)")
        // A server with another token refuses the store rather than minting a second CA.
        await #expect(throws: (any Error).self) { _ = try await ServerProcess(extraArguments: ["--store", etcd.storeArgument, "--token", "other"]) }
    }
}

/// Polls `condition` every 100 ms until it holds or `timeout` passes (shared by the API server's security tests).
func waitFor(_ what: String, timeout: Duration = .seconds(20), _ condition: () async -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw TestSupportError("timed out waiting for \(what)")
}

import Foundation
import KubeAPI
import Testing
import TestSupport

/// node.k8s.io/v1 RuntimeClasses with the real kubectl 1.32: served cluster-scoped with upstream's table, schemas,
/// validation and default roles, and the RuntimeClass admission plugin on pod creation (unknown class, overhead,
/// nodeSelector and tolerations merged) around the validation of the pod's own overhead.
@Suite(.serialized) struct KubectlRuntimeClassTests {
    static let sandboxed = """
        apiVersion: node.k8s.io/v1
        kind: RuntimeClass
        metadata: {name: sandboxed}
        handler: kata
        overhead: {podFixed: {cpu: 250m, memory: 120Mi}}
        scheduling:
          nodeSelector: {runtime: kata}
          tolerations: [{key: sandbox, operator: Exists, effect: NoSchedule}]
        """

    static let plain = "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: plain}\nhandler: runc"

    static func pod(_ name: String, _ spec: String = "") -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: \(name)}
        spec:
          containers: [{name: c, image: busybox}]
        \(spec.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        """
    }

    @Test func createGetAndReplaceARuntimeClass() async throws {
        let k = try await KubectlHarness(controllers: false)
        #expect(try await k.ok("create", "-f", "-", stdin: Self.sandboxed) == "runtimeclass.node.k8s.io/sandboxed created\n")
        #expect(try await k.ok("apply", "-f", "-", stdin: Self.plain)
                == "runtimeclass.node.k8s.io/plain created\n")
        let table = KubectlHorizontalPodAutoscalerTests.rows(try await k.ok("get", "runtimeclass"))
        #expect(table.count == 3 && table[0] == "NAME HANDLER AGE", "\(table)")
        #expect(table[1].hasPrefix("plain runc ") && table[2].hasPrefix("sandboxed kata "), "\(table)")
        #expect(try await k.ok("get", "runtimeclass", "sandboxed", "-o", "jsonpath={.overhead.podFixed.cpu} {.overhead.podFixed.memory} {.scheduling.nodeSelector} {.scheduling.tolerations[0].key}:{.scheduling.tolerations[0].operator}:{.scheduling.tolerations[0].effect}")
                == #"250m 120Mi {"runtime":"kata"} sandbox:Exists:NoSchedule"#)
        // No generation, as upstream's strategy.
        #expect(try await k.ok("get", "runtimeclass", "plain", "-o", "jsonpath={.metadata.generation}") == "")

        // Discovery: cluster-scoped, no short name, in no category.
        let resources = KubectlHorizontalPodAutoscalerTests.rows(try await k.ok("api-resources", "--api-group=node.k8s.io"))
        #expect(resources.contains("runtimeclasses node.k8s.io/v1 false RuntimeClass"), "\(resources)")
        #expect(try await k.ok("api-versions").contains("node.k8s.io/v1\n"))
        #expect(try await k.ok("get", "runtimeclasses", "--field-selector", "metadata.name=plain", "-o", "name") == "runtimeclass.node.k8s.io/plain\n")

        // The overhead and scheduling may change; the handler may not.
        #expect(try await k.ok("patch", "runtimeclass", "plain", "--type=merge", "-p", #"{"overhead":{"podFixed":{"cpu":"100m"}}}"#)
                == "runtimeclass.node.k8s.io/plain patched\n")
        let immutable = try await k.kubectl("patch", "runtimeclass", "plain", "--type=merge", "-p", #"{"handler":"kata"}"#)
        #expect(immutable.status != 0 && immutable.stderr.contains(#"The RuntimeClass "plain" is invalid: handler: Invalid value: "kata": field is immutable"#),
                "\(immutable)")
        #expect(try await k.ok("delete", "runtimeclass", "plain") == "runtimeclass.node.k8s.io \"plain\" deleted\n")
    }

    @Test func invalidRuntimeClassesGetUpstreamsMessages() async throws {
        let k = try await KubectlHarness(controllers: false)
        let invalid = try await k.kubectl("create", "-f", "-", stdin: """
            apiVersion: node.k8s.io/v1
            kind: RuntimeClass
            metadata: {name: bad}
            handler: Kata_1
            overhead: {podFixed: {cpu: "-1", foo: "1", example.com/dongle: 500m}}
            scheduling:
              nodeSelector: {"bad key!": v}
              tolerations:
              - {operator: Equal, value: x}
              - {key: a, operator: In, effect: Sometimes}
              - {key: b, operator: Exists, value: v}
              - {key: c, effect: NoSchedule, tolerationSeconds: 5}
              - {key: d, value: "1"}
              - {key: d, value: "1"}
            """)
        KubectlDefaultKindsTests.expectInvalid(invalid, #"The RuntimeClass "bad" is invalid:"#, [
            #"handler: Invalid value: "Kata_1": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"#,
            #"overhead.limits[cpu]: Invalid value: "-1": must be greater than or equal to 0"#,
            #"overhead.limits[example.com/dongle]: Invalid value: "500m": must be an integer"#,
            #"overhead.limits[foo]: Invalid value: "foo": must be a standard resource type or fully qualified"#,
            #"overhead.limits[foo]: Invalid value: "foo": must be a standard resource for containers"#,
            #"scheduling.nodeSelector: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#,
            #"scheduling.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys""#,
            #"scheduling.tolerations[1].operator: Unsupported value: "In": supported values: "Equal", "Exists""#,
            #"scheduling.tolerations[1].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute""#,
            #"scheduling.tolerations[2].operator: Invalid value: core.Toleration{Key:"b", Operator:"Exists", Value:"v", Effect:"", TolerationSeconds:(*int64)(nil)}: value must be empty when `operator` is 'Exists'"#,
            #"scheduling.tolerations[3].effect: Invalid value: "NoSchedule": effect must be 'NoExecute' when `tolerationSeconds` is set"#,
            #"scheduling.tolerations[5]: Duplicate value: core.Toleration{Key:"d", Operator:"", Value:"1", Effect:"", TolerationSeconds:(*int64)(nil)}"#,
        ])
        // HugePages only next to cpu or memory; a missing handler is an empty label.
        let hugePages = try await k.kubectl("create", "-f", "-", stdin: "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: huge}\noverhead: {podFixed: {hugepages-2Mi: 2Mi}}")
        KubectlDefaultKindsTests.expectInvalid(hugePages, #"The RuntimeClass "huge" is invalid:"#, [
            #"handler: Invalid value: "": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"#,
            "overhead: Forbidden: HugePages require cpu or memory",
        ])
    }

    @Test func admissionResolvesThePodsRuntimeClass() async throws {
        let k = try await KubectlHarness(controllers: false)
        try await k.ok("create", "-f", "-", stdin: Self.sandboxed)
        try await k.ok("create", "-f", "-", stdin: Self.plain)

        // A class that does not exist.
        let missing = try await k.kubectl("create", "-f", "-", stdin: Self.pod("lost", "runtimeClassName: kata"))
        #expect(missing.status != 0 && missing.stderr.contains(#"pods "lost" is forbidden: pod rejected: RuntimeClass "kata" not found"#), "\(missing)")

        // The class's overhead becomes the pod's; its nodeSelector joins the pod's; its tolerations are merged with the
        // pod's (and the default not-ready/unreachable ones), a pod toleration the class's covers dropped.
        try await k.ok("create", "-f", "-", stdin: Self.pod("merged", """
            runtimeClassName: sandboxed
            nodeSelector: {disk: ssd}
            tolerations: [{key: sandbox, operator: Equal, value: "1", effect: NoSchedule}, {key: gpu, operator: Exists}]
            """))
        #expect(try await k.ok("get", "pod", "merged", "-o", "jsonpath={.spec.overhead.cpu} {.spec.overhead.memory} {.spec.nodeSelector}")
                == #"250m 120Mi {"disk":"ssd","runtime":"kata"}"#)
        #expect(try await k.ok("get", "pod", "merged", "-o", "jsonpath={range .spec.tolerations[*]}{.key}:{.operator}:{.value}:{.effect}:{.tolerationSeconds} {end}")
                == "gpu:Exists::: node.kubernetes.io/not-ready:Exists::NoExecute:300 node.kubernetes.io/unreachable:Exists::NoExecute:300 sandbox:Exists::NoSchedule: ")
        // The same overhead written another way is the class's.
        try await k.ok("create", "-f", "-", stdin: Self.pod("same", "runtimeClassName: sandboxed\noverhead: {cpu: \"0.25\", memory: 120Mi}"))
        // A class without scheduling or overhead leaves the pod as it is.
        try await k.ok("create", "-f", "-", stdin: Self.pod("runc", "runtimeClassName: plain"))
        #expect(try await k.ok("get", "pod", "runc", "-o", "jsonpath={.spec.runtimeClassName}|{.spec.overhead}|{.spec.nodeSelector}") == "plain||")

        let refusals: [(String, String, String)] = [
            ("conflict", "runtimeClassName: sandboxed\nnodeSelector: {runtime: runc}",
             #"pods "conflict" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[runtime] = kata; pod.spec.nodeSelector[runtime] = runc"#),
            ("heavier", "runtimeClassName: sandboxed\noverhead: {cpu: \"1\"}",
             #"pods "heavier" is forbidden: pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead"#),
            ("classless", "overhead: {cpu: 100m}",
             #"pods "classless" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"#),
            ("light", "runtimeClassName: plain\noverhead: {cpu: 100m}",
             #"pods "light" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"#),
        ]
        for (name, spec, message) in refusals {
            let result = try await k.kubectl("create", "-f", "-", stdin: Self.pod(name, spec))
            #expect(result.status != 0 && result.stderr.contains("Error from server (Forbidden)") && result.stderr.contains(message), "\(name): \(result)")
        }
        #expect(try await k.ok("get", "pods", "-o", "name") == "pod/merged\npod/runc\npod/same\n")
    }

    /// Upstream's order on pod creation: the RuntimeClass plugin's mutating half, then validation (a 422 for an overhead
    /// no container could have as its limits, at `spec.overhead.limits[<name>]`), then its validating half (a 403 for an
    /// overhead no class defines); and the class's tolerations merged without repeating one the pod already has.
    @Test func podOverheadIsValidatedBeforeTheValidatingAdmission() async throws {
        let k = try await KubectlHarness(controllers: false)
        try await k.ok("create", "-f", "-", stdin: Self.sandboxed)
        func create(_ name: String, _ spec: String) async throws -> (code: Int, reason: String, message: String, causes: [String]) {
            let response = try await k.curl("POST", "/api/v1/namespaces/default/pods", body: """
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"\(name)"},"spec":{"containers":[{"name":"c","image":"busybox"}],\(spec)}}
                """)
            let status = try JSONValue(parsing: Data(response.body.utf8))
            let causes = status[path: ["details", "causes"]]?.arrayValue?.map { cause in
                "\(cause["reason"]?.stringValue ?? "") \(cause["field"]?.stringValue ?? ""): \(cause["message"]?.stringValue ?? "")"
            }
            return (response.code, status["reason"]?.stringValue ?? "", status["message"]?.stringValue ?? "", causes ?? [])
        }

        let invalid = try await create("invalid", #""overhead":{"cpu":"-1","foo":"1","example.com/dongle":"500m"}"#)
        #expect(invalid.code == 422 && invalid.reason == "Invalid", "\(invalid)")
        // Upstream walks a map, so its order varies; the set of causes does not.
        #expect(invalid.causes.sorted() == [
            #"FieldValueInvalid spec.overhead.limits[cpu]: Invalid value: "-1": must be greater than or equal to 0"#,
            #"FieldValueInvalid spec.overhead.limits[example.com/dongle]: Invalid value: "500m": must be an integer"#,
            #"FieldValueInvalid spec.overhead.limits[foo]: Invalid value: "foo": must be a standard resource for containers"#,
            #"FieldValueInvalid spec.overhead.limits[foo]: Invalid value: "foo": must be a standard resource type or fully qualified"#,
        ], "\(invalid)")
        let hugePages = try await k.kubectl("create", "-f", "-", stdin: Self.pod("huge", "overhead: {hugepages-2Mi: 2Mi}"))
        #expect(hugePages.stderr.contains(#"The Pod "huge" is invalid: spec.overhead: Forbidden: HugePages require cpu or memory"#), "\(hugePages)")
        // A valid overhead without a class passes validation and is refused by the plugin.
        let classless = try await create("classless", #""overhead":{"cpu":"100m"}"#)
        #expect(classless.code == 403 && classless.reason == "Forbidden" && classless.causes.isEmpty
                && classless.message == #"pods "classless" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"#,
                "\(classless)")
        // With the class, the plugin's mutating half refuses a different overhead before validation sees a bad one.
        let mismatch = try await create("mismatch", #""runtimeClassName":"sandboxed","overhead":{"cpu":"-1"}"#)
        #expect(mismatch.code == 403 && mismatch.reason == "Forbidden"
                && mismatch.message == #"pods "mismatch" is forbidden: pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead"#,
                "\(mismatch)")

        // The pod already has the class's toleration: it is there once.
        try await k.ok("create", "-f", "-", stdin: Self.pod("tolerant", """
            runtimeClassName: sandboxed
            tolerations: [{key: sandbox, operator: Exists, effect: NoSchedule}]
            """))
        #expect(try await k.ok("get", "pod", "tolerant", "-o", "jsonpath={range .spec.tolerations[*]}{.key}:{.operator}:{.effect} {end}")
                == "sandbox:Exists:NoSchedule node.kubernetes.io/not-ready:Exists:NoExecute node.kubernetes.io/unreachable:Exists:NoExecute ")
        #expect(try await k.ok("get", "pods", "-o", "name") == "pod/tolerant\n")
    }

    @Test func explainRuntimeClass() async throws {
        let k = try await KubectlHarness(controllers: false)
        let explained = try await k.ok("explain", "runtimeclass")
        #expect(explained.contains("GROUP:      node.k8s.io") && explained.contains("KIND:       RuntimeClass") && explained.contains("VERSION:    v1"),
                "\(explained)")
        #expect(explained.contains("handler\t<string> -required-") && explained.contains("overhead\t<Overhead>")
                && explained.contains("scheduling\t<Scheduling>"), "\(explained)")
        let tolerations = try await k.ok("explain", "runtimeclass.scheduling.tolerations")
        #expect(tolerations.contains("FIELD: tolerations <[]Toleration>") && tolerations.contains("tolerationSeconds\t<integer>"), "\(tolerations)")
        #expect(try await k.ok("explain", "runtimeclass.overhead").contains("podFixed\t<map[string]Quantity>"))
        let document = try await k.ok("get", "--raw", "/openapi/v3/apis/node.k8s.io/v1")
        #expect(document.contains(#""io.k8s.api.node.v1.Overhead""#) && document.contains(#""io.k8s.api.node.v1.Scheduling""#)
                && document.contains(#""io.k8s.api.node.v1.RuntimeClassList""#), "\(document.prefix(400))")
    }

    /// Upstream's default roles: view, edit and admin do not reach RuntimeClasses; a kubelet (system:node) reads them.
    @Test func defaultRolesOnRuntimeClasses() async throws {
        let k = try await KubectlHarness(controllers: false)
        var kubeconfigs: [String: String] = [:]
        for role in ["view", "edit", "admin"] {
            try await k.ok("create", "clusterrolebinding", "\(role)-all", "--clusterrole=\(role)", "--user=\(role)-user")
            kubeconfigs[role] = try k.server.kubeconfig(user: "\(role)-user")
        }
        kubeconfigs["node"] = try k.server.kubeconfig(user: "system:node:n1", groups: ["system:nodes"])
        func canI(_ who: String, _ verb: String) async throws -> String {
            let result = try await runCommand(k.kubectlPath, ["--kubeconfig", kubeconfigs[who]!, "auth", "can-i", verb, "runtimeclasses.node.k8s.io"],
                                              environment: ["HOME": k.workDirectory], timeout: 60)
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        for role in ["view", "edit", "admin"] {
            #expect(try await canI(role, "list") == "no", "\(role)")
        }
        for verb in ["get", "list", "watch"] { #expect(try await canI("node", verb) == "yes", "node \(verb)") }
        #expect(try await canI("node", "create") == "no")
    }
}

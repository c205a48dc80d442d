import Foundation
import KubeAPI
import Testing
import TestSupport

/// The real kubectl 1.32 against `swiftlet server`.
@Suite(.serialized) struct KubectlTests {
    static let manifest = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
          labels: {tier: web}
        data:
          mode: fast
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels: {app: web}
        spec:
          replicas: 2
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: nginx
                image: nginx:1.25
                ports: [{containerPort: 80}]
                env: [{name: MODE, value: fast}]
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        spec:
          type: NodePort
          selector: {app: web}
          ports: [{port: 80, targetPort: 80}]
        """

    @Test func createGetInEveryOutputFormat() async throws {
        let k = try await KubectlHarness()
        #expect(try await k.ok("run", "box", "--image=busybox:1.36", "--labels=app=box", "--", "sleep", "3600").contains("pod/box created"))
        let wide = try await k.ok("get", "pod", "box", "-o", "wide")
        #expect(wide.contains("NAME") && wide.contains("READY") && wide.contains("NOMINATED NODE") && wide.contains("box"))
        #expect(wide.contains("0/1") && wide.contains("Pending"))
        let yaml = try await k.ok("get", "pod", "box", "-o", "yaml")
        #expect(yaml.contains("restartPolicy: Always") && yaml.contains("dnsPolicy: ClusterFirst"))
        #expect(yaml.contains("imagePullPolicy: IfNotPresent") && yaml.contains("terminationGracePeriodSeconds: 30"))
        #expect(yaml.contains("node.kubernetes.io/not-ready") && yaml.contains("uid:") && yaml.contains("resourceVersion:"))
        #expect(try await k.ok("get", "pod", "box", "-o", "jsonpath={.spec.containers[0].image}") == "busybox:1.36")
        #expect(try await k.ok("get", "pods", "-l", "app=box", "-o", "name") == "pod/box\n")
        #expect(try await k.ok("get", "pods", "-l", "app=other", "-o", "name").isEmpty)
        #expect(try await k.ok("get", "pods", "--field-selector", "status.phase=Pending", "-o", "name") == "pod/box\n")
        let svc = try await k.ok("get", "svc", "kubernetes")
        #expect(svc.contains("ClusterIP") && svc.contains("10.96.0.1") && svc.contains("443/TCP"))
        let namespaces = try await k.ok("get", "ns")
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] { #expect(namespaces.contains(ns)) }
        let missing = try await k.kubectl("get", "pod", "nope")
        #expect(missing.status != 0 && missing.stderr.contains("pods \"nope\" not found"))
    }

    @Test func applyTwiceUpdatesInPlaceAndServerSideApplyConflicts() async throws {
        let k = try await KubectlHarness()
        let path = try k.file("app.yaml", Self.manifest)
        let first = try await k.ok("apply", "-f", path)
        #expect(first.contains("configmap/settings created") && first.contains("deployment.apps/web created") && first.contains("service/web created"))
        let nodePort = try await k.ok("get", "svc", "web", "-o", "jsonpath={.spec.ports[0].nodePort}")
        #expect((30000...32767).contains(Int(nodePort) ?? 0))
        let uid = try await k.ok("get", "deploy", "web", "-o", "jsonpath={.metadata.uid}")
        let changed = try k.file("app2.yaml", Self.manifest.replacingOccurrences(of: "replicas: 2", with: "replicas: 3")
            .replacingOccurrences(of: "mode: fast", with: "mode: slow"))
        let second = try await k.ok("apply", "-f", changed)
        #expect(second.contains("deployment.apps/web configured") && second.contains("configmap/settings configured"))
        #expect(second.contains("service/web unchanged"))
        #expect(try await k.ok("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}") == "3")
        #expect(try await k.ok("get", "deploy", "web", "-o", "jsonpath={.metadata.uid}") == uid)
        #expect(try await k.ok("get", "cm", "settings", "-o", "jsonpath={.data.mode}") == "slow")
        #expect(try await k.ok("get", "svc", "web", "-o", "jsonpath={.spec.ports[0].nodePort}") == nodePort)

        // Server-side apply by another manager changing a field kubectl owns: a conflict, then forced.
        let ssa = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 5
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: nginx, image: nginx:1.25}]
            """
        let ssaPath = try k.file("ssa.yaml", ssa)
        let conflict = try await k.kubectl("apply", "--server-side", "--field-manager=other", "-f", ssaPath)
        #expect(conflict.status != 0)
        #expect(conflict.stderr.contains("conflict"), "\(conflict)")
        #expect(try await k.ok("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}") == "3")
        let forced = try await k.ok("apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", ssaPath)
        #expect(forced.contains("deployment.apps/web serverside-applied"))
        #expect(try await k.ok("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}") == "5")
        let managers = try await k.ok("get", "deploy", "web", "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[*].manager}")
        #expect(managers.contains("other"))

        // `kubectl diff` of an unchanged object made without annotations finds nothing: its dry-run patch carries
        // `annotations: {}`, which upstream (Go's omitempty) never keeps.
        let plain = try k.file("plain.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\ndata: {a: '1'}\n")
        _ = try await k.ok("create", "-f", plain)
        let diff = try await k.kubectl("diff", "-f", plain)
        #expect(diff.status == 0 && diff.stdout.isEmpty, "\(diff)")
        let patched = try await k.ok("patch", "cm", "plain", "-p", #"{"metadata":{"annotations":{},"labels":{}}}"#, "-o", "json")
        #expect(!patched.contains("\"annotations\"") && !patched.contains("\"labels\""), "\(patched)")
    }

    @Test func patchLabelScale() async throws {
        let k = try await KubectlHarness()
        _ = try await k.ok("apply", "-f", try k.file("app.yaml", Self.manifest))
        _ = try await k.ok("patch", "deploy", "web", "--type=merge", "-p", #"{"spec":{"minReadySeconds":7}}"#)
        #expect(try await k.ok("get", "deploy", "web", "-o", "jsonpath={.spec.minReadySeconds}") == "7")
        _ = try await k.ok("patch", "deploy", "web", "--type=json", "-p", #"[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.26"}]"#)
        #expect(try await k.ok("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}") == "nginx:1.26")
        // Strategic merge: the container list is merged by name, so the existing env survives.
        _ = try await k.ok("patch", "deploy", "web", "-p", #"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"EXTRA","value":"1"}]}]}}}}"#)
        let envNames = try await k.ok("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].env[*].name}")
        #expect(Set(envNames.split(separator: " ")) == ["MODE", "EXTRA"], "\(envNames)")
        #expect(try await k.ok("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}") == "nginx:1.26")
        let generation = try await k.ok("get", "deploy", "web", "-o", "jsonpath={.metadata.generation}")
        #expect(Int(generation) == 4)
        _ = try await k.ok("label", "deploy", "web", "team=blue")
        #expect(try await k.ok("get", "deploy", "-l", "team=blue", "-o", "name") == "deployment.apps/web\n")
        let relabel = try await k.kubectl("label", "deploy", "web", "team=red")
        #expect(relabel.status != 0 && relabel.stderr.contains("already has a value (blue)"))
        _ = try await k.ok("label", "deploy", "web", "team-")
        #expect(try await k.ok("get", "deploy", "-l", "team", "-o", "name").isEmpty)
        #expect(try await k.ok("scale", "deploy", "web", "--replicas=4").contains("deployment.apps/web scaled"))
        #expect(try await k.ok("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}") == "4")
        let badPatch = try await k.kubectl("patch", "deploy", "web", "--type=json", "-p", #"[{"op":"remove","path":"/spec/nope"}]"#)
        #expect(badPatch.status != 0)
    }

    /// Server-side apply through `/scale`, following upstream's TestScaleAllResources: ownership of `spec.replicas`
    /// moves between the parent's appliers and the Scale's writers, apply on the Scale conflicts with the parent's
    /// owner, and the parent's managedFields say who set replicas through the subresource.
    @Test(arguments: ["deployment", "replicaset", "statefulset"])
    func serverSideApplyOnTheScaleSubresource(_ kind: String) async throws {
        let k = try await KubectlHarness(controllers: false)
        let resource = kind + "s"
        let manifest = """
            apiVersion: apps/v1
            kind: \(["deployment": "Deployment", "replicaset": "ReplicaSet", "statefulset": "StatefulSet"][kind]!)
            metadata: {name: test}
            spec:
              replicas: 1
              selector: {matchLabels: {app: nginx}}
              template:
                metadata: {labels: {app: nginx}}
                spec: {containers: [{name: nginx, image: "nginx:latest"}]}
            """
        let path = try k.file("\(kind).yaml", manifest)
        func scale(_ replicas: Int) throws -> String {
            try k.file("scale-\(replicas).yaml", """
                apiVersion: autoscaling/v1
                kind: Scale
                metadata: {name: test, namespace: default}
                spec: {replicas: \(replicas)}
                """)
        }
        func replicas() async throws -> String { try await k.ok("get", kind, "test", "-o", "jsonpath={.spec.replicas}") }
        /// The managers owning spec.replicas, as `manager/operation/subresource/apiVersion`.
        func owners() async throws -> Set<String> {
            let json = try await k.ok("get", kind, "test", "--show-managed-fields", "-o", "json")
            let entries = try JSONValue(parsing: Data(json.utf8))[path: ["metadata", "managedFields"]]?.arrayValue ?? []
            return Set(entries.filter { $0[path: ["fieldsV1", "f:spec", "f:replicas"]] != nil }.map { entry in
                ["manager", "operation", "subresource", "apiVersion"].map { entry[$0]?.stringValue ?? "" }.joined(separator: "/")
            })
        }
        func expectOwners(_ expected: Set<String>, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let actual = try await owners()
            #expect(actual == expected, sourceLocation: sourceLocation)
        }
        _ = try await k.ok("apply", "--server-side", "--field-manager=apply_test", "-f", path)
        try await expectOwners(["apply_test/Apply//apps/v1"])

        // A merge patch of the Scale takes replicas over, recorded on the parent for the subresource.
        _ = try await k.ok("patch", kind, "test", "--subresource=scale", "--type=merge", "-p", #"{"spec":{"replicas":5}}"#, "--field-manager=scale_test")
        #expect(try await replicas() == "5")
        try await expectOwners(["scale_test/Update/scale/apps/v1"])
        let reapplied = try await k.kubectl("apply", "--server-side", "--field-manager=apply_test", "-f", path)
        #expect(reapplied.status != 0 && reapplied.stderr.contains(#"conflict with "scale_test" with subresource "scale" using apps/v1: .spec.replicas"#), "\(reapplied)")
        _ = try await k.ok("apply", "--server-side", "--field-manager=apply_test", "--force-conflicts", "-f", path)
        #expect(try await replicas() == "1")
        try await expectOwners(["apply_test/Apply//apps/v1"])

        // kubectl 1.32's `apply --server-side --subresource=scale` sends the file's object: a Scale it cannot map (no
        // such resource in discovery), or the parent, which upstream refuses at /scale as the wrong version — as here
        // (it answered 415 before). What applies a Scale is a client that sends one (the Python client, curl).
        let unmapped = try await k.kubectl("apply", "--server-side", "--subresource=scale", "--field-manager=apply_scale", "-f", try scale(17))
        #expect(unmapped.status != 0 && unmapped.stderr.contains(#"no matches for kind "Scale" in version "autoscaling/v1""#), "\(unmapped)")
        let parentVersion = try await k.kubectl("apply", "--server-side", "--subresource=scale", "--field-manager=apply_scale", "-f", path)
        #expect(parentVersion.status != 0 && parentVersion.stderr.contains("Incorrect version specified in apply patch. Specified patch version: apps/v1, expected: autoscaling/v1"),
                "\(parentVersion)")
        // Server-side apply of a Scale: a conflict with the parent's applier, then forced.
        let conflictingRaw = try await k.curl("PATCH", "/apis/apps/v1/namespaces/default/\(resource)/test/scale?fieldManager=apply_scale",
                                             body: #"{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"test","namespace":"default"},"spec":{"replicas":17}}"#,
                                             contentType: "application/apply-patch+yaml")
        #expect(conflictingRaw.code == 409 && conflictingRaw.body.contains(#"Apply failed with 1 conflict: conflict with \"apply_test\": .spec.replicas"#), "\(conflictingRaw)")
        let forced = try await k.curl("PATCH", "/apis/apps/v1/namespaces/default/\(resource)/test/scale?fieldManager=apply_scale&force=true",
                                      body: "apiVersion: autoscaling/v1\nkind: Scale\nmetadata: {name: test, namespace: default}\nspec: {replicas: 17}\n",
                                      contentType: "application/apply-patch+yaml")
        #expect(forced.code == 200 && forced.body.contains(#""kind":"Scale""#) && forced.body.contains(#""replicas":17"#), "\(forced)")
        #expect(try await replicas() == "17")
        try await expectOwners(["apply_scale/Apply/scale/apps/v1"])
        let parent = try await k.ok("get", kind, "test", "--show-managed-fields", "-o", "json")
        #expect(parent.contains(#""f:template""#), "apply_test keeps the rest of what it applied: \(parent)")

        // A replace of the Scale, then an apply of the same value: both own replicas; a scale makes one owner again.
        let replaced = try await k.curl("PUT", "/apis/apps/v1/namespaces/default/\(resource)/test/scale?fieldManager=replace_test",
                                        body: #"{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"test","namespace":"default"},"spec":{"replicas":7}}"#)
        #expect(replaced.code == 200, "\(replaced)")
        try await expectOwners(["replace_test/Update/scale/apps/v1"])
        let coOwning = try await k.curl("PATCH", "/apis/apps/v1/namespaces/default/\(resource)/test/scale?fieldManager=co_owning_test",
                                        body: #"{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"test","namespace":"default"},"spec":{"replicas":7}}"#,
                                        contentType: "application/apply-patch+yaml")
        #expect(coOwning.code == 200, "\(coOwning)")
        try await expectOwners(["replace_test/Update/scale/apps/v1", "co_owning_test/Apply/scale/apps/v1"])
        #expect(try await k.ok("scale", kind, "test", "--replicas=5").contains("scaled"))
        #expect(try await replicas() == "5")
        try await expectOwners(["kubectl/Update/scale/apps/v1"])
        // A Scale apply in another version is refused as upstream refuses it.
        let wrongVersion = try await k.curl("PATCH", "/apis/apps/v1/namespaces/default/\(resource)/test/scale?fieldManager=x",
                                            body: #"{"kind":"Scale","apiVersion":"apps/v1","metadata":{"name":"test"},"spec":{"replicas":2}}"#,
                                            contentType: "application/apply-patch+yaml")
        #expect(wrongVersion.code == 400 && wrongVersion.body.contains("Specified patch version: apps/v1, expected: autoscaling/v1"), "\(wrongVersion)")
    }

    @Test func watchSeesAddedModifiedDeleted() async throws {
        let k = try await KubectlHarness()
        _ = try await k.ok("create", "configmap", "early", "--from-literal=k=v")
        let watcher = try k.watch("get", "configmaps", "-w", "--output-watch-events")
        defer { watcher.stop() }
        try await Task.sleep(for: .seconds(1))
        _ = try await k.ok("apply", "-f", "-", stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched}\ndata: {a: '1'}\n")
        _ = try await k.ok("label", "configmap", "watched", "x=y")
        _ = try await k.ok("delete", "configmap", "watched")
        let text = try await watcher.waitForOutput(containing: "DELETED")
        #expect(text.contains("ADDED") && text.contains("watched"), "\(text)")
        #expect(text.contains("MODIFIED"), "\(text)")
        #expect(text.contains("DELETED"), "\(text)")
        // Watch events come as Table rows too (kubectl asks for them), so every change prints under the list's
        // header with all its columns — not under a second "NAME AGE" header.
        let lines = text.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(lines.filter { $0.first == "EVENT" } == [["EVENT", "NAME", "DATA", "AGE"]], "\(text)")
        for line in lines where line.count > 1 && line[1] == "watched" {
            #expect(line.count == 4 && line[2] == "1", "\(text)")
        }
    }

    /// Pods reach the API server at the `kubernetes` Service (KUBERNETES_SERVICE_HOST): the server keeps its
    /// Endpoints and EndpointSlice pointing at its advertised address and port, as upstream's endpoint reconciler.
    @Test func kubernetesServiceHasTheServersEndpoints() async throws {
        let k = try await KubectlHarness(controllers: false, serverArguments: ["--advertise-address", "10.1.2.3"])
        let port = String(k.server.url.split(separator: ":").last ?? "")
        var endpoints = ""
        for _ in 0..<40 where endpoints != "10.1.2.3:\(port)" {
            endpoints = try await k.kubectl("get", "endpoints", "kubernetes", "-o", "jsonpath={.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}").stdout
            if endpoints != "10.1.2.3:\(port)" { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(endpoints == "10.1.2.3:\(port)")
        #expect(try await k.ok("get", "endpoints", "kubernetes", "-o", "jsonpath={.metadata.labels}") == #"{"endpointslice.kubernetes.io/skip-mirror":"true"}"#)
        let slice = try await k.ok("get", "endpointslice", "kubernetes", "-o",
                                   "jsonpath={.metadata.labels} {.addressType} {.endpoints[*].addresses[*]} {.endpoints[0].conditions.ready} {.ports[0].name}/{.ports[0].protocol}/{.ports[0].port}")
        #expect(slice == #"{"kubernetes.io/service-name":"kubernetes"} IPv4 10.1.2.3 true https/TCP/"# + port)
    }

    @Test func deleteWithEachPropagationPolicy() async throws {
        // Without controllers the finalizers the server sets stay visible (the garbage collector would act on them).
        let k = try await KubectlHarness(controllers: false)
        for name in ["bg", "fg", "orphan"] {
            _ = try await k.ok("apply", "-f", "-", stdin: Self.manifest.components(separatedBy: "---")[1].replacingOccurrences(of: "name: web\n  labels", with: "name: \(name)\n  labels"))
        }
        #expect(try await k.ok("delete", "deployment", "bg", "--cascade=background").contains("deployment.apps \"bg\" deleted"))
        #expect(try await k.kubectl("get", "deployment", "bg").status != 0)
        _ = try await k.ok("delete", "deployment", "fg", "--cascade=foreground", "--wait=false")
        #expect(try await k.ok("get", "deployment", "fg", "-o", "jsonpath={.metadata.finalizers}").contains("foregroundDeletion"))
        #expect(!(try await k.ok("get", "deployment", "fg", "-o", "jsonpath={.metadata.deletionTimestamp}")).isEmpty)
        _ = try await k.ok("delete", "deployment", "orphan", "--cascade=orphan", "--wait=false")
        #expect(try await k.ok("get", "deployment", "orphan", "-o", "jsonpath={.metadata.finalizers}").contains("orphan"))
        // Removing the finalizer completes the deletion, as the garbage collector will.
        _ = try await k.ok("patch", "deployment", "orphan", "--type=merge", "-p", #"{"metadata":{"finalizers":null}}"#)
        #expect(try await k.kubectl("get", "deployment", "orphan").status != 0)
        // A pod bound to a node is deleted gracefully: it stays, terminating, until the kubelet confirms.
        _ = try await k.ok("run", "graceful", "--image=busybox:1.36")
        let bind = try await k.curl("POST", "/api/v1/namespaces/default/pods/graceful/binding",
                              body: #"{"apiVersion":"v1","kind":"Binding","metadata":{"name":"graceful"},"target":{"kind":"Node","name":"n1"}}"#)
        #expect(bind.code == 201, "\(bind)")
        _ = try await k.ok("delete", "pod", "graceful", "--wait=false")
        #expect(try await k.ok("get", "pod", "graceful", "-o", "jsonpath={.metadata.deletionGracePeriodSeconds}") == "30")
        #expect(try await k.ok("get", "pod", "graceful").contains("Terminating"))
        _ = try await k.ok("delete", "pod", "graceful", "--grace-period=0", "--force")
        #expect(try await k.kubectl("get", "pod", "graceful").status != 0)
    }

    @Test func badInputIsRejectedWithUpstreamStatusAndNothingIsStored() async throws {
        let k = try await KubectlHarness()
        let malformed = try await k.curl("POST", "/api/v1/namespaces/default/configmaps", body: #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x""#)
        #expect(malformed.code == 400 && malformed.body.contains("\"reason\":\"BadRequest\""), "\(malformed)")
        let unknownKind = try await k.kubectl(["apply", "-f", "-"], stdin: "apiVersion: v1\nkind: Gadget\nmetadata: {name: g}\n")
        #expect(unknownKind.status != 0 && unknownKind.stderr.contains("Gadget"), "\(unknownKind)")
        let badName = try await k.kubectl(["apply", "-f", "-"], stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n")
        #expect(badName.status != 0 && badName.stderr.contains("RFC 1123 subdomain"), "\(badName)")
        let huge = String(repeating: "x", count: 3 * 1024 * 1024 + 10)
        let tooLarge = try await k.curl("POST", "/api/v1/namespaces/default/configmaps",
                                  body: #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"a":"\#(huge)"}}"#)
        #expect(tooLarge.code == 413, "\(tooLarge.code)")
        let strict = try await k.kubectl(["apply", "-f", "-"], stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: strict}\ndata: {a: b}\nbogus: 1\n")
        #expect(strict.status != 0 && strict.stderr.contains("unknown field \"bogus\""), "\(strict)")
        _ = try await k.ok("apply", "-f", "-", stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: versioned}\ndata: {a: '1'}\n")
        let current = try await k.ok("get", "cm", "versioned", "-o", "json")
        _ = try await k.ok("label", "cm", "versioned", "bump=1")
        let stale = try await k.kubectl(["replace", "-f", "-"], stdin: current)
        #expect(stale.status != 0 && stale.stderr.contains("the object has been modified"), "\(stale)")
        let noNamespace = try await k.kubectl(["apply", "-n", "missing", "-f", "-"], stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
        #expect(noNamespace.status != 0 && noNamespace.stderr.contains("namespaces \"missing\" not found"))
        // A subresource the server does not serve: upstream's 404 with its details (kubectl debug reads them to tell a
        // cluster without ephemeral containers from a missing pod, and panicked on a Status without details).
        let unknownSubresource = try await k.curl("GET", "/api/v1/namespaces/default/configmaps/versioned/gadget")
        #expect(unknownSubresource.code == 404 && unknownSubresource.body.contains(#""reason":"UnexpectedServerResponse""#), "\(unknownSubresource)")
        // Only what was accepted (besides the root-CA publisher's kube-root-ca.crt, which every namespace has).
        let names = try await k.ok("get", "cm", "-o", "name").split(separator: "\n").filter { $0 != "configmap/kube-root-ca.crt" }
        #expect(names == ["configmap/versioned"], "\(names)")
    }

    /// `pods/ephemeralcontainers` as upstream serves it: kubectl debug's strategic merge patch adds a container, which
    /// is then never removed or changed, with upstream's validation messages; the pod itself cannot touch them.
    @Test func ephemeralContainersAreAddedButNeverRemovedOrChanged() async throws {
        let k = try await KubectlHarness(controllers: false)
        let pods = "/api/v1/namespaces/default/pods"
        func status(_ response: (code: Int, body: String)) throws -> (code: Int, message: String, fields: [String]) {
            let value = try JSONValue(parsing: Data(response.body.utf8))
            return (response.code, value["message"]?.stringValue ?? "",
                    value[path: ["details", "causes"]]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? [])
        }
        let created = try status(await k.curl("POST", pods, body: #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"early"},"spec":{"containers":[{"name":"c","image":"x"}],"ephemeralContainers":[{"name":"d","image":"x"}]}}"#))
        #expect(created.code == 422 && created.message == #"Pod "early" is invalid: spec.ephemeralContainers: Forbidden: cannot be set on create"#, "\(created)")
        _ = try await k.ok("create", "-f", "-", stdin: #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"target"},"spec":{"volumes":[{"name":"v","emptyDir":{}}],"initContainers":[{"name":"i","image":"x"}],"containers":[{"name":"c","image":"x"}]}}"#)

        // Discovery as upstream's, and kubectl debug (GET, then a strategic merge patch of the subresource).
        let discovery = try JSONValue(parsing: Data(try await k.ok("get", "--raw", "/api/v1").utf8))
        let listed = discovery["resources"]?.arrayValue?.first { $0["name"]?.stringValue == "pods/ephemeralcontainers" }
        #expect(listed?["kind"] == "Pod" && listed?["verbs"] == ["get", "patch", "update"], "\(String(describing: listed))")
        let debug = try await k.kubectl("debug", "pod/target", "--image=busybox:1.36", "-c", "dbg", "--target=c", "--profile=general", "--", "sleep", "1")
        #expect(debug.status == 0 && debug.stdout.contains(#"Targeting container "c""#), "\(debug)")
        let pod = try JSONValue(parsing: Data(try await k.ok("get", "pod", "target", "-o", "json").utf8))
        let added = pod[path: ["spec", "ephemeralContainers"]]?.arrayValue?.first
        #expect(added?["name"] == "dbg" && added?["targetContainerName"] == "c" && added?["command"] == ["sleep", "1"]
                && added?["imagePullPolicy"] == "IfNotPresent" && added?["terminationMessagePolicy"] == "File"
                && added?[path: ["securityContext", "capabilities", "add"]] == ["SYS_PTRACE"], "\(String(describing: added))")
        let viaSubresource = try await k.curl("GET", pods + "/target/ephemeralcontainers")
        #expect(viaSubresource.code == 200 && viaSubresource.body.contains(#""kind":"Pod""#) && viaSubresource.body.contains(#""name":"dbg""#))

        // Removed or changed: 422 with upstream's messages (the trailing newline included).
        let removed = try status(await k.curl("PATCH", pods + "/target/ephemeralcontainers", body: #"[{"op":"remove","path":"/spec/ephemeralContainers/0"}]"#,
                                              contentType: "application/json-patch+json"))
        #expect(removed.code == 422 && removed.message == "Pod \"target\" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers \"dbg\" may not be removed\n",
                "\(removed)")
        let changed = try status(await k.curl("PATCH", pods + "/target/ephemeralcontainers", body: #"[{"op":"replace","path":"/spec/ephemeralContainers/0/image","value":"busybox:1.37"}]"#,
                                              contentType: "application/json-patch+json"))
        #expect(changed.code == 422 && changed.message.hasPrefix("Pod \"target\" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers \"dbg\" may not be changed\n")
                && changed.message.contains("busybox:1.37"), "\(changed)")

        // Fields an ephemeral container may not have, a name taken by another container, a target that is not there.
        let forbidden = try status(await k.curl("PATCH", pods + "/target/ephemeralcontainers", body: #"""
            {"spec":{"ephemeralContainers":[{"name":"bad","image":"x","targetContainerName":"missing","ports":[{"containerPort":80}],
             "resources":{"limits":{"cpu":"1"}},"restartPolicy":"Always","readinessProbe":{"exec":{"command":["true"]}},
             "lifecycle":{"postStart":{"exec":{"command":["true"]}}},"volumeMounts":[{"name":"v","mountPath":"/v","subPath":"s"}]},
             {"name":"i","image":"x"}]}}
            """#, contentType: "application/strategic-merge-patch+json"))
        // Upstream's strategic merge puts the patch's new items before those only the server has.
        let bad = "spec.ephemeralContainers[0]"
        #expect(forbidden.code == 422 && forbidden.fields == [bad + ".targetContainerName", bad + ".ports", bad + ".resources", bad + ".restartPolicy",
                                                               bad + ".readinessProbe", bad + ".lifecycle", bad + ".volumeMounts[0].subPath",
                                                               "spec.ephemeralContainers[1].name"], "\(forbidden)")
        #expect(forbidden.message.contains(bad + ".ports: Forbidden: cannot be set for an Ephemeral Container")
                && forbidden.message.contains(bad + #".targetContainerName: Not found: "missing""#)
                && forbidden.message.contains(#"spec.ephemeralContainers[1].name: Duplicate value: "i""#), "\(forbidden)")

        // A second one through PUT (the `update` verb), next to the first.
        var replacement = try JSONValue(parsing: Data(try await k.ok("get", "pod", "target", "-o", "json").utf8))
        let existing = replacement[path: ["spec", "ephemeralContainers"]]?.arrayValue ?? []
        replacement["spec"]?["ephemeralContainers"] = .array(existing + [["name": "second", "image": "x"]])
        let put = try await k.curl("PUT", pods + "/target/ephemeralcontainers", body: replacement.jsonString)
        #expect(put.code == 200, "\(put)")
        #expect(try await k.ok("get", "pod", "target", "-o", "jsonpath={.spec.ephemeralContainers[*].name}") == "dbg second")

        // The pod itself may not add, change or drop them.
        for (body, type) in [(#"[{"op":"remove","path":"/spec/ephemeralContainers"}]"#, "application/json-patch+json"),
                             (#"{"spec":{"ephemeralContainers":[{"name":"third","image":"x"}]}}"#, "application/strategic-merge-patch+json")] {
            let main = try status(await k.curl("PATCH", pods + "/target", body: body, contentType: type))
            #expect(main.code == 422 && main.message.hasPrefix(#"Pod "target" is invalid: spec: Forbidden: pod updates may not change fields other than"#), "\(main)")
        }
        // Writes that leave them alone still go through: a label (PATCH) and a replace (PUT) of the pod as read.
        _ = try await k.ok("label", "pod", "target", "debugged=yes")
        _ = try await k.ok("replace", "-f", "-", stdin: try await k.ok("get", "pod", "target", "-o", "json"))
        // A static pod's mirror takes none.
        _ = try await k.ok("create", "-f", "-", stdin: #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"mirror","annotations":{"kubernetes.io/config.mirror":"h"}},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"x"}]}}"#)
        let mirror = try status(await k.curl("PATCH", pods + "/mirror/ephemeralcontainers", body: #"{"spec":{"ephemeralContainers":[{"name":"d","image":"x"}]}}"#,
                                             contentType: "application/strategic-merge-patch+json"))
        #expect(mirror.code == 422 && mirror.message == #"Pod "mirror" is invalid: : Forbidden: static pods do not support ephemeral containers"#, "\(mirror)")
    }
}

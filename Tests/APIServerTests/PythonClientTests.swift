import Foundation
import Testing
import TestSupport

/// The official Python `kubernetes` client (pinned in hack/install-deps.sh) against `swiftlet server`.
@Suite struct PythonClientTests {
    static let python = "/opt/swiftlet-venv/bin/python"

    static let script = #"""
        import sys, threading
        from kubernetes import client, config, watch
        config.load_kube_config(config_file=sys.argv[1])
        v1 = client.CoreV1Api()
        pod = client.V1Pod(metadata=client.V1ObjectMeta(name="py", labels={"from": "python"}),
                           spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox:1.36")]))
        v1.create_namespaced_pod("default", pod)
        pods = v1.list_namespaced_pod("default", label_selector="from=python")
        print("listed", [p.metadata.name for p in pods.items], pods.items[0].spec.restart_policy)
        v1.patch_namespaced_pod_ephemeralcontainers("py", "default", {"spec": {"ephemeralContainers": [{"name": "dbg", "image": "busybox:1.36"}]}})
        debugged = v1.read_namespaced_pod_ephemeralcontainers("py", "default")
        print("ephemeral", [c.name for c in debugged.spec.ephemeral_containers], debugged.spec.ephemeral_containers[0].image_pull_policy)
        rv = pods.metadata.resource_version
        def change():
            v1.patch_namespaced_pod("py", "default", {"metadata": {"labels": {"step": "two"}}})
            v1.delete_namespaced_pod("py", "default")
        threading.Timer(0.5, change).start()
        w = watch.Watch()
        for event in w.stream(v1.list_namespaced_pod, "default", resource_version=rv, timeout_seconds=20):
            print("event", event["type"], event["object"].metadata.name)
            if event["type"] == "DELETED":
                w.stop()
        try:
            v1.read_namespaced_pod("py", "default")
        except client.exceptions.ApiException as e:
            print("status", e.status, e.reason)
        """#

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: python), "hack/install-deps.sh installs the client"))
    func listsAndWatchesPods() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let result = try await runCommand(Self.python, ["-c", Self.script, server.kubeconfig], timeout: 60)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("listed ['py'] Always"), "\(result)")
        #expect(result.stdout.contains("ephemeral ['dbg'] IfNotPresent"), "\(result)")
        #expect(result.stdout.contains("event MODIFIED py"), "\(result)")
        #expect(result.stdout.contains("event DELETED py"), "\(result)")
        #expect(result.stdout.contains("status 404"), "\(result)")
    }

    /// What a Python user sends that kubectl does not: form-encoded selectors (`+` for spaces), list and watch-list
    /// options, the legacy `bindings` resource, patches whose body names another object.
    static let listingScript = #"""
        import sys, json
        from kubernetes import client, config
        from kubernetes.client.rest import ApiException
        config.load_kube_config(config_file=sys.argv[1])
        v1 = client.CoreV1Api()
        def attempt(label, call):
            try:
                print(label, *call())
            except ApiException as e:
                print(label, e.status, json.loads(e.body)["message"])
        def pod(name, tier):
            return client.V1Pod(metadata=client.V1ObjectMeta(name=name, labels={"tier": tier}),
                                spec=client.V1PodSpec(scheduler_name="none", containers=[client.V1Container(name="c", image="busybox:1.36")]))
        for name, tier in [("a", "web"), ("b", "db"), ("c", "cache")]:
            v1.create_namespaced_pod("default", pod(name, tier))
        attempt("selected", lambda: [sorted(p.metadata.name for p in v1.list_namespaced_pod("default", label_selector="tier in (web, db),tier notin (db)").items)])
        before = v1.list_namespaced_pod("default").metadata.resource_version
        v1.delete_namespaced_pod("c", "default")
        def exact():
            listed = v1.list_namespaced_pod("default", resource_version=before, resource_version_match="Exact")
            return listed.metadata.resource_version == before, sorted(p.metadata.name for p in listed.items)
        attempt("exact", exact)
        attempt("unmatched", lambda: [len(v1.list_namespaced_pod("default", resource_version_match="Exact").items)])
        binding = client.V1Binding(metadata=client.V1ObjectMeta(name="a"), target=client.V1ObjectReference(kind="Node", name="node-1"))
        attempt("bound", lambda: [v1.create_namespaced_binding("default", binding, _preload_content=False).status, v1.read_namespaced_pod("a", "default").spec.node_name])
        attempt("listed", lambda: ["bindings" in [r.name for r in v1.get_api_resources().resources]])
        def watch_list():
            stream = v1.list_namespaced_pod("default", watch=True, send_initial_events=True, resource_version_match="NotOlderThan",
                                            allow_watch_bookmarks=True, timeout_seconds=5, _preload_content=False)
            types = []
            for line in stream:
                event = json.loads(line)
                types.append(event["type"])
                if event["type"] == "BOOKMARK":
                    stream.close()
                    return types, event["object"]["metadata"].get("annotations", {}).get("k8s.io/initial-events-end")
        attempt("watchlist", watch_list)
        attempt("matched watch", lambda: [v1.list_namespaced_pod("default", watch=True, resource_version="1", resource_version_match="NotOlderThan",
                                                                 timeout_seconds=1, _preload_content=False).status])
        attempt("renamed", lambda: [v1.patch_namespaced_pod("b", "default", {"metadata": {"name": "other"}}).metadata.name])
        """#

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: python), "hack/install-deps.sh installs the client"))
    func selectorsListOptionsAndBindings() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let result = try await runCommand(Self.python, ["-c", Self.listingScript, server.kubeconfig], timeout: 60)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("selected ['a']"), "\(result)")
        #expect(result.stdout.contains("exact True ['a', 'b', 'c']"), "\(result)")
        #expect(result.stdout.contains(#"unmatched 422 ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"#), "\(result)")
        #expect(result.stdout.contains("bound 201 node-1"), "\(result)")
        #expect(result.stdout.contains("listed True"), "\(result)")
        #expect(result.stdout.contains("watchlist ['ADDED', 'ADDED', 'BOOKMARK'] true"), "\(result)")
        #expect(result.stdout.contains(#"matched watch 422 ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"#), "\(result)")
        #expect(result.stdout.contains("renamed 400 the name of the object (other) does not match the name on the URL (b)"), "\(result)")
    }

    /// Server-side apply of a Deployment's Scale, as a Python user sends it (`application/apply-patch+yaml`).
    static let scaleApplyScript = #"""
        import sys, json
        from kubernetes import client, config
        from kubernetes.client.rest import ApiException
        config.load_kube_config(config_file=sys.argv[1])
        apps = client.AppsV1Api()
        labels = {"app": "py"}
        apps.create_namespaced_deployment("default", client.V1Deployment(
            metadata=client.V1ObjectMeta(name="py"),
            spec=client.V1DeploymentSpec(replicas=1, selector=client.V1LabelSelector(match_labels=labels),
                template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=labels),
                    spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox:1.36")])))))
        scale = {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "py", "namespace": "default"}, "spec": {"replicas": 4}}
        # Client 31 picks the patch's Content-Type itself; a default header overrides it.
        applying = client.ApiClient()
        applying.set_default_header("Content-Type", "application/apply-patch+yaml")
        scaler = client.AppsV1Api(applying)
        applied = scaler.patch_namespaced_deployment_scale("py", "default", scale, field_manager="py-autoscaler", force=True)
        print("applied", applied.kind, applied.spec.replicas)
        entries = apps.read_namespaced_deployment("py", "default").metadata.managed_fields
        print("owner", [(e.manager, e.operation, e.subresource) for e in entries if "f:replicas" in (e.fields_v1 or {}).get("f:spec", {})])
        try:
            scaler.patch_namespaced_deployment_scale("py", "default", scale)
        except ApiException as e:
            print("unmanaged", e.status, json.loads(e.body)["message"])
        """#

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: python), "hack/install-deps.sh installs the client"))
    func serverSideApplyOfADeploymentScale() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let result = try await runCommand(Self.python, ["-c", Self.scaleApplyScript, server.kubeconfig], timeout: 60)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("applied Scale 4"), "\(result)")
        #expect(result.stdout.contains("owner [('py-autoscaler', 'Apply', 'scale')]"), "\(result)")
        #expect(result.stdout.contains(#"unmanaged 400 PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch"#), "\(result)")
    }
}

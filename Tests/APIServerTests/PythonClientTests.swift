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
        #expect(result.stdout.contains("event MODIFIED py"), "\(result)")
        #expect(result.stdout.contains("event DELETED py"), "\(result)")
        #expect(result.stdout.contains("status 404"), "\(result)")
    }
}

import Foundation
import Testing
import TestSupport

extension PythonClientTests {
    /// HorizontalPodAutoscalers through the Python client's typed APIs: created as autoscaling/v2 with a memory
    /// metric and a behavior, read as v2 (defaults filled in) and as v1 (the CPU target only), listed across
    /// namespaces, and a refused one with upstream's message.
    static let autoscalingScript = #"""
        import sys, json
        from kubernetes import client, config
        from kubernetes.client.rest import ApiException
        config.load_kube_config(config_file=sys.argv[1])
        v2, v1 = client.AutoscalingV2Api(), client.AutoscalingV1Api()
        target = client.V2CrossVersionObjectReference(api_version="apps/v1", kind="Deployment", name="web")
        memory = client.V2MetricSpec(type="Resource", resource=client.V2ResourceMetricSource(
            name="memory", target=client.V2MetricTarget(type="AverageValue", average_value="100Mi")))
        cpu = client.V2MetricSpec(type="Resource", resource=client.V2ResourceMetricSource(
            name="cpu", target=client.V2MetricTarget(type="Utilization", average_utilization=60)))
        behavior = client.V2HorizontalPodAutoscalerBehavior(scale_down=client.V2HPAScalingRules(stabilization_window_seconds=30))
        hpa = client.V2HorizontalPodAutoscaler(metadata=client.V1ObjectMeta(name="web"), spec=client.V2HorizontalPodAutoscalerSpec(
            scale_target_ref=target, max_replicas=5, metrics=[cpu, memory], behavior=behavior))
        v2.create_namespaced_horizontal_pod_autoscaler("default", hpa)
        read = v2.read_namespaced_horizontal_pod_autoscaler("web", "default")
        print("v2", read.spec.min_replicas, [m.resource.name for m in read.spec.metrics],
              read.spec.behavior.scale_down.stabilization_window_seconds, read.spec.behavior.scale_up.select_policy,
              [(p.type, p.value, p.period_seconds) for p in read.spec.behavior.scale_up.policies])
        old = v1.read_namespaced_horizontal_pod_autoscaler("web", "default")
        print("v1", old.spec.target_cpu_utilization_percentage, old.spec.max_replicas, old.spec.scale_target_ref.kind)
        print("listed", [h.metadata.name for h in v2.list_horizontal_pod_autoscaler_for_all_namespaces().items])
        try:
            bad = client.V2HorizontalPodAutoscaler(metadata=client.V1ObjectMeta(name="bad"), spec=client.V2HorizontalPodAutoscalerSpec(
                scale_target_ref=target, min_replicas=3, max_replicas=2))
            v2.create_namespaced_horizontal_pod_autoscaler("default", bad)
        except ApiException as e:
            print("refused", e.status, json.loads(e.body)["message"])
        """#

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: python), "hack/install-deps.sh installs the client"))
    func horizontalPodAutoscalers() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let result = try await runCommand(Self.python, ["-c", Self.autoscalingScript, server.kubeconfig], timeout: 60)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("v2 1 ['cpu', 'memory'] 30 Max [('Pods', 4, 15), ('Percent', 100, 15)]"), "\(result)")
        #expect(result.stdout.contains("v1 60 5 Deployment"), "\(result)")
        #expect(result.stdout.contains("listed ['web']"), "\(result)")
        #expect(result.stdout.contains(#"refused 422 HorizontalPodAutoscaler.autoscaling "bad" is invalid: spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"#), "\(result)")
    }
}

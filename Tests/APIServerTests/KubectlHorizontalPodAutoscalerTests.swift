import Foundation
import Testing
import TestSupport

/// HorizontalPodAutoscalers with the real kubectl 1.32: autoscaling/v2 stored and preferred, autoscaling/v1 (what
/// `kubectl autoscale` posts) a converted view of the same objects, upstream's defaults, validation, table and
/// schemas.
@Suite(.serialized) struct KubectlHorizontalPodAutoscalerTests {
    /// Lines of a `kubectl get` table with runs of spaces collapsed.
    static func rows(_ table: String) -> [String] {
        table.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
    }

    @Test func autoscaleCreatesAV2AutoscalerReadThroughBothVersions() async throws {
        let k = try await KubectlHarness(controllers: false)
        _ = try await k.ok("create", "deployment", "web", "--image=nginx:1.25")
        let created = try await k.ok("autoscale", "deploy", "web", "--min=1", "--max=3", "--cpu-percent=50")
        #expect(created.contains("horizontalpodautoscaler.autoscaling/web autoscaled"), "\(created)")

        let table = Self.rows(try await k.ok("get", "hpa"))
        #expect(table.first == "NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE", "\(table)")
        #expect(table.last?.hasPrefix("web Deployment/web cpu: <unknown>/50% 1 3 0 ") == true, "\(table)")

        // Stored and served as autoscaling/v2: the v1 CPU target became a Resource metric.
        let v2 = try await k.ok("get", "hpa", "web", "-o", "yaml")
        #expect(v2.contains("apiVersion: autoscaling/v2") && !v2.contains("autoscaling.alpha.kubernetes.io"), "\(v2)")
        #expect(try await k.ok("get", "hpa", "web", "-o", "jsonpath={.spec.minReplicas} {.spec.metrics[*].type} {.spec.metrics[0].resource.name} {.spec.metrics[0].resource.target.type} {.spec.metrics[0].resource.target.averageUtilization} {.status.desiredReplicas}")
                == "1 Resource cpu Utilization 50 0")
        // The same object through autoscaling/v1.
        #expect(try await k.ok("get", "horizontalpodautoscalers.v1.autoscaling", "web", "-o", "jsonpath={.apiVersion} {.spec.targetCPUUtilizationPercentage} {.spec.minReplicas} {.spec.scaleTargetRef.kind}/{.spec.scaleTargetRef.name} {.status.currentReplicas}|{.metadata.annotations}")
                == "autoscaling/v1 50 1 Deployment/web 0|")

        // The controller's status write (through v2's status subresource) shows in TARGETS and REPLICAS, and in v1 as
        // currentCPUUtilizationPercentage plus the full current metrics in the round-trip annotation.
        _ = try await k.ok("patch", "hpa", "web", "--subresource=status", "--type=merge", "-p", #"""
            {"status":{"currentReplicas":2,"desiredReplicas":2,"currentMetrics":[{"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":12,"averageValue":"60m"}}}],
             "conditions":[{"type":"AbleToScale","status":"True","lastTransitionTime":"2024-05-01T12:00:00Z","reason":"ReadyForNewScale"}]}}
            """#)
        #expect(Self.rows(try await k.ok("get", "hpa")).last?.hasPrefix("web Deployment/web cpu: 12%/50% 1 3 2 ") == true)
        let v1 = try await k.ok("get", "horizontalpodautoscalers.v1.autoscaling", "web", "-o", "json")
        #expect(v1.contains(#""currentCPUUtilizationPercentage": 12"#), "\(v1)")
        #expect(v1.contains(#""autoscaling.alpha.kubernetes.io/current-metrics": "[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"currentAverageUtilization\":12,\"currentAverageValue\":\"60m\"}}]""#), "\(v1)")
        #expect(v1.contains(#""autoscaling.alpha.kubernetes.io/conditions": "[{\"type\":\"AbleToScale\",\"status\":\"True\",\"lastTransitionTime\":\"2024-05-01T12:00:00Z\",\"reason\":\"ReadyForNewScale\"}]""#), "\(v1)")

        // A v1 update of the spec keeps the status it cannot carry (the annotations are the view's, not the client's).
        let edited = v1.replacingOccurrences(of: #""maxReplicas": 3"#, with: #""maxReplicas": 5"#)
            .replacingOccurrences(of: #""autoscaling.alpha.kubernetes.io/conditions""#, with: #""example.com/dropped""#)
        _ = try await k.ok("replace", "-f", try k.file("web-v1.json", edited))
        #expect(try await k.ok("get", "hpa", "web", "-o", "jsonpath={.spec.maxReplicas} {.status.conditions[0].type} {.status.currentMetrics[0].resource.current.averageValue}")
                == "5 AbleToScale 60m")

        // Discovery: autoscaling/v2 preferred, v1 served too; shortName hpa, in the `all` category.
        let resources = try await k.ok("api-resources", "--api-group=autoscaling")
        #expect(Self.rows(resources).contains("horizontalpodautoscalers hpa autoscaling/v2 true HorizontalPodAutoscaler"), "\(resources)")
        #expect(try await k.ok("api-versions").contains("autoscaling/v1\nautoscaling/v2\n"))
        #expect(try await k.ok("get", "all", "-o", "name").contains("horizontalpodautoscaler.autoscaling/web\n"))
        #expect(try await k.ok("get", "hpa", "--field-selector", "metadata.name=web", "-o", "name") == "horizontalpodautoscaler.autoscaling/web\n")
    }

    static let memoryAndBehavior = """
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: api}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
          maxReplicas: 4
          metrics:
          - type: Resource
            resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
          - type: Resource
            resource: {name: memory, target: {type: AverageValue, averageValue: 500Mi}}
          - type: Pods
            pods: {metric: {name: qps}, target: {type: AverageValue, averageValue: "10"}}
          behavior:
            scaleDown: {stabilizationWindowSeconds: 60}
        """

    @Test func aV2AutoscalerKeepsWhatV1CannotExpressThroughAV1Update() async throws {
        let k = try await KubectlHarness(controllers: false)
        #expect(try await k.ok("apply", "-f", try k.file("api.yaml", Self.memoryAndBehavior)).contains("horizontalpodautoscaler.autoscaling/api created"))
        // Upstream's v2 defaults: minReplicas 1; a behavior that is set gets the default rules where they are unset.
        #expect(try await k.ok("get", "hpa", "api", "-o", "jsonpath={.spec.minReplicas} {.spec.behavior.scaleUp.stabilizationWindowSeconds} {.spec.behavior.scaleUp.selectPolicy} {.spec.behavior.scaleUp.policies} {.spec.behavior.scaleDown}")
                == #"1 0 Max [{"periodSeconds":15,"type":"Pods","value":4},{"periodSeconds":15,"type":"Percent","value":100}] {"policies":[{"periodSeconds":15,"type":"Percent","value":100}],"selectPolicy":"Max","stabilizationWindowSeconds":60}"#)
        #expect(Self.rows(try await k.ok("get", "hpa", "api")).last?.hasPrefix("api Deployment/api cpu: <unknown>/70%, memory: <unknown>/500Mi + 1 more... 1 4 0 ") == true)

        // Through v1: the CPU target is targetCPUUtilizationPercentage, the rest upstream's round-trip annotations.
        let v1 = try await k.ok("get", "horizontalpodautoscalers.v1.autoscaling", "api", "-o", "json")
        #expect(v1.contains(#""targetCPUUtilizationPercentage": 70"#), "\(v1)")
        #expect(v1.contains(#""autoscaling.alpha.kubernetes.io/metrics": "[{\"type\":\"Resource\",\"resource\":{\"name\":\"memory\",\"targetAverageValue\":\"500Mi\"}},{\"type\":\"Pods\",\"pods\":{\"metricName\":\"qps\",\"targetAverageValue\":\"10\"}}]""#), "\(v1)")
        #expect(v1.contains(#""autoscaling.alpha.kubernetes.io/behavior": "{\"ScaleUp\":{\"StabilizationWindowSeconds\":0,\"SelectPolicy\":\"Max\",\"Policies\":[{\"Type\":\"Pods\",\"Value\":4,\"PeriodSeconds\":15},{\"Type\":\"Percent\",\"Value\":100,\"PeriodSeconds\":15}]},\"ScaleDown\":{\"StabilizationWindowSeconds\":60,\"SelectPolicy\":\"Max\",\"Policies\":[{\"Type\":\"Percent\",\"Value\":100,\"PeriodSeconds\":15}]}}""#), "\(v1)")

        // A v1 client changes the CPU target and writes the object back: nothing v1 cannot express is lost.
        let edited = v1.replacingOccurrences(of: #""targetCPUUtilizationPercentage": 70"#, with: #""targetCPUUtilizationPercentage": 60"#)
        #expect(try await k.ok("replace", "-f", try k.file("api-v1.json", edited)).contains("horizontalpodautoscaler.autoscaling/api replaced"))
        #expect(try await k.ok("get", "hpa", "api", "-o", "jsonpath={range .spec.metrics[*]}{.type}/{.resource.name}{.pods.metric.name} {end}|{.spec.behavior.scaleDown.stabilizationWindowSeconds}")
                == "Resource/memory Pods/qps Resource/cpu |60")
        // The round-trip annotations are the view's: none is stored (kubectl's last-applied copy of the v1 object aside).
        let stored = try await k.ok("get", "hpa", "api", "-o", "yaml")
        #expect(stored.contains("last-applied-configuration") && !stored.contains("\n    autoscaling.alpha.kubernetes.io/"), "\(stored)")
        #expect(try await k.ok("get", "hpa", "api", "-o", "jsonpath={.spec.metrics[2].resource.target.averageUtilization} {.spec.metrics[0].resource.target.averageValue}") == "60 500Mi")
    }

    @Test func invalidAutoscalersGetUpstreamsStatus() async throws {
        let k = try await KubectlHarness(controllers: false)
        let invalid = try await k.kubectl("create", "-f", "-", stdin: """
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: bad}
            spec:
              scaleTargetRef: {name: web}
              minReplicas: 3
              maxReplicas: 2
              metrics:
              - type: Resource
                resource: {name: cpu, target: {type: Utilization, averageUtilization: 0}}
              - type: Pods
                resource: {name: memory, target: {type: AverageValue, averageValue: 1Gi}}
              behavior:
                scaleDown:
                  stabilizationWindowSeconds: 4000
                  policies: [{type: Replicas, value: 0, periodSeconds: 15}]
            """)
        KubectlDefaultKindsTests.expectInvalid(invalid, #"The HorizontalPodAutoscaler "bad" is invalid:"#, [
            "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`",
            "spec.scaleTargetRef.kind: Required value",
            "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0",
            "spec.metrics[1].pods: Required value: must populate information for the given metric source",
            "spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: 4000: must be less than or equal to 3600",
            #"spec.behavior.scaleDown.policies[0].type: Unsupported value: "Replicas": supported values: "Percent", "Pods""#,
            "spec.behavior.scaleDown.policies[0].value: Invalid value: 0: must be greater than zero",
        ])

        // Through autoscaling/v1, validated as the v2 object it stands for: 422 Invalid with the field paths as causes.
        let raw = try await k.curl("POST", "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers", body: #"""
            {"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"zero"},
             "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web/x"},"minReplicas":0,"maxReplicas":0}}
            """#)
        #expect(raw.code == 422, "\(raw)")
        for expected in [#""reason":"Invalid""#, #""field":"spec.minReplicas""#, "Invalid value: 0: must be greater than or equal to 1",
                         #""field":"spec.maxReplicas""#, "Invalid value: 0: must be greater than 0",
                         #""field":"spec.scaleTargetRef.name""#, #"Invalid value: \"web/x\": may not contain '/'"#] {
            #expect(raw.body.contains(expected), "\(expected) in \(raw.body)")
        }
    }

    @Test func explainHorizontalPodAutoscalerInBothVersions() async throws {
        let k = try await KubectlHarness(controllers: false)
        let metrics = try await k.ok("explain", "hpa.spec.metrics")
        #expect(metrics.contains("GROUP:      autoscaling") && metrics.contains("KIND:       HorizontalPodAutoscaler")
                && metrics.contains("VERSION:    v2") && metrics.contains("FIELD: metrics <[]MetricSpec>"), "\(metrics)")
        #expect(metrics.contains("resource\t<ResourceMetricSource>") && metrics.contains("type\t<string> -required-")
                && metrics.contains("containerResource\t<ContainerResourceMetricSource>"), "\(metrics)")
        let v1 = try await k.ok("explain", "hpa.spec", "--api-version=autoscaling/v1")
        #expect(v1.contains("VERSION:    v1") && v1.contains("targetCPUUtilizationPercentage\t<integer>")
                && v1.contains("scaleTargetRef\t<CrossVersionObjectReference> -required-"), "\(v1)")
        // Each version's document names its own CrossVersionObjectReference, as upstream's.
        let v1Document = try await k.ok("get", "--raw", "/openapi/v3/apis/autoscaling/v1")
        #expect(v1Document.contains(#""io.k8s.api.autoscaling.v1.CrossVersionObjectReference""#)
                && !v1Document.contains("io.k8s.api.autoscaling.v2."), "\(v1Document.prefix(400))")
        #expect(try await k.ok("get", "--raw", "/openapi/v3/apis/autoscaling/v2").contains(#""io.k8s.api.autoscaling.v2.CrossVersionObjectReference""#))
    }
}

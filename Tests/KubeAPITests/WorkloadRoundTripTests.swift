import Foundation
import Testing
@testable import KubeAPI

@Suite struct WorkloadRoundTripTests {
    static let template = #"""
    {"metadata": {"labels": {"app": "web"}, "annotations": {"kubectl.kubernetes.io/restartedAt": "2024-05-01T11:00:00Z"}},
     "spec": {"containers": [{"name": "web", "image": "registry.local/web:1.4.2",
                               "ports": [{"containerPort": 8080, "name": "http"}],
                               "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}],
              "restartPolicy": "Always", "terminationGracePeriodSeconds": 30}}
    """#

    @Test func deployment() throws {
        let d = try expectRoundTrip(Deployment.self, #"""
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "web", "namespace": "shop", "generation": 4, "annotations": {"deployment.kubernetes.io/revision": "3"}},
         "spec": {"replicas": 3,
                  "selector": {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["batch"]}]},
                  "template": \#(Self.template),
                  "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1}},
                  "minReadySeconds": 5, "revisionHistoryLimit": 10, "paused": false, "progressDeadlineSeconds": 600},
         "status": {"observedGeneration": 4, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 2, "availableReplicas": 2,
                    "unavailableReplicas": 1, "terminatingReplicas": 0, "collisionCount": 1,
                    "conditions": [
                      {"type": "Available", "status": "False", "lastUpdateTime": "2024-05-01T12:00:00Z", "lastTransitionTime": "2024-05-01T12:00:00Z",
                       "reason": "MinimumReplicasUnavailable", "message": "Deployment does not have minimum availability."},
                      {"type": "Progressing", "status": "True", "lastUpdateTime": "2024-05-01T12:01:00Z", "lastTransitionTime": "2024-05-01T11:00:00Z",
                       "reason": "NewReplicaSetAvailable", "message": "ReplicaSet \"web-7d4b9c8f6\" has successfully progressed."}
                    ]}}
        """#)
        #expect(d.spec?.strategy?.rollingUpdate?.maxUnavailable?.scaledValue(total: 3, roundUp: false) == 0)
        #expect(d.spec?.strategy?.rollingUpdate?.maxSurge == 1)
        #expect(d.spec?.template.spec?.containers.first?.name == "web")
    }

    @Test func replicaSet() throws {
        try expectRoundTrip(ReplicaSet.self, #"""
        {"apiVersion": "apps/v1", "kind": "ReplicaSet",
         "metadata": {"name": "web-7d4b9c8f6", "namespace": "shop", "labels": {"app": "web", "pod-template-hash": "7d4b9c8f6"},
                      "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "d1", "controller": true, "blockOwnerDeletion": true}]},
         "spec": {"replicas": 3, "minReadySeconds": 5, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "7d4b9c8f6"}},
                  "template": \#(Self.template)},
         "status": {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 3, "availableReplicas": 3, "terminatingReplicas": 1,
                    "observedGeneration": 2,
                    "conditions": [{"type": "ReplicaFailure", "status": "True", "lastTransitionTime": "2024-05-01T12:00:00Z",
                                    "reason": "FailedCreate", "message": "quota exceeded"}]}}
        """#)
        // `status.replicas` is required upstream, so an empty status prints it as 0, as Go does.
        let rs = try KubeJSON.decode(ReplicaSet.self, from: Data(#"{"status":{}}"#.utf8))
        #expect(try KubeJSON.value(of: rs)["status"] == ["replicas": 0])
    }

    @Test func daemonSet() throws {
        try expectRoundTrip(DaemonSet.self, #"""
        {"apiVersion": "apps/v1", "kind": "DaemonSet",
         "metadata": {"name": "proxy", "namespace": "kube-system", "generation": 2},
         "spec": {"selector": {"matchLabels": {"k8s-app": "swiftlet-proxy"}},
                  "template": \#(Self.template),
                  "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
                  "minReadySeconds": 0, "revisionHistoryLimit": 10},
         "status": {"currentNumberScheduled": 3, "numberMisscheduled": 0, "desiredNumberScheduled": 3, "numberReady": 3,
                    "observedGeneration": 2, "updatedNumberScheduled": 3, "numberAvailable": 3, "numberUnavailable": 0,
                    "collisionCount": 0,
                    "conditions": [{"type": "Healthy", "status": "True", "lastTransitionTime": "2024-05-01T12:00:00Z", "reason": "R", "message": "M"}]}}
        """#)
    }

    @Test func scale() throws {
        try expectRoundTrip(Scale.self, #"""
        {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "9"},
         "spec": {"replicas": 5}, "status": {"replicas": 3, "selector": "app=web"}}
        """#)
    }

    @Test func job() throws {
        let job = try expectRoundTrip(Job.self, #"""
        {"apiVersion": "batch/v1", "kind": "Job",
         "metadata": {"name": "reindex", "namespace": "shop", "labels": {"batch.kubernetes.io/job-name": "reindex"}},
         "spec": {"parallelism": 2, "completions": 10, "activeDeadlineSeconds": 3600,
                  "podFailurePolicy": {"rules": [
                    {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}},
                    {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
                    {"action": "FailIndex", "onExitCodes": {"operator": "NotIn", "values": [0, 1]}}
                  ]},
                  "successPolicy": {"rules": [{"succeededIndexes": "0-3,7", "succeededCount": 2}]},
                  "backoffLimit": 6, "backoffLimitPerIndex": 1, "maxFailedIndexes": 3,
                  "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "j1"}}, "manualSelector": false,
                  "template": {"metadata": {"labels": {"job": "reindex"}},
                               "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "registry.local/reindex:1"}]}},
                  "ttlSecondsAfterFinished": 100, "completionMode": "Indexed", "suspend": false,
                  "podReplacementPolicy": "Failed", "managedBy": "kubernetes.io/job-controller"},
         "status": {"conditions": [{"type": "Complete", "status": "True", "lastProbeTime": "2024-05-01T13:00:00Z",
                                    "lastTransitionTime": "2024-05-01T13:00:00Z", "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods"}],
                    "startTime": "2024-05-01T12:00:00Z", "completionTime": "2024-05-01T13:00:00Z",
                    "active": 0, "succeeded": 10, "failed": 1, "terminating": 0, "ready": 0,
                    "completedIndexes": "0-9", "failedIndexes": "3",
                    "uncountedTerminatedPods": {"succeeded": ["uid-a"], "failed": ["uid-b"]}}}
        """#)
        #expect(job.spec?.podFailurePolicy?.rules.first?.onExitCodes?.values == [42])
    }
}

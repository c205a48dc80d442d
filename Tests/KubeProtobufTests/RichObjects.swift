import KubeAPI

/// Rich manifests of every kind that may arrive as protobuf, written for the round-trip tests.
///
/// They hold no `null`s, empty lists or maps, or zero values of `omitempty` fields: Go's JSON encoder would
/// never print those, so the decoder does not either.
enum RichObjects {
    static let metadata = """
        {"name": "web-1", "namespace": "shop", "uid": "6b1c7e9a-0d3c-4f55-9b7e-0a4a7c1f2e11",
         "resourceVersion": "4711", "generation": 3, "creationTimestamp": "2024-05-01T12:00:00Z",
         "deletionTimestamp": "2024-05-02T08:30:00Z", "deletionGracePeriodSeconds": 30,
         "generateName": "web-", "labels": {"app": "web", "tier": "front"},
         "annotations": {"note": "multi\\nline", "kubernetes.io/change-cause": "kubectl apply"},
         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d9f",
                              "uid": "11111111-2222-3333-4444-555555555555", "controller": true, "blockOwnerDeletion": true}],
         "finalizers": ["example.com/cleanup"],
         "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1",
                            "time": "2024-05-01T12:00:00Z", "fieldsType": "FieldsV1",
                            "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}}]}
        """

    static let podSpec = """
        {"initContainers": [{"name": "init", "image": "busybox:1.36", "command": ["sh", "-c"], "args": ["echo init"],
                             "restartPolicy": "Always"}],
         "containers": [{
            "name": "app", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent", "workingDir": "/srv",
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP", "hostPort": 80, "hostIP": "0.0.0.0"}],
            "env": [{"name": "MODE", "value": "prod"},
                    {"name": "COLOR", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "color", "optional": true}}},
                    {"name": "PASS", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "pass"}}},
                    {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}},
                    {"name": "MEM", "valueFrom": {"resourceFieldRef": {"containerName": "app", "resource": "limits.memory", "divisor": "1Mi"}}}],
            "envFrom": [{"prefix": "CFG_", "configMapRef": {"name": "cfg"}}, {"secretRef": {"name": "creds", "optional": false}}],
            "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "64Mi"}},
            "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": true, "subPath": "app",
                              "mountPropagation": "HostToContainer"}],
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP",
                                          "httpHeaders": [{"name": "X-Probe", "value": "1"}]},
                              "initialDelaySeconds": 5, "periodSeconds": 10, "timeoutSeconds": 2, "failureThreshold": 3,
                              "successThreshold": 1, "terminationGracePeriodSeconds": 0},
            "readinessProbe": {"exec": {"command": ["cat", "/tmp/ready"]}},
            "startupProbe": {"tcpSocket": {"port": "http"}},
            "lifecycle": {"preStop": {"sleep": {"seconds": 5}}, "postStart": {"exec": {"command": ["true"]}}},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "FallbackToLogsOnError",
            "securityContext": {"runAsUser": 1000, "runAsGroup": 0, "runAsNonRoot": true, "readOnlyRootFilesystem": true,
                                "allowPrivilegeEscalation": false, "privileged": false,
                                "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "stdin": true, "tty": true},
           {"name": "grpc", "image": "example/grpc:2", "livenessProbe": {"grpc": {"port": 9090, "service": "health"}}}],
         "volumes": [
            {"name": "data", "persistentVolumeClaim": {"claimName": "data-pvc", "readOnly": true}},
            {"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 420, "items": [{"key": "a", "path": "a.txt", "mode": 256}]}},
            {"name": "creds", "secret": {"secretName": "creds", "optional": true}},
            {"name": "scratch", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
            {"name": "host", "hostPath": {"path": "/var/log", "type": "Directory"}},
            {"name": "token", "projected": {"sources": [
                {"serviceAccountToken": {"audience": "api", "expirationSeconds": 3600, "path": "token"}},
                {"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}}]}}],
         "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "activeDeadlineSeconds": 600,
         "dnsPolicy": "ClusterFirst", "nodeSelector": {"kubernetes.io/os": "linux"},
         "serviceAccountName": "robot", "automountServiceAccountToken": false, "nodeName": "node-1",
         "hostNetwork": true, "shareProcessNamespace": true, "hostname": "web", "subdomain": "svc",
         "securityContext": {"fsGroup": 2000, "supplementalGroups": [3000, 4000], "sysctls": [{"name": "net.ipv4.ip_forward", "value": "1"}]},
         "imagePullSecrets": [{"name": "registry"}],
         "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}]},
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 10, "preference": {"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["node-9"]}]}}]},
            "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                    "labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]},
                    "namespaces": ["shop"]}}]}},
         "schedulerName": "default-scheduler",
         "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                         {"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}],
         "hostAliases": [{"ip": "10.0.0.5", "hostnames": ["db.local"]}],
         "priorityClassName": "high", "priority": 1000,
         "dnsConfig": {"nameservers": ["1.1.1.1"], "searches": ["shop.svc"], "options": [{"name": "ndots", "value": "2"}]},
         "enableServiceLinks": false, "preemptionPolicy": "Never",
         "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                                        "labelSelector": {"matchLabels": {"app": "web"}}, "minDomains": 2}]}
        """

    static func template(_ labels: String = #"{"app": "web"}"#) -> String {
        #"{"metadata": {"labels": \#(labels), "annotations": {"checksum": "abc"}}, "spec": \#(podSpec)}"#
    }

    static let selector = """
        {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]}
        """

    /// One object per kind, as JSON text.
    static let all: [String: String] = [
        "Namespace": """
            {"apiVersion": "v1", "kind": "Namespace", "metadata": \(metadata),
             "spec": {"finalizers": ["kubernetes"]},
             "status": {"phase": "Terminating", "conditions": [{"type": "NamespaceDeletionContentFailure", "status": "False",
                        "lastTransitionTime": "2024-05-02T08:30:00Z", "reason": "ContentDeleted", "message": "All content deleted"}]}}
            """,
        "Node": """
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "labels": {"kubernetes.io/hostname": "node-1"}},
             "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24", "fd00:1::/64"], "providerID": "swiftlet://node-1",
                      "unschedulable": true, "taints": [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute",
                                                          "timeAdded": "2024-05-01T12:05:00Z"}]},
             "status": {"capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"}, "allocatable": {"cpu": "1900m", "memory": "3800Mi"},
                        "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": "2024-05-01T12:10:00Z",
                                        "lastTransitionTime": "2024-05-01T12:00:00Z", "reason": "KubeletReady", "message": "ready"}],
                        "addresses": [{"type": "InternalIP", "address": "192.168.1.10"}, {"type": "Hostname", "address": "node-1"}],
                        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                        "nodeInfo": {"machineID": "m", "systemUUID": "s", "bootID": "b", "kernelVersion": "6.1.0",
                                     "osImage": "Debian GNU/Linux 12", "containerRuntimeVersion": "swiftlet://0.1",
                                     "kubeletVersion": "v1.32.0", "kubeProxyVersion": "v1.32.0", "operatingSystem": "linux",
                                     "architecture": "amd64"},
                        "images": [{"names": ["nginx:1.27"], "sizeBytes": 71234567}]}}
            """,
        "Pod": """
            {"apiVersion": "v1", "kind": "Pod", "metadata": \(metadata), "spec": \(podSpec),
             "status": {"phase": "Running", "hostIP": "192.168.1.10", "hostIPs": [{"ip": "192.168.1.10"}],
                        "podIP": "10.244.1.7", "podIPs": [{"ip": "10.244.1.7"}, {"ip": "fd00:1::7"}],
                        "startTime": "2024-05-01T12:00:01Z", "qosClass": "Burstable",
                        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2024-05-01T12:00:05Z"}],
                        "containerStatuses": [{"name": "app", "ready": true, "restartCount": 2, "image": "nginx:1.27",
                                               "imageID": "sha256:abc", "containerID": "swiftlet://123", "started": true,
                                               "state": {"running": {"startedAt": "2024-05-01T12:00:03Z"}},
                                               "lastState": {"terminated": {"exitCode": 137, "signal": 9, "reason": "OOMKilled",
                                                             "startedAt": "2024-05-01T11:00:00Z", "finishedAt": "2024-05-01T11:59:00Z",
                                                             "containerID": "swiftlet://122"}}}],
                        "initContainerStatuses": [{"name": "init", "ready": false, "restartCount": 0, "image": "busybox:1.36",
                                                   "imageID": "", "state": {"waiting": {"reason": "PodInitializing"}}}]}}
            """,
        "Service": """
            {"apiVersion": "v1", "kind": "Service", "metadata": \(metadata),
             "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "clusterIP": "10.96.0.10",
                      "clusterIPs": ["10.96.0.10", "fd00:10::a"], "ipFamilies": ["IPv4", "IPv6"], "ipFamilyPolicy": "PreferDualStack",
                      "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": "http", "nodePort": 30080,
                                 "appProtocol": "http"},
                                {"name": "dns", "protocol": "UDP", "port": 53, "targetPort": 5353}],
                      "externalIPs": ["203.0.113.9"], "sessionAffinity": "ClientIP",
                      "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
                      "externalTrafficPolicy": "Local", "healthCheckNodePort": 32000, "publishNotReadyAddresses": true,
                      "allocateLoadBalancerNodePorts": true, "internalTrafficPolicy": "Cluster",
                      "loadBalancerSourceRanges": ["10.0.0.0/8"]},
             "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.10", "ports": [{"port": 80, "protocol": "TCP"}]}]},
                        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2024-05-01T12:00:00Z",
                                        "reason": "Ok", "message": "fine", "observedGeneration": 3}]}}
            """,
        "Endpoints": """
            {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web", "namespace": "shop"},
             "subsets": [{"addresses": [{"ip": "10.244.1.7", "hostname": "web-1", "nodeName": "node-1",
                                         "targetRef": {"kind": "Pod", "namespace": "shop", "name": "web-1", "uid": "u-1"}}],
                          "notReadyAddresses": [{"ip": "10.244.2.8"}],
                          "ports": [{"name": "http", "port": 8080, "protocol": "TCP", "appProtocol": "http"}]}]}
            """,
        "ConfigMap": """
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": \(metadata), "immutable": true,
             "data": {"a": "b", "config.yaml": "key: value\\nlist:\\n  - 1\\n", "unicode": "grüße ✓"},
             "binaryData": {"blob": "AAECA/8="}}
            """,
        "Secret": """
            {"apiVersion": "v1", "kind": "Secret", "metadata": \(metadata), "type": "kubernetes.io/basic-auth",
             "data": {"username": "YWRtaW4=", "password": "czNjcj10"}, "stringData": {"extra": "plain"}, "immutable": false}
            """,
        "ServiceAccount": """
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": \(metadata),
             "secrets": [{"name": "robot-token", "namespace": "shop"}], "imagePullSecrets": [{"name": "registry"}],
             "automountServiceAccountToken": false}
            """,
        "Event": """
            {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "web-1.17c", "namespace": "shop"},
             "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "web-1", "uid": "u-1", "apiVersion": "v1",
                                "resourceVersion": "4711", "fieldPath": "spec.containers{app}"},
             "reason": "Pulled", "message": "Successfully pulled image", "source": {"component": "kubelet", "host": "node-1"},
             "firstTimestamp": "2024-05-01T12:00:02Z", "lastTimestamp": "2024-05-01T12:00:09Z", "count": 4, "type": "Normal",
             "eventTime": "2024-05-01T12:00:02.123456Z", "series": {"count": 3, "lastObservedTime": "2024-05-01T12:00:09.000001Z"},
             "action": "Pull", "related": {"kind": "Node", "name": "node-1"},
             "reportingComponent": "kubelet", "reportingInstance": "node-1"}
            """,
        "Binding": """
            {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "web-1", "namespace": "shop"},
             "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"}}
            """,
        "Deployment": """
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": \(metadata),
             "spec": {"replicas": 0, "selector": \(selector), "template": \(template()),
                      "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1}},
                      "minReadySeconds": 5, "revisionHistoryLimit": 10, "paused": true, "progressDeadlineSeconds": 600},
             "status": {"observedGeneration": 3, "replicas": 3, "updatedReplicas": 2, "readyReplicas": 2,
                        "availableReplicas": 2, "unavailableReplicas": 1, "terminatingReplicas": 1, "collisionCount": 0,
                        "conditions": [{"type": "Progressing", "status": "True", "lastUpdateTime": "2024-05-01T12:00:00Z",
                                        "lastTransitionTime": "2024-05-01T12:00:00Z", "reason": "NewReplicaSetAvailable",
                                        "message": "ok"}]}}
            """,
        "ReplicaSet": """
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": \(metadata),
             "spec": {"replicas": 3, "minReadySeconds": 1, "selector": \(selector), "template": \(template())},
             "status": {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 2, "availableReplicas": 2,
                        "observedGeneration": 3, "conditions": [{"type": "ReplicaFailure", "status": "False",
                                                                  "lastTransitionTime": "2024-05-01T12:00:00Z"}]}}
            """,
        "DaemonSet": """
            {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": \(metadata),
             "spec": {"selector": \(selector), "template": \(template()), "minReadySeconds": 2, "revisionHistoryLimit": 5,
                      "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "0%"}}},
             "status": {"currentNumberScheduled": 2, "numberMisscheduled": 0, "desiredNumberScheduled": 2, "numberReady": 1,
                        "observedGeneration": 3, "updatedNumberScheduled": 2, "numberAvailable": 1, "numberUnavailable": 1,
                        "collisionCount": 2}}
            """,
        "Job": """
            {"apiVersion": "batch/v1", "kind": "Job", "metadata": \(metadata),
             "spec": {"parallelism": 2, "completions": 4, "activeDeadlineSeconds": 3600, "backoffLimit": 0,
                      "selector": \(selector), "manualSelector": true, "template": \(template()),
                      "ttlSecondsAfterFinished": 100, "completionMode": "Indexed", "suspend": false,
                      "backoffLimitPerIndex": 1, "maxFailedIndexes": 2, "podReplacementPolicy": "Failed",
                      "podFailurePolicy": {"rules": [{"action": "FailJob",
                          "onExitCodes": {"containerName": "app", "operator": "In", "values": [42, 43]}},
                          {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]},
                      "successPolicy": {"rules": [{"succeededIndexes": "0-2", "succeededCount": 1}]}},
             "status": {"startTime": "2024-05-01T12:00:00Z", "completionTime": "2024-05-01T12:30:00Z",
                        "active": 1, "succeeded": 2, "failed": 1, "terminating": 0, "ready": 1,
                        "completedIndexes": "0-1", "failedIndexes": "3",
                        "uncountedTerminatedPods": {"succeeded": ["u-2"], "failed": ["u-3"]},
                        "conditions": [{"type": "Complete", "status": "True", "lastProbeTime": "2024-05-01T12:30:00Z",
                                        "lastTransitionTime": "2024-05-01T12:30:00Z", "reason": "Done", "message": "ok"}]}}
            """,
        "StatefulSet": """
            {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": \(metadata),
             "spec": {"replicas": 3, "selector": \(selector), "template": \(template()), "serviceName": "web",
                      "podManagementPolicy": "OrderedReady", "revisionHistoryLimit": 10, "minReadySeconds": 1,
                      "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 1}},
                      "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Delete"},
                      "ordinals": {"start": 2},
                      "volumeClaimTemplates": [{"metadata": {"name": "data"},
                          "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                                   "volumeMode": "Filesystem"},
                          "status": {"phase": "Pending"}}]},
             "status": {"observedGeneration": 2, "replicas": 3, "readyReplicas": 2, "currentReplicas": 1, "updatedReplicas": 2,
                        "currentRevision": "web-abc", "updateRevision": "web-def", "collisionCount": 0, "availableReplicas": 2}}
            """,
        "CronJob": """
            {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": \(metadata),
             "spec": {"schedule": "*/5 * * * *", "timeZone": "Europe/Berlin", "startingDeadlineSeconds": 30,
                      "concurrencyPolicy": "Forbid", "suspend": false, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                      "jobTemplate": {"metadata": {"labels": {"app": "report"}},
                                      "spec": {"backoffLimit": 2, "template": \(template())}}},
             "status": {"active": [{"kind": "Job", "namespace": "shop", "name": "report-28000000", "uid": "u-1", "apiVersion": "batch/v1"}],
                        "lastScheduleTime": "2024-05-01T12:00:00Z", "lastSuccessfulTime": "2024-05-01T11:55:00Z"}}
            """,
        "PersistentVolumeClaim": """
            {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": \(metadata),
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "storageClassName": "local",
                      "volumeMode": "Filesystem"},
             "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "2Gi"},
                        "conditions": [{"type": "FileSystemResizePending", "status": "True", "lastTransitionTime": "2024-05-01T12:00:00Z",
                                        "message": "Waiting for user to (re-)start a pod to finish file system resize of volume on node."}],
                        "allocatedResources": {"storage": "2Gi"}, "allocatedResourceStatuses": {"storage": "NodeResizePending"}}}
            """,
        "VolumeAttachment": """
            {"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment", "metadata": {"name": "csi-0123abcd"},
             "spec": {"attacher": "csi.example.com", "source": {"persistentVolumeName": "pv-1"}, "nodeName": "node-1"},
             "status": {"attached": true, "attachmentMetadata": {"devicePath": "/dev/vdb"},
                        "detachError": {"time": "2024-05-01T12:00:00Z", "message": "timed out", "errorCode": 4}}}
            """,
        "PersistentVolume": """
            {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "local-1", "finalizers": ["kubernetes.io/pv-protection"]},
             "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce", "ReadOnlyMany"],
                      "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "shop", "name": "data", "uid": "u-1", "apiVersion": "v1"},
                      "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "local", "mountOptions": ["noatime"],
                      "volumeMode": "Filesystem", "local": {"path": "/mnt/disks/1", "fsType": "ext4"},
                      "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                          {"key": "kubernetes.io/hostname", "operator": "In", "values": ["node-1"]}]}]}}},
             "status": {"phase": "Bound", "message": "ok", "reason": "Bound", "lastPhaseTransitionTime": "2024-05-01T12:00:00Z"}}
            """,
        "ResourceQuota": """
            {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": \(metadata),
             "spec": {"hard": {"pods": "10", "requests.cpu": "2", "limits.memory": "4Gi", "count/deployments.apps": "3"},
                      "scopes": ["NotTerminating"],
                      "scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["high", "low"]}]}},
             "status": {"hard": {"pods": "10", "requests.cpu": "2"}, "used": {"pods": "3", "requests.cpu": "750m"}}}
            """,
        "LimitRange": """
            {"apiVersion": "v1", "kind": "LimitRange", "metadata": \(metadata),
             "spec": {"limits": [
                 {"type": "Container", "max": {"cpu": "2", "memory": "1Gi"}, "min": {"cpu": "100m"}, "default": {"cpu": "500m"},
                  "defaultRequest": {"cpu": "250m"}, "maxLimitRequestRatio": {"cpu": "4"}},
                 {"type": "PersistentVolumeClaim", "max": {"storage": "10Gi"}}]}}
            """,
        "StorageClass": """
            {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
             "metadata": {"name": "fast", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
             "provisioner": "csi.example.com", "parameters": {"type": "ssd"}, "reclaimPolicy": "Delete", "mountOptions": ["discard"],
             "allowVolumeExpansion": true, "volumeBindingMode": "WaitForFirstConsumer",
             "allowedTopologies": [{"matchLabelExpressions": [{"key": "topology.kubernetes.io/zone", "values": ["a", "b"]}]}]}
            """,
        "EndpointSlice": """
            {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
             "metadata": {"name": "web-abc", "namespace": "shop", "labels": {"kubernetes.io/service-name": "web"}},
             "addressType": "IPv4",
             "endpoints": [{"addresses": ["10.244.1.7"], "conditions": {"ready": true, "serving": true, "terminating": false},
                            "hostname": "web-1", "nodeName": "node-1", "zone": "a",
                            "targetRef": {"kind": "Pod", "namespace": "shop", "name": "web-1"},
                            "hints": {"forZones": [{"name": "a"}]}}],
             "ports": [{"name": "http", "protocol": "TCP", "port": 8080, "appProtocol": "http"}]}
            """,
        "Lease": """
            {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "node-1", "namespace": "kube-node-lease"},
             "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40, "acquireTime": "2024-05-01T12:00:00.000000Z",
                      "renewTime": "2024-05-01T12:00:10.654321Z", "leaseTransitions": 0}}
            """,
        "CertificateSigningRequest": """
            {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": {"name": "node-csr-abc"},
             "spec": {"request": "LS0tLS1CRUdJTg==", "signerName": "kubernetes.io/kube-apiserver-client-kubelet",
                      "expirationSeconds": 3600, "usages": ["digital signature", "client auth"], "username": "system:bootstrap:abcdef",
                      "uid": "u-1", "groups": ["system:bootstrappers", "system:authenticated"], "extra": {"scopes": ["a", "b"]}},
             "status": {"conditions": [{"type": "Approved", "status": "True", "reason": "AutoApproved", "message": "ok",
                                        "lastUpdateTime": "2024-05-01T12:00:00Z", "lastTransitionTime": "2024-05-01T12:00:00Z"}],
                        "certificate": "LS0tLS1CRUdJTg=="}}
            """,
        "PriorityClass": """
            {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "high"},
             "value": 1000, "globalDefault": true, "description": "for important pods", "preemptionPolicy": "Never"}
            """,
        "PodDisruptionBudget": """
            {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": \(metadata),
             "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}, "unhealthyPodEvictionPolicy": "AlwaysAllow"},
             "status": {"observedGeneration": 2, "disruptedPods": {"web-1": "2024-05-01T12:00:00Z"}, "disruptionsAllowed": 0,
                        "currentHealthy": 2, "desiredHealthy": 2, "expectedPods": 3,
                        "conditions": [{"type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods", "message": "",
                                        "lastTransitionTime": "2024-05-01T12:00:00Z", "observedGeneration": 2}]}}
            """,
        "HorizontalPodAutoscaler": """
            {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": \(metadata),
             "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"}, "minReplicas": 0, "maxReplicas": 10,
                      "metrics": [
                        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}},
                        {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}}},
                        {"type": "Pods", "pods": {"metric": {"name": "qps", "selector": \(selector)},
                                                  "target": {"type": "AverageValue", "averageValue": "1k"}}},
                        {"type": "Object", "object": {"describedObject": {"kind": "Ingress", "name": "main", "apiVersion": "networking.k8s.io/v1"},
                                                      "target": {"type": "Value", "value": "2k"}, "metric": {"name": "requests"}}},
                        {"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "app",
                                                                            "target": {"type": "Utilization", "averageUtilization": 60}}},
                        {"type": "External", "external": {"metric": {"name": "queue"}, "target": {"type": "Value", "value": "30"}}}],
                      "behavior": {"scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                                               "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                                            {"type": "Percent", "value": 100, "periodSeconds": 15}]},
                                   "scaleDown": {"selectPolicy": "Disabled", "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}]}}},
             "status": {"observedGeneration": 0, "lastScaleTime": "2024-05-01T12:00:00Z", "currentReplicas": 3, "desiredReplicas": 0,
                        "currentMetrics": [
                          {"type": "Resource", "resource": {"name": "cpu", "current": {"averageValue": "120m", "averageUtilization": 0}}},
                          {"type": "Pods", "pods": {"metric": {"name": "qps"}, "current": {"averageValue": "900"}}},
                          {"type": "Object", "object": {"metric": {"name": "requests"}, "current": {"value": "1500"},
                                                        "describedObject": {"kind": "Ingress", "name": "main"}}},
                          {"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "app", "current": {"averageUtilization": 55}}},
                          {"type": "External", "external": {"metric": {"name": "queue"}, "current": {"value": "12", "averageValue": "4"}}}],
                        "conditions": [{"type": "AbleToScale", "status": "True", "lastTransitionTime": "2024-05-01T12:00:00Z",
                                        "reason": "ReadyForNewScale", "message": "recommended size matches current size"}]}}
            """,
        "ReplicationController": """
            {"apiVersion": "v1", "kind": "ReplicationController", "metadata": \(metadata),
             "spec": {"replicas": 0, "minReadySeconds": 2, "selector": {"app": "web"}, "template": \(template())},
             "status": {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 2, "availableReplicas": 2,
                        "observedGeneration": 3, "conditions": [{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                                                                  "message": "quota", "lastTransitionTime": "2024-05-01T12:00:00Z"}]}}
            """,
        "Ingress": """
            {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": \(metadata),
             "spec": {"ingressClassName": "nginx",
                      "defaultBackend": {"resource": {"apiGroup": "k8s.example.com", "kind": "StorageBucket", "name": "static"}},
                      "tls": [{"hosts": ["foo.com", "*.bar.com"], "secretName": "foo-cert"}],
                      "rules": [{"host": "foo.com", "http": {"paths": [
                                    {"path": "/api", "pathType": "Prefix", "backend": {"service": {"name": "api", "port": {"number": 8080}}}},
                                    {"path": "/ui", "pathType": "Exact", "backend": {"service": {"name": "ui", "port": {"name": "http"}}}}]}},
                                {"http": {"paths": [{"pathType": "ImplementationSpecific", "backend": {"service": {"name": "all", "port": {"number": 80}}}}]}}]},
             "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1", "ports": [{"port": 443, "protocol": "TCP", "error": "Pending"}]},
                                                     {"hostname": "lb.example.com"}]}}}
            """,
        "IngressClass": """
            {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
             "metadata": {"name": "nginx", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
             "spec": {"controller": "k8s.io/ingress-nginx",
                      "parameters": {"apiGroup": "k8s.example.com", "kind": "Config", "name": "ingress", "scope": "Namespace", "namespace": "edge"}}}
            """,
        "RuntimeClass": """
            {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "sandboxed", "labels": {"tier": "secure"}},
             "handler": "kata", "overhead": {"podFixed": {"cpu": "250m", "memory": "120Mi"}},
             "scheduling": {"nodeSelector": {"runtime": "kata", "zone": "a"},
                            "tolerations": [{"key": "sandbox", "operator": "Equal", "value": "kata", "effect": "NoSchedule"},
                                            {"key": "drain", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}]}}
            """,
        "NetworkPolicy": """
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": \(metadata),
             "spec": {"podSelector": {"matchLabels": {"app": "db"}},
                      "ingress": [{"ports": [{"protocol": "TCP", "port": 5432}, {"protocol": "UDP", "port": 30000, "endPort": 32767}],
                                   "from": [{"podSelector": {"matchLabels": {"app": "web"}},
                                             "namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "In", "values": ["a"]}]}},
                                            {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}],
                      "egress": [{"ports": [{"protocol": "TCP", "port": "dns"}], "to": [{"namespaceSelector": {}}]}],
                      "policyTypes": ["Ingress", "Egress"]}}
            """,
        "Eviction": """
            {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "web-1", "namespace": "default"},
             "deleteOptions": {"gracePeriodSeconds": 5, "preconditions": {"uid": "abc"}}}
            """,
        "ControllerRevision": """
            {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": \(metadata),
             "data": {"spec": {"template": {"$patch": "replace", "metadata": {"labels": {"app": "agent"}},
                                            "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}}},
             "revision": 3}
            """,
        "Role": """
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "reader", "namespace": "shop"},
             "rules": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods", "pods/log"], "resourceNames": ["web"]}]}
            """,
        "ClusterRole": """
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "system:thing", "labels": {"a": "b"}},
             "rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz", "/version"]}],
             "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"rbac.example.com/aggregate": "true"}}]}}
            """,
        "RoleBinding": """
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "readers", "namespace": "shop"},
             "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"},
                          {"kind": "ServiceAccount", "name": "robot", "namespace": "shop"}],
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}}
            """,
        "ClusterRoleBinding": """
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "admins"},
             "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:masters"}],
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}}
            """,
        "TokenRequest": """
            {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "metadata": {"name": "robot", "namespace": "shop"},
             "spec": {"audiences": ["https://kubernetes.default.svc.cluster.local"], "expirationSeconds": 3600,
                      "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "web", "uid": "6b1c7e9a"}},
             "status": {"token": "a.b.c", "expirationTimestamp": "2024-05-01T13:00:00Z"}}
            """,
        "TokenReview": """
            {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "metadata": {},
             "spec": {"token": "a.b.c", "audiences": ["api"]},
             "status": {"authenticated": true, "user": {"username": "system:serviceaccount:shop:robot", "uid": "42",
                                                        "groups": ["system:serviceaccounts", "system:authenticated"]},
                        "audiences": ["api"]}}
            """,
        "SelfSubjectReview": """
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview", "metadata": {},
             "status": {"userInfo": {"username": "alice", "groups": ["developers"]}}}
            """,
        "SelfSubjectAccessReview": """
            {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "metadata": {},
             "spec": {"resourceAttributes": {"namespace": "shop", "verb": "create", "resource": "pods", "subresource": "exec"}},
             "status": {"allowed": false, "reason": "no binding"}}
            """,
        "SubjectAccessReview": """
            {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "metadata": {},
             "spec": {"nonResourceAttributes": {"path": "/healthz", "verb": "get"}, "user": "bob", "groups": ["devs"], "uid": "7"},
             "status": {"allowed": true}}
            """,
        "LocalSubjectAccessReview": """
            {"apiVersion": "authorization.k8s.io/v1", "kind": "LocalSubjectAccessReview", "metadata": {"namespace": "shop"},
             "spec": {"resourceAttributes": {"namespace": "shop", "verb": "get", "group": "apps", "version": "v1", "resource": "deployments",
                                             "name": "web"}, "user": "bob"},
             "status": {"allowed": false, "denied": true}}
            """,
        "SelfSubjectRulesReview": """
            {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "metadata": {"creationTimestamp": "2024-05-01T12:00:00Z"},
             "spec": {"namespace": "shop"},
             "status": {"resourceRules": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods", "pods/log"], "resourceNames": ["web"]},
                                          {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                        "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz", "/version"]}],
                        "incomplete": true, "evaluationError": "node authorizer does not support user rule resolution"}}
            """,
        "Scale": """
            {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "9"},
             "spec": {"replicas": 5}, "status": {"replicas": 3, "selector": "app=web"}}
            """,
        "DeleteOptions": """
            {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0, "propagationPolicy": "Foreground",
             "preconditions": {"uid": "u-1", "resourceVersion": "4711"}, "orphanDependents": false, "dryRun": ["All"]}
            """,
    ]
}

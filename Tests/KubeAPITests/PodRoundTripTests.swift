import Foundation
import Testing
@testable import KubeAPI

@Suite struct PodRoundTripTests {
    static let podJSON = #"""
    {
      "apiVersion": "v1",
      "kind": "Pod",
      "metadata": {
        "name": "web-7d4b9c8f6-x2k9p",
        "generateName": "web-7d4b9c8f6-",
        "namespace": "shop",
        "uid": "4f6c1c0e-2f0b-4b8e-9a51-0c0d3f7c9e11",
        "resourceVersion": "48213",
        "generation": 1,
        "creationTimestamp": "2024-05-01T12:00:00Z",
        "labels": {"app": "web", "pod-template-hash": "7d4b9c8f6"},
        "annotations": {"kubectl.kubernetes.io/restartedAt": "2024-05-01T11:59:00Z"},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c8f6",
                             "uid": "0a1b2c3d-0000-4000-8000-000000000001", "controller": true, "blockOwnerDeletion": true}],
        "finalizers": ["example.com/cleanup"],
        "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                           "time": "2024-05-01T12:00:00Z", "fieldsType": "FieldsV1",
                           "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}}]
      },
      "spec": {
        "volumes": [
          {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
          {"name": "host-logs", "hostPath": {"path": "/var/log", "type": "Directory"}},
          {"name": "config", "configMap": {"name": "web-config", "items": [{"key": "app.yaml", "path": "app.yaml", "mode": 420}], "defaultMode": 420, "optional": false}},
          {"name": "tls", "secret": {"secretName": "web-tls", "defaultMode": 256, "optional": true}},
          {"name": "kube-api-access-abcde", "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"audience": "api", "expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
            {"secret": {"name": "extra", "optional": true}},
            {"clusterTrustBundle": {"signerName": "example.com/signer", "labelSelector": {"matchLabels": {"trust": "yes"}}, "optional": true, "path": "bundle.pem"}}
          ]}},
          {"name": "podinfo", "downwardAPI": {"defaultMode": 420, "items": [
            {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
            {"path": "cpu_limit", "resourceFieldRef": {"containerName": "web", "resource": "limits.cpu", "divisor": "1m"}}
          ]}},
          {"name": "data", "persistentVolumeClaim": {"claimName": "web-data", "readOnly": false}},
          {"name": "share", "nfs": {"server": "10.0.0.5", "path": "/exports/share", "readOnly": true}},
          {"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"metadata": {"labels": {"type": "scratch"}},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "local", "resources": {"requests": {"storage": "1Gi"}}}}}},
          {"name": "secrets-store", "csi": {"driver": "secrets-store.csi.k8s.io", "readOnly": true, "fsType": "ext4",
            "volumeAttributes": {"secretProviderClass": "vault"}, "nodePublishSecretRef": {"name": "csi-creds"}}},
          {"name": "models", "image": {"reference": "registry.local/models:v1", "pullPolicy": "IfNotPresent"}},
          {"name": "legacy", "gitRepo": {"repository": "https://example.com/repo.git", "revision": "main"}}
        ],
        "initContainers": [
          {"name": "migrate", "image": "registry.local/web:1.4.2", "command": ["/bin/migrate"], "args": ["--up"],
           "resources": {"requests": {"cpu": "100m", "memory": "32Mi"}},
           "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"},
          {"name": "log-shipper", "image": "registry.local/shipper:2", "restartPolicy": "Always",
           "startupProbe": {"exec": {"command": ["cat", "/tmp/ready"]}, "periodSeconds": 1, "failureThreshold": 30}}
        ],
        "containers": [
          {
            "name": "web",
            "image": "registry.local/web:1.4.2",
            "command": ["/bin/web"],
            "args": ["--port=8080", "--log-level=info"],
            "workingDir": "/srv",
            "ports": [
              {"name": "http", "containerPort": 8080, "protocol": "TCP"},
              {"name": "metrics", "hostPort": 19090, "containerPort": 9090, "protocol": "TCP", "hostIP": "127.0.0.1"},
              {"name": "dns", "containerPort": 53, "protocol": "UDP"}
            ],
            "envFrom": [
              {"prefix": "CFG_", "configMapRef": {"name": "web-env", "optional": true}},
              {"secretRef": {"name": "web-secret-env"}}
            ],
            "env": [
              {"name": "MODE", "value": "production"},
              {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
              {"name": "MEM_LIMIT", "valueFrom": {"resourceFieldRef": {"containerName": "web", "resource": "limits.memory", "divisor": "1Mi"}}},
              {"name": "FEATURE", "valueFrom": {"configMapKeyRef": {"name": "flags", "key": "feature", "optional": true}}},
              {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
              {"name": "EMPTY", "value": ""}
            ],
            "resources": {
              "limits": {"cpu": "2", "memory": "1536Mi", "ephemeral-storage": "2Gi", "hugepages-2Mi": "128Mi"},
              "requests": {"cpu": "250m", "memory": "512Mi"},
              "claims": [{"name": "gpu", "request": "one-gpu"}]
            },
            "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}, {"resourceName": "memory", "restartPolicy": "RestartContainer"}],
            "volumeMounts": [
              {"name": "config", "mountPath": "/etc/web", "readOnly": true, "recursiveReadOnly": "IfPossible"},
              {"name": "cache", "mountPath": "/cache", "subPath": "web", "mountPropagation": "HostToContainer"},
              {"name": "host-logs", "mountPath": "/logs", "subPathExpr": "$(POD_NAME)"},
              {"name": "kube-api-access-abcde", "readOnly": true, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}
            ],
            "volumeDevices": [{"name": "raw", "devicePath": "/dev/xvda"}],
            "livenessProbe": {
              "httpGet": {"path": "/healthz", "port": 8080, "host": "127.0.0.1", "scheme": "HTTP",
                          "httpHeaders": [{"name": "X-Probe", "value": "liveness"}]},
              "initialDelaySeconds": 5, "timeoutSeconds": 2, "periodSeconds": 10, "successThreshold": 1,
              "failureThreshold": 3, "terminationGracePeriodSeconds": 15
            },
            "readinessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 5},
            "startupProbe": {"grpc": {"port": 9090, "service": "health"}, "failureThreshold": 30, "periodSeconds": 2},
            "lifecycle": {
              "postStart": {"exec": {"command": ["/bin/sh", "-c", "echo started > /tmp/started"]}},
              "preStop": {"sleep": {"seconds": 5}}
            },
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "FallbackToLogsOnError",
            "imagePullPolicy": "Always",
            "securityContext": {
              "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
              "privileged": false,
              "seLinuxOptions": {"user": "system_u", "role": "system_r", "type": "container_t", "level": "s0:c123,c456"},
              "windowsOptions": {"gmsaCredentialSpecName": "spec", "runAsUserName": "ContainerUser", "hostProcess": false},
              "runAsUser": 1000, "runAsGroup": 3000, "runAsNonRoot": true,
              "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false, "procMount": "Default",
              "seccompProfile": {"type": "RuntimeDefault"},
              "appArmorProfile": {"type": "Localhost", "localhostProfile": "k8s-web"}
            },
            "stdin": true, "stdinOnce": false, "tty": true
          }
        ],
        "ephemeralContainers": [
          {"name": "debugger-8xz", "image": "busybox:1.36", "command": ["sh"], "stdin": true, "tty": true,
           "targetContainerName": "web", "terminationMessagePolicy": "File"}
        ],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "activeDeadlineSeconds": 86400,
        "dnsPolicy": "None",
        "dnsConfig": {"nameservers": ["10.96.0.10"], "searches": ["shop.svc.cluster.local", "svc.cluster.local"],
                      "options": [{"name": "ndots", "value": "5"}, {"name": "edns0"}]},
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "serviceAccountName": "web",
        "serviceAccount": "web",
        "automountServiceAccountToken": true,
        "nodeName": "node-1",
        "hostNetwork": false,
        "hostPID": false,
        "hostIPC": false,
        "shareProcessNamespace": true,
        "securityContext": {
          "runAsUser": 1000, "runAsGroup": 3000, "runAsNonRoot": true, "fsGroup": 2000,
          "supplementalGroups": [4000, 5000], "supplementalGroupsPolicy": "Strict",
          "fsGroupChangePolicy": "OnRootMismatch",
          "sysctls": [{"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"}],
          "seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/web.json"},
          "seLinuxOptions": {"level": "s0:c1,c2"},
          "seLinuxChangePolicy": "MountOption"
        },
        "imagePullSecrets": [{"name": "regcred"}],
        "hostname": "web-0",
        "subdomain": "web-headless",
        "affinity": {
          "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
              {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]},
                                    {"key": "cores", "operator": "Gt", "values": ["3"]}],
               "matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["node-9"]}]}
            ]},
            "preferredDuringSchedulingIgnoredDuringExecution": [
              {"weight": 50, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}}
            ]
          },
          "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
              {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "kubernetes.io/hostname",
               "namespaces": ["shop"], "namespaceSelector": {}, "matchLabelKeys": ["pod-template-hash"]}
            ]
          },
          "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
              {"weight": 100, "podAffinityTerm": {"labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]},
               "topologyKey": "topology.kubernetes.io/zone", "mismatchLabelKeys": ["tenant"]}}
            ]
          }
        },
        "schedulerName": "default-scheduler",
        "tolerations": [
          {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
          {"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}
        ],
        "hostAliases": [{"ip": "10.1.2.3", "hostnames": ["db.local", "db"]}],
        "priorityClassName": "high",
        "priority": 1000000,
        "readinessGates": [{"conditionType": "example.com/lb-ready"}],
        "runtimeClassName": "runc",
        "enableServiceLinks": false,
        "preemptionPolicy": "PreemptLowerPriority",
        "overhead": {"cpu": "250m", "memory": "120Mi"},
        "topologySpreadConstraints": [
          {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
           "labelSelector": {"matchLabels": {"app": "web"}}, "minDomains": 2, "nodeAffinityPolicy": "Honor",
           "nodeTaintsPolicy": "Ignore", "matchLabelKeys": ["pod-template-hash"]}
        ],
        "setHostnameAsFQDN": false,
        "os": {"name": "linux"},
        "hostUsers": false,
        "schedulingGates": [{"name": "example.com/quota"}],
        "resourceClaims": [{"name": "gpu", "resourceClaimTemplateName": "gpu-template"}],
        "resources": {"limits": {"cpu": "4"}, "requests": {"cpu": "1"}}
      },
      "status": {
        "observedGeneration": 1,
        "phase": "Running",
        "conditions": [
          {"type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": "2024-05-01T12:00:03Z"},
          {"type": "Initialized", "status": "True", "lastTransitionTime": "2024-05-01T12:00:05Z"},
          {"type": "Ready", "status": "False", "lastTransitionTime": "2024-05-01T12:01:00Z", "reason": "ContainersNotReady",
           "message": "containers with unready status: [web]", "observedGeneration": 1},
          {"type": "PodScheduled", "status": "True", "lastProbeTime": "2024-05-01T12:00:00Z", "lastTransitionTime": "2024-05-01T12:00:00Z"}
        ],
        "message": "ok",
        "reason": "Running",
        "nominatedNodeName": "node-2",
        "hostIP": "192.168.1.10",
        "hostIPs": [{"ip": "192.168.1.10"}, {"ip": "fd00::10"}],
        "podIP": "10.244.1.7",
        "podIPs": [{"ip": "10.244.1.7"}, {"ip": "fd00:10:244:1::7"}],
        "startTime": "2024-05-01T12:00:01Z",
        "initContainerStatuses": [
          {"name": "migrate", "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": "2024-05-01T12:00:02Z",
            "finishedAt": "2024-05-01T12:00:04Z", "containerID": "containerd://aaa"}},
           "lastState": {}, "ready": true, "restartCount": 0, "image": "registry.local/web:1.4.2",
           "imageID": "registry.local/web@sha256:0123", "containerID": "containerd://aaa", "started": false}
        ],
        "containerStatuses": [
          {"name": "web",
           "state": {"running": {"startedAt": "2024-05-01T12:00:06Z"}},
           "lastState": {"terminated": {"exitCode": 137, "signal": 9, "reason": "OOMKilled", "message": "killed",
             "startedAt": "2024-05-01T11:00:00Z", "finishedAt": "2024-05-01T11:59:59Z", "containerID": "containerd://old"}},
           "ready": false, "restartCount": 3, "image": "registry.local/web:1.4.2", "imageID": "registry.local/web@sha256:0123",
           "containerID": "containerd://bbb", "started": true,
           "allocatedResources": {"cpu": "250m", "memory": "512Mi"},
           "resources": {"limits": {"cpu": "2", "memory": "1536Mi"}, "requests": {"cpu": "250m", "memory": "512Mi"}},
           "volumeMounts": [{"name": "config", "mountPath": "/etc/web", "readOnly": true, "recursiveReadOnly": "Enabled"}],
           "user": {"linux": {"uid": 1000, "gid": 3000, "supplementalGroups": [3000, 4000, 5000]}},
           "allocatedResourcesStatus": [{"name": "claim:gpu", "resources": [{"resourceID": "gpu-0", "health": "Healthy"}]}],
           "stopSignal": "SIGTERM"}
        ],
        "ephemeralContainerStatuses": [
          {"name": "debugger-8xz", "state": {"waiting": {"reason": "ContainerCreating", "message": "pulling"}},
           "lastState": {}, "ready": false, "restartCount": 0, "image": "busybox:1.36", "imageID": ""}
        ],
        "qosClass": "Burstable",
        "resize": "InProgress",
        "resourceClaimStatuses": [{"name": "gpu", "resourceClaimName": "web-7d4b9c8f6-x2k9p-gpu-abc"}]
      }
    }
    """#

    @Test func podRoundTrips() throws {
        let pod = try expectRoundTrip(Pod.self, Self.podJSON)
        #expect(pod.metadata.name == "web-7d4b9c8f6-x2k9p")
        let web = try #require(pod.spec?.containers.first)
        #expect(web.resources?.limits?["memory"]?.value == Int64(1536 * 1024 * 1024))
        #expect(web.resources?.requests?["cpu"]?.milliValue == 250)
        #expect(web.readinessProbe?.tcpSocket?.port == .string("http"))
        #expect(web.livenessProbe?.httpGet?.port == .int(8080))
        #expect(pod.spec?.volumes?.first?.emptyDir?.sizeLimit == "64Mi")
        #expect(pod.status?.containerStatuses?.first?.lastState?.terminated?.exitCode == 137)
        #expect(pod.spec?.volumes?.last?.gitRepo?["repository"] == "https://example.com/repo.git")
    }

    @Test func managedFieldsCanBeLeftOutAndConvertDirectlyToJSONValues() throws {
        let data = Data(Self.podJSON.utf8)
        let full = try KubeJSON.decode(Pod.self, from: data)
        let entries = try #require(full.metadata.managedFields)
        #expect(!entries.isEmpty)
        let lean = try KubeJSON.decode(Pod.self, from: data, omittingManagedFields: true)
        #expect(lean.metadata.managedFields == nil)
        var withoutEntries = full
        withoutEntries.metadata.managedFields = nil
        #expect(lean == withoutEntries)
        // The direct conversion agrees with the coders both ways.
        for entry in entries {
            #expect(entry.jsonValue == (try KubeJSON.value(of: entry)))
            #expect(try ManagedFieldsEntry(json: entry.jsonValue) == entry)
        }
        #expect(throws: DecodingError.self) { try ManagedFieldsEntry(json: ["manager": 7]) }
        #expect(throws: DecodingError.self) { try ManagedFieldsEntry(json: ["time": "yesterday"]) }
    }

    @Test func fieldsV1DecodesAsTheGenericJSONValueWould() throws {
        // The trie (objects down to `{}` leaves) takes the fast path; anything else the generic one: same values.
        let tries: [String] = [
            #"{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"k:{\"name\":\"c\"}":{".":{},"f:image":{}}}}"#,
            #"{}"#,
            #"{"f:a":{"f:b":1,"f:c":"x","f:d":[{}],"f:e":null}}"#,
            #"[1,"two"]"#,
            #""text""#,
        ]
        for fields in tries {
            let entry = try KubeJSON.decode(ManagedFieldsEntry.self, from: Data(#"{"manager":"m","fieldsV1":\#(fields)}"#.utf8))
            #expect(entry.fieldsV1 == (try KubeJSON.decode(JSONValue.self, from: Data(fields.utf8))), "\(fields)")
            #expect(entry.manager == "m")
        }
        let none = try KubeJSON.decode(ManagedFieldsEntry.self, from: Data(#"{"manager":"m","fieldsV1":null}"#.utf8))
        #expect(none.fieldsV1 == nil)
        #expect(throws: DecodingError.self) { try KubeJSON.decode(ManagedFieldsEntry.self, from: Data(#"{"manager":7}"#.utf8)) }
    }

    @Test func minimalPodDoesNotGrowKeys() throws {
        // Only `metadata` and `spec.containers` are required upstream; nothing else is invented.
        try expectRoundTrip(Pod.self, #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}"#)
        try expectRoundTrip(Pod.self, #"{"metadata":{}}"#)
    }

    @Test func memberwiseInitSetsTypeMeta() throws {
        let pod = Pod(metadata: ObjectMeta(name: "p", namespace: "default"),
                      spec: PodSpec(containers: [Container(name: "c", image: "nginx")]))
        let value = try KubeJSON.value(of: pod)
        #expect(value == [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "namespace": "default"],
            "spec": ["containers": [["name": "c", "image": "nginx"]]],
        ])
    }

    @Test func nullDecodesAsAbsent() throws {
        // Go clients send `"lastProbeTime": null`; it decodes as absent and is not re-emitted.
        let json = #"{"type":"Ready","status":"True","lastProbeTime":null}"#
        let c = try KubeJSON.decode(PodCondition.self, from: Data(json.utf8))
        #expect(c.lastProbeTime == nil)
        #expect(try KubeJSON.value(of: c) == ["type": "Ready", "status": "True"])
    }

    @Test func requiredFieldsDefaultLikeGo() throws {
        let status = try KubeJSON.decode(ContainerStatus.self, from: Data(#"{"name":"c"}"#.utf8))
        #expect(status.ready == false && status.restartCount == 0 && status.image == "")
    }
}

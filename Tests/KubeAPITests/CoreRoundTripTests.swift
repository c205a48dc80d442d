import Foundation
import Testing
@testable import KubeAPI

@Suite struct CoreRoundTripTests {
    @Test func service() throws {
        let svc = try expectRoundTrip(Service.self, #"""
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}, "uid": "u1", "resourceVersion": "7",
                      "creationTimestamp": "2024-05-01T12:00:00Z", "annotations": {"service.kubernetes.io/topology-mode": "Auto"}},
         "spec": {
           "ports": [
             {"name": "http", "protocol": "TCP", "appProtocol": "http", "port": 80, "targetPort": "http", "nodePort": 30080},
             {"name": "metrics", "protocol": "TCP", "port": 9090, "targetPort": 9090, "nodePort": 30090},
             {"name": "dns", "protocol": "UDP", "port": 53, "targetPort": 5353}
           ],
           "selector": {"app": "web"},
           "clusterIP": "10.96.12.34", "clusterIPs": ["10.96.12.34", "fd00:96::1234"],
           "type": "LoadBalancer",
           "externalIPs": ["203.0.113.7"],
           "sessionAffinity": "ClientIP",
           "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
           "loadBalancerIP": "203.0.113.8",
           "loadBalancerSourceRanges": ["0.0.0.0/0"],
           "externalTrafficPolicy": "Local",
           "healthCheckNodePort": 32000,
           "publishNotReadyAddresses": false,
           "ipFamilies": ["IPv4", "IPv6"],
           "ipFamilyPolicy": "PreferDualStack",
           "allocateLoadBalancerNodePorts": true,
           "loadBalancerClass": "example.com/lb",
           "internalTrafficPolicy": "Cluster",
           "trafficDistribution": "PreferClose"
         },
         "status": {
           "loadBalancer": {"ingress": [
             {"ip": "203.0.113.8", "ipMode": "VIP", "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP", "error": "NotSupported"}]},
             {"hostname": "lb.example.com"}
           ]},
           "conditions": [{"type": "LoadBalancerReady", "status": "True", "observedGeneration": 2,
                           "lastTransitionTime": "2024-05-01T12:00:09Z", "reason": "Provisioned", "message": "ok"}]
         }}
        """#)
        #expect(svc.spec?.ports?[0].targetPort == "http")
        #expect(svc.spec?.ports?[1].targetPort == 9090)
        try expectRoundTrip(Service.self, #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"db"},"spec":{"type":"ExternalName","externalName":"db.example.com"}}"#)
    }

    @Test func endpoints() throws {
        try expectRoundTrip(Endpoints.self, #"""
        {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"},
           "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": "2024-05-01T12:00:00Z"}},
         "subsets": [
           {"addresses": [{"ip": "10.244.1.7", "hostname": "web-0", "nodeName": "node-1",
                           "targetRef": {"kind": "Pod", "namespace": "shop", "name": "web-0", "uid": "p1", "resourceVersion": "99"}}],
            "notReadyAddresses": [{"ip": "10.244.2.8", "nodeName": "node-2"}],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP", "appProtocol": "http"}]}
         ]}
        """#)
    }

    @Test func node() throws {
        let node = try expectRoundTrip(Node.self, #"""
        {"apiVersion": "v1", "kind": "Node",
         "metadata": {"name": "node-1", "uid": "n1", "resourceVersion": "500",
           "labels": {"kubernetes.io/hostname": "node-1", "kubernetes.io/os": "linux", "node-role.kubernetes.io/control-plane": ""},
           "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
         "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24", "fd00:10:244:1::/64"], "providerID": "swiftlet://node-1",
                  "unschedulable": true,
                  "taints": [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule", "timeAdded": "2024-05-01T12:00:00Z"},
                             {"key": "dedicated", "value": "gpu", "effect": "NoExecute"}],
                  "configSource": {"configMap": {"name": "kubelet", "namespace": "kube-system", "kubeletConfigKey": "kubelet"}}},
         "status": {
           "capacity": {"cpu": "4", "memory": "16374532Ki", "pods": "110", "ephemeral-storage": "101203600Ki", "hugepages-2Mi": "0"},
           "allocatable": {"cpu": "3800m", "memory": "15226Mi", "pods": "110"},
           "phase": "Running",
           "conditions": [
             {"type": "MemoryPressure", "status": "False", "lastHeartbeatTime": "2024-05-01T12:05:00Z", "lastTransitionTime": "2024-05-01T12:00:00Z",
              "reason": "KubeletHasSufficientMemory", "message": "kubelet has sufficient memory available"},
             {"type": "Ready", "status": "True", "lastHeartbeatTime": "2024-05-01T12:05:00Z", "lastTransitionTime": "2024-05-01T12:00:10Z",
              "reason": "KubeletReady", "message": "kubelet is posting ready status"}
           ],
           "addresses": [{"type": "InternalIP", "address": "192.168.1.10"}, {"type": "Hostname", "address": "node-1"}],
           "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
           "nodeInfo": {"machineID": "m", "systemUUID": "s", "bootID": "b", "kernelVersion": "6.1.0", "osImage": "Debian GNU/Linux 12 (bookworm)",
                        "containerRuntimeVersion": "swiftlet://0.1.0", "kubeletVersion": "v1.32.0", "kubeProxyVersion": "",
                        "operatingSystem": "linux", "architecture": "amd64", "swap": {"capacity": 0}},
           "images": [{"names": ["registry.local/web@sha256:0123", "registry.local/web:1.4.2"], "sizeBytes": 12345678}],
           "volumesInUse": ["kubernetes.io/csi/driver^vol-1"],
           "volumesAttached": [{"name": "kubernetes.io/csi/driver^vol-1", "devicePath": "/dev/xvdb"}],
           "config": {"active": {"configMap": {"name": "kubelet"}}},
           "runtimeHandlers": [{"name": "", "features": {"recursiveReadOnlyMounts": true, "userNamespaces": true}},
                               {"name": "runc", "features": {"recursiveReadOnlyMounts": true, "userNamespaces": false}}],
           "features": {"supplementalGroupsPolicy": true}
         }}
        """#)
        #expect(node.status?.daemonEndpoints?.kubeletEndpoint?.port == 10250)
        #expect(node.status?.allocatable?["cpu"]?.milliValue == 3800)
        #expect(node.status?.capacity?["memory"]?.description == "16374532Ki")
    }

    @Test func namespace() throws {
        try expectRoundTrip(Namespace.self, #"""
        {"apiVersion": "v1", "kind": "Namespace",
         "metadata": {"name": "shop", "labels": {"kubernetes.io/metadata.name": "shop"}, "deletionTimestamp": "2024-05-02T00:00:00Z"},
         "spec": {"finalizers": ["kubernetes"]},
         "status": {"phase": "Terminating", "conditions": [{"type": "NamespaceDeletionContentFailure", "status": "False",
           "lastTransitionTime": "2024-05-02T00:00:01Z", "reason": "ContentDeleted", "message": "All content successfully deleted"}]}}
        """#)
    }

    @Test func configMap() throws {
        let cm = try expectRoundTrip(ConfigMap.self, #"""
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config", "namespace": "shop"},
         "immutable": true,
         "data": {"app.yaml": "port: 8080\nmode: \"prod\"\n", "empty": "", "unicode": "héllo ✓"},
         "binaryData": {"logo.png": "iVBORw0KGgo="}}
        """#)
        #expect(cm.data?["app.yaml"] == "port: 8080\nmode: \"prod\"\n")
    }

    @Test func secret() throws {
        try expectRoundTrip(Secret.self, #"""
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"},
         "type": "kubernetes.io/basic-auth", "immutable": false,
         "data": {"username": "YWRtaW4=", "password": "czNjcjN0"},
         "stringData": {"note": "plain"}}
        """#)
    }

    @Test func serviceAccount() throws {
        try expectRoundTrip(ServiceAccount.self, #"""
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web", "namespace": "shop"},
         "secrets": [{"name": "web-token-abcde"}], "imagePullSecrets": [{"name": "regcred"}], "automountServiceAccountToken": false}
        """#)
    }

    @Test func event() throws {
        let ev = try expectRoundTrip(Event.self, #"""
        {"apiVersion": "v1", "kind": "Event",
         "metadata": {"name": "web-0.17c9b2d4e5f6a7b8", "namespace": "shop"},
         "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "web-0", "uid": "p1", "apiVersion": "v1",
                            "resourceVersion": "99", "fieldPath": "spec.containers{web}"},
         "reason": "BackOff", "message": "Back-off restarting failed container web",
         "source": {"component": "kubelet", "host": "node-1"},
         "firstTimestamp": "2024-05-01T12:00:00Z", "lastTimestamp": "2024-05-01T12:10:00Z", "count": 7, "type": "Warning",
         "eventTime": "2024-05-01T12:00:00.123456Z",
         "series": {"count": 6, "lastObservedTime": "2024-05-01T12:10:00.654321Z"},
         "action": "Restarting", "related": {"kind": "Node", "name": "node-1"},
         "reportingComponent": "kubelet", "reportingInstance": "node-1"}
        """#)
        #expect(ev.eventTime?.description == "2024-05-01T12:00:00.123456Z")
    }

    @Test func binding() throws {
        try expectRoundTrip(Binding.self, #"""
        {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "web-0", "namespace": "shop", "uid": "p1"},
         "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"}}
        """#)
    }

    @Test func endpointSlice() throws {
        try expectRoundTrip(EndpointSlice.self, #"""
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {"name": "web-abc12", "namespace": "shop", "generateName": "web-",
                      "labels": {"kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"},
                      "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": "web", "uid": "u1", "controller": true, "blockOwnerDeletion": true}]},
         "addressType": "IPv4",
         "endpoints": [
           {"addresses": ["10.244.1.7"], "conditions": {"ready": true, "serving": true, "terminating": false},
            "hostname": "web-0", "targetRef": {"kind": "Pod", "namespace": "shop", "name": "web-0", "uid": "p1"},
            "nodeName": "node-1", "zone": "a", "hints": {"forZones": [{"name": "a"}], "forNodes": [{"name": "node-1"}]},
            "deprecatedTopology": {"kubernetes.io/hostname": "node-1"}},
           {"addresses": ["10.244.2.8"], "conditions": {"ready": false, "serving": true, "terminating": true}, "nodeName": "node-2"}
         ],
         "ports": [{"name": "http", "protocol": "TCP", "port": 8080, "appProtocol": "http"}, {"name": "", "protocol": "UDP", "port": 53}]}
        """#)
        try expectRoundTrip(EndpointSlice.self, #"{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"e"},"addressType":"FQDN","endpoints":[]}"#)
    }

    @Test func lease() throws {
        let lease = try expectRoundTrip(Lease.self, #"""
        {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
         "metadata": {"name": "node-1", "namespace": "kube-node-lease",
                      "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "node-1", "uid": "n1"}]},
         "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40, "acquireTime": "2024-05-01T12:00:00.000000Z",
                  "renewTime": "2024-05-01T12:05:10.250000Z", "leaseTransitions": 2, "strategy": "OldestEmulationVersion",
                  "preferredHolder": "node-2"}}
        """#)
        #expect(lease.spec?.renewTime == MicroTime(rfc3339: "2024-05-01T12:05:10.25Z"))
    }

    @Test func resourceInfoMatchesUpstream() {
        #expect(Pod.resource.shortNames == ["po"] && Pod.resource.categories == ["all"])
        #expect(Service.resource.shortNames == ["svc"] && Service.resource.categories == ["all"])
        #expect(Node.resource.shortNames == ["no"] && !Node.resource.namespaced)
        #expect(Namespace.resource.shortNames == ["ns"] && !Namespace.resource.namespaced)
        #expect(ConfigMap.resource.shortNames == ["cm"])
        #expect(Endpoints.resource.shortNames == ["ep"])
        #expect(ServiceAccount.resource.shortNames == ["sa"])
        #expect(Event.resource.shortNames == ["ev"])
        #expect(Secret.resource.shortNames.isEmpty)
        #expect(Deployment.resource.shortNames == ["deploy"] && Deployment.resource.categories == ["all"])
        #expect(ReplicaSet.resource.shortNames == ["rs"] && ReplicaSet.resource.categories == ["all"])
        #expect(DaemonSet.resource.shortNames == ["ds"] && DaemonSet.resource.categories == ["all"])
        #expect(Job.resource.shortNames.isEmpty && Job.resource.categories == ["all"])
        #expect(Lease.resource.shortNames.isEmpty && Lease.resource.categories.isEmpty)
        #expect(EndpointSlice.resource.groupVersion == "discovery.k8s.io/v1")
        #expect(Deployment.resource.collectionPath(namespace: "shop") == "/apis/apps/v1/namespaces/shop/deployments")
        #expect(HorizontalPodAutoscaler.resource.shortNames == ["hpa"] && HorizontalPodAutoscaler.resource.categories == ["all"])
        #expect(KubeKinds.all.count == 37)
        #expect(!KubeKinds.all.contains { $0 == Binding.self || $0 == Scale.self })
        #expect(KubeKinds.kind(group: "apps", version: "v1", plural: "deployments") == Deployment.self)
        #expect(KubeKinds.kind(apiVersion: "v1", kind: "Pod") == Pod.self)
        #expect(Set(KubeKinds.all.map { "\($0.resource.group)/\($0.resource.plural)" }).count == KubeKinds.all.count)
    }
}

@Suite struct GenericKindTests {
    @Test func everyKindDecodesMinimalObjectsAndKeepsTypeMeta() throws {
        for kind in KubeKinds.all + KubeKinds.views + [Binding.self, Scale.self] {
            let r = kind.resource
            let json = #"{"apiVersion":"\#(r.groupVersion)","kind":"\#(r.kind)","metadata":{"name":"x"}}"#
            let object = try KubeKinds.decode(kind, from: Data(json.utf8))
            #expect(object.metadata.name == "x")
            #expect(object.apiVersion == r.groupVersion && object.kind == r.kind)
            let out = try JSONValue(parsing: KubeJSON.encode(object))
            #expect(out["apiVersion"] == .string(r.groupVersion), "\(r.kind)")
            #expect(out["metadata"] == ["name": "x"], "\(r.kind)")
        }
        let decoded = try KubeKinds.decode(Data(#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{}}}"#.utf8))
        #expect(decoded is Deployment)
        #expect(try KubeKinds.decode(Data(#"{"apiVersion":"x/v1","kind":"Nope"}"#.utf8)) == nil)
    }

    @Test func listsRoundTrip() throws {
        let json = #"""
        {"apiVersion":"v1","kind":"PodList","metadata":{"resourceVersion":"42","continue":"abc","remainingItemCount":3},
         "items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"containers":[{"name":"c","image":"i"}]}},
                  {"apiVersion":"v1","kind":"Pod","metadata":{"name":"b"},"spec":{"containers":[]},"status":{"phase":"Pending"}}]}
        """#
        let list = try KubeJSON.decode(ObjectList<Pod>.self, from: Data(json.utf8))
        #expect(list.items.map(\.metadata.name) == ["a", "b"])
        #expect(jsonDifferences(try JSONValue(parsing: json), try JSONValue(parsing: KubeJSON.encode(list))).isEmpty)
        #expect(ObjectList<Deployment>().kind == "DeploymentList")
    }
}

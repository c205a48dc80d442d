import Foundation
import KubeAPI
import KubeProtobuf
import Testing

/// A pod setting every `@Boxed` field (probes, lifecycle, security contexts, `valueFrom`, every volume source,
/// a terminated container state) encodes exactly as it did when those fields were stored inline.
struct BoxedFieldEncodingTests {
    /// `KubeJSON.encode` of this pod before the rarely set fields were boxed, byte for byte.
    static let encodedBeforeBoxing =
        """
        {"apiVersion":"v1","kind":"Pod","metadata":{"creationTimestamp":"2024-05-01T12:00:00Z","name":"boxed",\
        "namespace":"default","resourceVersion":"42","uid":"0b6f1c1e-6a2f-4f4e-9a57-1b0c8d7f3a10"},\
        "spec":{"containers":[{"args":["-g","daemon off;"],"command":["nginx"],"env":[{"name":"MODE","value":"prod"},\
        {"name":"POD_IP","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"status.podIP"}}},{"name":"MEM",\
        "valueFrom":{"resourceFieldRef":{"containerName":"app","divisor":"1Mi","resource":"limits.memory"}}},\
        {"name":"COLOR","valueFrom":{"configMapKeyRef":{"key":"color","name":"cfg","optional":true}}},{"name":"PASS",\
        "valueFrom":{"secretKeyRef":{"key":"pass","name":"creds","optional":false}}},{"name":"TOKEN",\
        "valueFrom":{"fileKeyRef":{"key":"TOKEN","optional":true,"path":"vars.env","volumeName":"env"}}}],\
        "envFrom":[{"configMapRef":{"name":"cfg","optional":true},"prefix":"CFG_"},{"secretRef":{"name":"creds",\
        "optional":false}}],"image":"nginx:1.27","imagePullPolicy":"IfNotPresent",\
        "lifecycle":{"postStart":{"exec":{"command":["sh","-c","echo started"]}},"preStop":{"sleep":{"seconds":5}},\
        "stopSignal":"SIGTERM"},"livenessProbe":{"failureThreshold":3,"httpGet":{"host":"127.0.0.1",\
        "httpHeaders":[{"name":"X-Probe","value":"1"}],"path":"/healthz","port":8080,"scheme":"HTTP"},\
        "initialDelaySeconds":5,"periodSeconds":10,"successThreshold":1,"terminationGracePeriodSeconds":7,\
        "timeoutSeconds":2},"name":"app","ports":[{"containerPort":8080,"hostIP":"0.0.0.0","hostPort":80,"name":"http",\
        "protocol":"TCP"}],"readinessProbe":{"periodSeconds":5,"tcpSocket":{"host":"localhost","port":"http"}},\
        "resizePolicy":[{"resourceName":"cpu","restartPolicy":"NotRequired"}],"resources":{"claims":[{"name":"gpu",\
        "request":"one"}],"limits":{"cpu":"500m","memory":"256Mi"},"requests":{"cpu":"100m","memory":"64Mi"}},\
        "restartPolicy":"Always","restartPolicyRules":[{"action":"Restart","exitCodes":{"operator":"In","values":[42,\
        43]}}],"securityContext":{"allowPrivilegeEscalation":false,"appArmorProfile":{"type":"RuntimeDefault"},\
        "capabilities":{"add":["NET_ADMIN"],"drop":["ALL"]},"privileged":false,"procMount":"Default",\
        "readOnlyRootFilesystem":true,"runAsGroup":3000,"runAsNonRoot":true,"runAsUser":1000,\
        "seLinuxOptions":{"level":"s0:c1,c2","role":"system_r","type":"container_t","user":"system_u"},\
        "seccompProfile":{"localhostProfile":"profiles/app.json","type":"Localhost"},\
        "windowsOptions":{"gmsaCredentialSpec":"{}","gmsaCredentialSpecName":"spec","hostProcess":false,\
        "runAsUserName":"ContainerUser"}},"startupProbe":{"failureThreshold":30,"grpc":{"port":9090,\
        "service":"health"}},"stdin":true,"stdinOnce":true,"terminationMessagePath":"/dev/termination-log",\
        "terminationMessagePolicy":"FallbackToLogsOnError","tty":true,"volumeDevices":[{"devicePath":"/dev/xvda",\
        "name":"raw"}],"volumeMounts":[{"mountPath":"/data","mountPropagation":"None","name":"data","readOnly":true,\
        "recursiveReadOnly":"Enabled","subPath":"app"},{"mountPath":"/logs","name":"logs","subPathExpr":"$(POD_NAME)"}],\
        "workingDir":"/srv"},{"image":"busybox:1.36","name":"plain"}],"nodeName":"node-1",\
        "securityContext":{"appArmorProfile":{"localhostProfile":"k8s-default","type":"Localhost"},"fsGroup":2000,\
        "fsGroupChangePolicy":"OnRootMismatch","runAsGroup":3000,"runAsNonRoot":true,"runAsUser":1000,\
        "seLinuxChangePolicy":"MountOption","seLinuxOptions":{"level":"s0:c3,c4"},\
        "seccompProfile":{"type":"RuntimeDefault"},"supplementalGroups":[4000],"supplementalGroupsPolicy":"Strict",\
        "sysctls":[{"name":"net.core.somaxconn","value":"1024"}],"windowsOptions":{"runAsUserName":"PodUser"}},\
        "volumes":[{"hostPath":{"path":"/var/log","type":"Directory"},"name":"host"},{"emptyDir":{"medium":"Memory",\
        "sizeLimit":"1Gi"},"name":"scratch"},{"name":"creds","secret":{"defaultMode":420,"items":[{"key":"pass",\
        "mode":256,"path":"pass.txt"}],"optional":true,"secretName":"creds"}},{"name":"share","nfs":{"path":"/exports",\
        "readOnly":true,"server":"nfs.local"}},{"name":"data","persistentVolumeClaim":{"claimName":"data",\
        "readOnly":true}},{"downwardAPI":{"defaultMode":420,"items":[{"fieldRef":{"fieldPath":"metadata.labels"},\
        "path":"labels"},{"mode":292,"path":"cpu","resourceFieldRef":{"containerName":"app","divisor":"1m",\
        "resource":"requests.cpu"}}]},"name":"info"},{"configMap":{"defaultMode":420,"items":[{"key":"color",\
        "path":"color"}],"name":"cfg","optional":false},"name":"cfg"},{"name":"kube-api-access",\
        "projected":{"defaultMode":420,"sources":[{"serviceAccountToken":{"audience":"api","expirationSeconds":3607,\
        "path":"token"}},{"configMap":{"items":[{"key":"ca.crt","path":"ca.crt"}],"name":"kube-root-ca.crt",\
        "optional":true}},{"downwardAPI":{"items":[{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"},\
        "path":"namespace"}]}},{"secret":{"items":[{"key":"a","path":"a"}],"name":"extra","optional":false}},\
        {"clusterTrustBundle":{"labelSelector":{"matchLabels":{"trust":"yes"}},"name":"bundle","optional":true,\
        "path":"bundle.pem","signerName":"example.com/signer"}},{"podCertificate":{"credentialBundlePath":"cred.pem",\
        "keyType":"ED25519","signerName":"example.com/signer"}}]}},{"csi":{"driver":"csi.example.com","fsType":"ext4",\
        "nodePublishSecretRef":{"name":"csi-secret"},"readOnly":true,"volumeAttributes":{"size":"small"}},"name":"csi"},\
        {"ephemeral":{"volumeClaimTemplate":{"spec":{"accessModes":["ReadWriteOnce"],\
        "resources":{"requests":{"storage":"1Gi"}}}}},"name":"eph"},{"image":{"pullPolicy":"IfNotPresent",\
        "reference":"registry.local/data:1"},"name":"img"},{"awsElasticBlockStore":{"volumeID":"vol-1"},\
        "azureDisk":{"diskName":"d","diskURI":"https://disk"},"azureFile":{"secretName":"az","shareName":"share"},\
        "cephfs":{"monitors":["10.0.0.3"]},"cinder":{"volumeID":"c1"},"fc":{"lun":1},\
        "flexVolume":{"driver":"example/flex"},"flocker":{"datasetName":"ds"},"gcePersistentDisk":{"fsType":"ext4",\
        "pdName":"disk"},"gitRepo":{"repository":"https://example.com/r.git"},"glusterfs":{"endpoints":"gfs",\
        "path":"vol"},"iscsi":{"iqn":"iqn.2001-04.com.example:storage","lun":1,"targetPortal":"10.0.0.1:3260"},\
        "name":"legacy","photonPersistentDisk":{"pdID":"p1"},"portworxVolume":{"volumeID":"px"},\
        "quobyte":{"registry":"q:7861","volume":"v"},"rbd":{"image":"img","monitors":["10.0.0.2"]},\
        "scaleIO":{"gateway":"https://sio","secretRef":{"name":"sio"},"system":"s"},"storageos":{"volumeName":"sv"},\
        "vsphereVolume":{"volumePath":"[ds] disk.vmdk"}}]},\
        "status":{"containerStatuses":[{"containerID":"containerd://def","image":"nginx:1.27",\
        "imageID":"docker.io/library/nginx@sha256:0123","lastState":{"terminated":{"containerID":"containerd://abc",\
        "exitCode":137,"finishedAt":"2024-05-01T12:00:04Z","message":"out of memory","reason":"OOMKilled","signal":9,\
        "startedAt":"2024-05-01T12:00:02Z"}},"name":"app","ready":true,"restartCount":1,"started":true,\
        "state":{"running":{"startedAt":"2024-05-01T12:00:05Z"}}},{"image":"busybox:1.36","imageID":"","lastState":{},\
        "name":"plain","ready":false,"restartCount":0,"state":{"waiting":{"message":"pulling",\
        "reason":"ContainerCreating"}}}],"hostIP":"10.0.0.10","phase":"Running","podIP":"10.244.1.5",\
        "qosClass":"Burstable","startTime":"2024-05-01T12:00:01Z"}}
        """

    @Test func jsonIsByteIdenticalToTheEncodingBeforeBoxing() throws {
        let pod = try KubeJSON.decode(Pod.self, from: Data(Self.encodedBeforeBoxing.utf8))
        let container = try #require(pod.spec?.containers.first)
        #expect(container.livenessProbe?.httpGet?.path == "/healthz")
        #expect(container.securityContext?.windowsOptions?.runAsUserName == "ContainerUser")
        #expect(pod.spec?.volumes?.last?.storageos == ["volumeName": "sv"])
        #expect(pod.status?.containerStatuses?.first?.lastState?.terminated?.exitCode == 137)

        #expect(String(decoding: try KubeJSON.encode(pod), as: UTF8.self) == Self.encodedBeforeBoxing)
        #expect(try KubeJSON.value(of: pod) == JSONValue(parsing: Self.encodedBeforeBoxing))
    }

    /// The protobuf codec works on the JSON value, so the pod's protobuf is the previous encoding's, and it
    /// decodes back to the same typed pod.
    @Test func protobufRoundTripsToTheSamePod() throws {
        let pod = try KubeJSON.decode(Pod.self, from: Data(Self.encodedBeforeBoxing.utf8))
        let body = try KubeProtobuf.encode(try KubeJSON.value(of: pod))
        #expect(body == (try KubeProtobuf.encode(try JSONValue(parsing: Self.encodedBeforeBoxing))))
        let (decoded, unknown) = try KubeProtobuf.decodeWithUnknownFields(body)
        #expect(unknown.isEmpty)
        #expect(try KubeJSON.decode(Pod.self, from: decoded) == pod)
    }
}

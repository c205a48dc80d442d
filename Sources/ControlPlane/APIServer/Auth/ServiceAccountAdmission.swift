import Foundation
import KubeAPI
import Store

/// The ServiceAccount admission plugin's token mount: every container (and init container) of a new pod gets
/// upstream's `kube-api-access-<5 random>` projected volume — a bound service-account token (`token`, 3607 s), the
/// cluster CA from the `kube-root-ca.crt` ConfigMap (`ca.crt`) and the pod's `namespace` — read-only at
/// `/var/run/secrets/kubernetes.io/serviceaccount`, unless `automountServiceAccountToken` is false on the pod
/// (or, when the pod does not say, on its ServiceAccount). Mirror pods are left alone, and containers that already
/// mount something at that path keep it.
///
/// Upstream refuses a pod whose ServiceAccount does not exist; here such a pod is admitted without the volume
/// (the kubelet could not get a token for it), so pods created before the `default` ServiceAccount still run.
struct ServiceAccountAdmission: Sendable {
    static let volumePrefix = "kube-api-access-"
    static let mountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
    /// Upstream's `WarnOnlyBoundTokenExpirationSeconds`.
    static let tokenExpirationSeconds: Int64 = 3607
    static let rootCAConfigMap = "kube-root-ca.crt"

    let store: any Store

    func admit(_ pod: inout Pod) async throws {
        guard var spec = pod.spec, !pod.isMirror else { return }
        let namespace = pod.metadata.namespace ?? "default"
        let accountName = spec.serviceAccountName ?? "default"
        guard let kv = try await store.get(key: StoredObject.key(ServiceAccount.resource, namespace: namespace, name: accountName)),
              let account = try? KubeJSON.decode(ServiceAccount.self, from: kv.value) else { return }
        guard spec.automountServiceAccountToken ?? account.automountServiceAccountToken ?? true else { return }
        Self.mountToken(&spec)
        pod.spec = spec
    }

    /// Upstream's Validate for a new mirror pod, whoever creates it: the static pod it mirrors may name no service
    /// account, reference no Secret and project no service-account token (the kubelet could not give it one).
    static func validateMirrorPod(_ pod: Pod) throws {
        guard pod.isMirror, let spec = pod.spec else { return }
        let name = pod.metadata.name ?? ""
        if !(spec.serviceAccountName ?? spec.serviceAccount ?? "").isEmpty {
            throw Status.forbidden(Pod.resource, name: name, "a mirror pod may not reference service accounts")
        }
        if let value = try? KubeJSON.value(of: spec),
           NodeGraph.references(ofSpec: value, namespace: pod.metadata.namespace ?? "default").contains(where: { $0.resource == "secrets" }) {
            throw Status.forbidden(Pod.resource, name: name, "a mirror pod may not reference secrets")
        }
        if (spec.volumes ?? []).contains(where: { ($0.projected?.sources ?? []).contains { $0.serviceAccountToken != nil } }) {
            throw Status.forbidden(Pod.resource, name: name, "a mirror pod may not use ServiceAccountToken volume projections")
        }
    }

    /// Adds the volume and the mounts (upstream's mountServiceAccountToken).
    static func mountToken(_ spec: inout PodSpec) {
        var volumes = spec.volumes ?? []
        let existing = volumes.first { $0.name.hasPrefix(volumePrefix) }?.name
        let volumeName = existing ?? volumePrefix + NameValidation.generateSuffix()
        let mount = VolumeMount(name: volumeName, readOnly: true, mountPath: mountPath)
        var needed = false
        func add(_ containers: inout [Container]) {
            for i in containers.indices where !(containers[i].volumeMounts ?? []).contains(where: { $0.mountPath == mountPath }) {
                containers[i].volumeMounts = (containers[i].volumeMounts ?? []) + [mount]
                needed = true
            }
        }
        if var initContainers = spec.initContainers {
            add(&initContainers)
            spec.initContainers = initContainers
        }
        add(&spec.containers)
        guard existing == nil, needed else { return }
        volumes.append(Volume(name: volumeName, projected: tokenVolumeSource))
        spec.volumes = volumes
    }

    /// Upstream's TokenVolumeSource, with the explicit default mode 0644.
    static var tokenVolumeSource: ProjectedVolumeSource {
        ProjectedVolumeSource(sources: [
            VolumeProjection(serviceAccountToken: ServiceAccountTokenProjection(expirationSeconds: tokenExpirationSeconds, path: "token")),
            VolumeProjection(configMap: ConfigMapProjection(name: rootCAConfigMap, items: [KeyToPath(key: "ca.crt", path: "ca.crt")])),
            VolumeProjection(downwardAPI: DownwardAPIProjection(items: [
                DownwardAPIVolumeFile(path: "namespace", fieldRef: ObjectFieldSelector(apiVersion: "v1", fieldPath: "metadata.namespace")),
            ])),
        ], defaultMode: 0o644)
    }
}

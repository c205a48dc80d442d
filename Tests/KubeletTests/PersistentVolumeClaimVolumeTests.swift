import Foundation
import KubeAPI
import KubeClient
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("a claim's volume: the pod waits with upstream's message while its claim is unbound, then runs on the bound hostPath PV; a local PV through a read-only claim cannot be written; only a writable local PV takes the fsGroup",
          .timeLimit(.minutes(3)))
    func persistentVolumeClaimVolumes() async throws {
        // The node's own credentials: the Node authorizer must let it read the claims and volumes of its pods.
        try await Cluster.with(controllers: "persistentvolume-binder-controller", asNode: true) { try await claimVolumes($0) }
    }

    private func claimVolumes(_ cluster: Cluster) async throws {
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        let data = cluster.runtime.root + "/pv-data", shared = cluster.runtime.root + "/pv-local", scratch = cluster.runtime.root + "/pv-scratch"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        try "from the node\n".write(toFile: shared + "/greeting", atomically: true, encoding: .utf8)
        /// A local PersistentVolume on this node at `path`, bound ahead to the claim `name`: two List items.
        func localVolume(_ name: String, path: String) -> String {
            """
            - apiVersion: v1
              kind: PersistentVolume
              metadata: {name: \(name)-pv}
              spec:
                capacity: {storage: 1Gi}
                accessModes: [ReadWriteOnce]
                storageClassName: ""
                claimRef: {namespace: default, name: \(name)}
                local: {path: \(path)}
                nodeAffinity:
                  required:
                    nodeSelectorTerms:
                    - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [\(cluster.nodeName)]}]
            - apiVersion: v1
              kind: PersistentVolumeClaim
              metadata: {name: \(name)}
              spec: {accessModes: [ReadWriteOnce], storageClassName: "", resources: {requests: {storage: 1Gi}}}
            """
        }
        _ = try await cluster.kubectl(["create", "-f", "-"], stdin: """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: PersistentVolumeClaim
              metadata: {name: data}
              spec: {accessModes: [ReadWriteOnce], storageClassName: "", resources: {requests: {storage: 1Gi}}}
            \(localVolume("shared", path: shared))
            \(localVolume("scratch", path: scratch))
            - apiVersion: v1
              kind: Pod
              metadata: {name: stateful}
              spec:
                nodeName: \(cluster.nodeName)
                terminationGracePeriodSeconds: 1
                securityContext: {fsGroup: 4000}
                containers:
                - name: app
                  image: \(shell)
                  command: [sh, -c, "echo written > /data/out; cat /shared/greeting > /data/read; touch /shared/x 2>/data/refused; sleep 3600"]
                  volumeMounts: [{name: data, mountPath: /data}, {name: shared, mountPath: /shared}, {name: scratch, mountPath: /scratch}]
                volumes:
                - {name: data, persistentVolumeClaim: {claimName: data}}
                - {name: shared, persistentVolumeClaim: {claimName: shared, readOnly: true}}
                - {name: scratch, persistentVolumeClaim: {claimName: scratch}}
            """)
        // No volume for `data` yet: no sandbox, the container is ContainerCreating, and FailedMount says why in
        // upstream's words.
        var failedMounts: [Event] = []
        for _ in 0..<150 where failedMounts.isEmpty {
            failedMounts = try await cluster.client.list(Event.self, namespace: "default",
                                                         options: ListOptions(fieldSelector: "involvedObject.name=stateful,reason=FailedMount")).items
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(failedMounts.first?.message == "Unable to attach or mount volumes: unmounted volumes=[data shared scratch], unattached volumes=[data shared scratch], failed to process volumes=[data]: error processing PVC default/data: PVC is not bound",
                "\(failedMounts.map(\.message))")
        #expect(failedMounts.first?.type == "Warning")
        let waiting = try await cluster.client.get(Pod.self, name: "stateful", namespace: "default")
        #expect(waiting.status?.phase == "Pending")
        #expect(Self.container(waiting, "app")?.state?.waiting?.reason == "ContainerCreating", "\(String(describing: waiting.status))")

        // A volume appears; the binder binds it, and the pod starts on it.
        _ = try await cluster.kubectl(["create", "-f", "-"], stdin: """
            apiVersion: v1
            kind: PersistentVolume
            metadata: {name: data-pv}
            spec:
              capacity: {storage: 2Gi}
              accessModes: [ReadWriteOnce]
              storageClassName: ""
              hostPath: {path: \(data), type: DirectoryOrCreate}
            """)
        try await cluster.waitForPod("stateful", timeout: .seconds(90)) { $0.status?.phase == "Running" }
        var files: [String: String] = [:]
        for _ in 0..<50 {
            files = Dictionary(uniqueKeysWithValues: ["out", "read", "refused"].compactMap { name in
                (try? String(contentsOfFile: data + "/" + name, encoding: .utf8)).map { (name, $0) }
            })
            if files.count == 3 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(files["out"] == "written\n", "the pod's write did not reach the hostPath volume: \(files)")
        #expect(files["read"] == "from the node\n", "\(files)")
        #expect(files["refused"]?.contains("Read-only file system") == true, "the read-only claim was writable: \(files)")
        #expect(!FileManager.default.fileExists(atPath: shared + "/x"))
        // The fsGroup: the writable local volume's root is the group's, setgid; the hostPath and the read-only local
        // volume keep their owner.
        func group(_ path: String) throws -> (gid: Int, mode: Int) {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return ((attributes[.groupOwnerAccountID] as? NSNumber)?.intValue ?? -1, (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0)
        }
        let owned = try group(scratch)
        #expect(owned.gid == 4000 && owned.mode & 0o2070 == 0o2070, "scratch: gid \(owned.gid) mode \(String(owned.mode, radix: 8))")
        #expect(try group(shared).gid == 0 && group(data).gid == 0)
    }

    @Test("a generic ephemeral volume: the ephemeral volume controller makes the pod's claim, the binder binds it, and the pod runs on the volume; the claim goes with the pod",
          .timeLimit(.minutes(3)))
    func ephemeralVolume() async throws {
        try await Cluster.with(controllers: "persistentvolume-binder-controller,ephemeral-volume-controller,garbage-collector-controller,persistentvolumeclaim-protection-controller", asNode: true) { cluster in
            let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
            let path = cluster.runtime.root + "/pv-ephemeral"
            _ = try await cluster.kubectl(["create", "-f", "-"], stdin: """
                apiVersion: v1
                kind: List
                items:
                - apiVersion: v1
                  kind: PersistentVolume
                  metadata: {name: ephemeral-pv}
                  spec:
                    capacity: {storage: 1Gi}
                    accessModes: [ReadWriteOnce]
                    storageClassName: ""
                    hostPath: {path: \(path), type: DirectoryOrCreate}
                - apiVersion: v1
                  kind: Pod
                  metadata: {name: worker}
                  spec:
                    nodeName: \(cluster.nodeName)
                    terminationGracePeriodSeconds: 1
                    containers:
                    - name: app
                      image: \(shell)
                      command: [sh, -c, "echo scratch > /scratch/out; sleep 3600"]
                      volumeMounts: [{name: scratch, mountPath: /scratch}]
                    volumes:
                    - name: scratch
                      ephemeral:
                        volumeClaimTemplate:
                          spec: {accessModes: [ReadWriteOnce], storageClassName: "", resources: {requests: {storage: 1Gi}}}
                """)
            try await cluster.waitForPod("worker", timeout: .seconds(90)) { $0.status?.phase == "Running" }
            let claim = try await cluster.client.get(PersistentVolumeClaim.self, name: "worker-scratch", namespace: "default")
            #expect(claim.spec?.volumeName == "ephemeral-pv" && claim.metadata.ownerReferences?.first?.kind == "Pod")
            var written: String?
            for _ in 0..<50 where written == nil {
                written = try? String(contentsOfFile: path + "/out", encoding: .utf8)
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(written == "scratch\n", "the pod's write did not reach the claim's volume")
            _ = try await cluster.kubectl(["delete", "pod", "worker", "--wait=true", "--timeout=60s"])
            var gone = false
            for _ in 0..<150 where !gone {
                gone = (try? await cluster.client.get(PersistentVolumeClaim.self, name: "worker-scratch", namespace: "default")) == nil
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(gone, "the claim outlived its pod")
        }
    }
}

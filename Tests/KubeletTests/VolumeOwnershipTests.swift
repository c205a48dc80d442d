import Foundation
import KubeAPI
@testable import Kubelet
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("fsGroup: a non-root container gets the group among its supplemental groups and can write its emptyDir, whose files and those of its configMap and secret volumes belong to the group; an emptyDir is writable by any user without one",
          .timeLimit(.minutes(2)))
    func fsGroupOwnsThePodsVolumes() async throws {
        try await Cluster.with { cluster in
            let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
            _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings}
                data: {greeting: hello}
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: creds}
                stringData: {password: s3cret}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: grouped}
                spec:
                  nodeName: \(cluster.nodeName)
                  terminationGracePeriodSeconds: 1
                  securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000]}
                  volumes:
                  - {name: data, emptyDir: {}}
                  - {name: cfg, configMap: {name: settings}}
                  - {name: creds, secret: {secretName: creds, defaultMode: 0400}}
                  containers:
                  - name: c
                    image: \(shell)
                    command: [sh, -c, "sleep 3600"]
                    volumeMounts: [{name: data, mountPath: /data}, {name: cfg, mountPath: /cfg}, {name: creds, mountPath: /creds}]
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: plain}
                spec:
                  nodeName: \(cluster.nodeName)
                  terminationGracePeriodSeconds: 1
                  securityContext: {runAsUser: 1000}
                  volumes: [{name: data, emptyDir: {}}]
                  containers:
                  - name: c
                    image: \(shell)
                    command: [sh, -c, "sleep 3600"]
                    volumeMounts: [{name: data, mountPath: /data}]
                """)
            for name in ["grouped", "plain"] {
                _ = try await cluster.waitForPod(name) { $0.status?.phase == "Running" }
            }
            func run(_ pod: String, _ script: String) async throws -> String {
                try await cluster.kubectl(["exec", pod, "--", "sh", "-c", script])
            }
            // As upstream's kubelet and containerd: the pod's supplemental groups and the fsGroup (busybox's id lists
            // getgroups(), sorted by the kernel).
            #expect(try await run("grouped", "id") == "uid=1000 gid=3000 groups=2000,4000\n")
            // The emptyDir: group 2000, setgid, group-writable; a new file inherits the group.
            #expect(try await run("grouped", "touch /data/f && stat -c '%a %g' /data /data/f") == "2777 2000\n644 2000\n")
            // Projected files: the group may read them (upstream's roMask), the directories carry setgid.
            #expect(try await run("grouped", "stat -L -c '%a %g' /cfg/greeting /creds/password; cat /creds/password") == "644 2000\n440 2000\ns3cret")
            #expect(try await run("grouped", "stat -c '%a %g' /cfg/..data/") .hasPrefix("2755 2000"))
            // Without fsGroup the emptyDir is still open to every user, as upstream makes it (0777).
            #expect(try await run("plain", "touch /data/f && stat -c '%a %u' /data /data/f") == "777 0\n644 1000\n")
        }
    }
}

@Suite("fsGroup ownership of volume files")
struct VolumeOwnershipWalkTests {
    @Test("Always walks every entry; OnRootMismatch skips a root that already has the group and permissions; symlinks change group only")
    func walkAndOnRootMismatch() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-fsgroup-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        FileManager.default.createFile(atPath: root + "/sub/file", contents: Data("x".utf8), attributes: [.posixPermissions: 0o600])
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: "sub/file")
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: root)
        /// The group and the permission bits (setgid included) of `path` itself (a link not followed).
        func status(_ path: String) throws -> (st_gid: Int, st_mode: Int) {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return ((attributes[.groupOwnerAccountID] as? NSNumber)?.intValue ?? -1, (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1)
        }

        let always = try #require(VolumeOwnership(PodSecurityContext(fsGroup: 2345)))
        try always.apply(to: root, readOnly: false)
        let rootStatus = try status(root)
        #expect(rootStatus.st_gid == 2345 && rootStatus.st_mode & 0o7777 == 0o2770)
        #expect(try status(root + "/sub").st_mode & 0o7777 == 0o2775)  // 0755 as created, plus the group's bits
        let fileStatus = try status(root + "/sub/file")
        #expect(fileStatus.st_gid == 2345 && fileStatus.st_mode & 0o7777 == 0o660)
        #expect(try status(root + "/link").st_gid == 2345)

        // The root is as it should be: OnRootMismatch leaves a file changed since alone, Always fixes it.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: root + "/sub/file")
        let onMismatch = try #require(VolumeOwnership(PodSecurityContext(fsGroup: 2345, fsGroupChangePolicy: "OnRootMismatch")))
        try onMismatch.apply(to: root, readOnly: false)
        #expect(try status(root + "/sub/file").st_mode & 0o7777 == 0o600)
        try always.apply(to: root, readOnly: true)
        #expect(try status(root + "/sub/file").st_mode & 0o7777 == 0o640)
        #expect(VolumeOwnership(PodSecurityContext()) == nil)
    }
}

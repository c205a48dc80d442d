import CRI
import Foundation
import GRPCCore
import TestSupport
import Testing

/// RemoveImage of an image a container runs from, as containerd answers it: the image goes from the store at once,
/// the container keeps its root file system (its layers are leased), and the layers go with the last container.
@Suite("swiftlet runtime and containerd: removing an image in use", .serialized)
struct RemoveImageInUseTests {
    @Test("the image is gone from ListImages, the running container still reads its files, across a daemon restart; its layers go with it",
          .timeLimit(.minutes(2)), arguments: [CRIHarness.Kind.swiftlet, .containerd])
    func removeImageInUse(_ kind: CRIHarness.Kind) async throws {
        try await CRIHarness.with(kind, onFailure: { Issue.record("runtime log:\n\($0)") }) { harness in
            let shell = "\(harness.registry)/swiftlet-test/shell:v1"
            let sandbox = CRIRequests.sandboxConfig(name: "rmi", logDirectory: harness.root + "/pods/rmi")
            let layers = harness.root + "/runtime/images/layers"
            let (sandboxID, containerID) = try await harness.withClients { runtime, images in
                _ = try await images.pullImage(CRIRequests.pull(shell))
                let sandboxID = try await runtime.runPodSandbox(CRIRequests.run(sandbox)).podSandboxID
                let config = CRIRequests.containerConfig(name: "app", image: shell, command: ["sleep", "3600"])
                let containerID = try await runtime.createContainer(CRIRequests.create(sandboxID, config, sandbox)).containerID
                _ = try await runtime.startContainer(CRIRequests.start(containerID))
                return (sandboxID, containerID)
            }
            let layersBefore = kind == .swiftlet ? try FileManager.default.contentsOfDirectory(atPath: layers) : []
            if kind == .swiftlet {
                // The leases a restarted daemon finds in its records, not only those it made itself.
                #expect(!layersBefore.isEmpty)
                harness.killRuntime()
                try await harness.startRuntime()
            }
            try await harness.withClients { runtime, images in
                var remove = Runtime_V1_RemoveImageRequest()
                remove.image.image = shell
                _ = try await images.removeImage(remove)
                var status = Runtime_V1_ImageStatusRequest()
                status.image.image = shell
                #expect(try await !images.imageStatus(status).hasImage)
                #expect(try await images.listImages(Runtime_V1_ListImagesRequest()).images.allSatisfy { !$0.repoTags.contains(shell) })
                if kind == .swiftlet {
                    #expect(try FileManager.default.contentsOfDirectory(atPath: layers).sorted() == layersBefore.sorted(),
                            "a removed image's layers went while a container runs from them")
                }

                // Every file of the image is still there for the running container and for a new process in it.
                let listing = try await runtime.execSync(CRIRequests.exec(containerID, ["sh", "-c", "ls /bin | wc -l; cat /etc/passwd | head -1"]))
                #expect(listing.exitCode == 0, "\(String(decoding: listing.stderr, as: UTF8.self))")
                let output = String(decoding: listing.stdout, as: UTF8.self).split(separator: "\n")
                #expect((output.first.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0) > 10, "\(output)")
                #expect(output.last?.hasPrefix("root:") == true, "\(output)")
                #expect(try await runtime.containerStatus(CRIRequests.status(containerID)).status.state == .containerRunning)

                // A new container from the removed image: NotFound, as for any image not pulled.
                let again = CRIRequests.containerConfig(name: "again", image: shell, command: ["true"])
                do {
                    _ = try await runtime.createContainer(CRIRequests.create(sandboxID, again, sandbox))
                    Issue.record("a container was created from a removed image")
                } catch let error as RPCError {
                    #expect(error.code == .notFound, "\(error)")
                }

                _ = try await runtime.removePodSandbox(CRIRequests.removeSandbox(sandboxID))
                if kind == .swiftlet {
                    #expect(try FileManager.default.contentsOfDirectory(atPath: layers).isEmpty, "the layers outlived their last container")
                }
            }
        }
    }
}

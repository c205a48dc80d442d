import CRI
import Foundation
import GRPCCore
import Runtime
import TestSupport
import Testing

/// `swiftlet runtime import` on a node whose runtime is running: the image goes through the daemon, which owns the
/// store, and is usable at once; nothing else may write that store meanwhile.
@Suite("swiftlet runtime import into a running runtime", .serialized)
struct RuntimeImportTests {
    @Test("an import goes through the running daemon; a second owner of the store is refused", .timeLimit(.minutes(3)))
    func importThroughTheRunningDaemon() async throws {
        let harness = try await CRIHarness(.swiftlet)
        do {
            try await importScenario(harness)
        } catch {
            Issue.record("runtime log:\n\(harness.log)")
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    private func importScenario(_ harness: CRIHarness) async throws {
        let swiftlet = BuiltProducts.directory + "/swiftlet"
        let root = harness.root + "/runtime"
        let archive = LoopbackRegistry.imageCache + "/shell-v1.oci-archive.tar"
        let name = "docker.io/swiftlet-test/shell:v1"
        try await harness.withClients { _, images in
            var status = Runtime_V1_ImageStatusRequest()
            status.image.image = name
            #expect(try await images.imageStatus(status).hasImage == false)

            let imported = try await runCommand(swiftlet, ["runtime", "import", "--root", root, "--listen", "unix://" + harness.socket, archive])
            #expect(imported.status == 0, "\(imported)")
            let image = try await images.imageStatus(status).image
            #expect(image.repoTags == [name])
            #expect(imported.stdout == "imported \(name) \(image.id)\n", "\(imported)")
            // The daemon recorded it: the next daemon starts with it.
            let records = try String(contentsOfFile: root + "/images/images.json", encoding: .utf8)
            #expect(records.contains(image.id))

            // A bad archive fails with the daemon's message, and the daemon goes on serving.
            let missing = try await runCommand(swiftlet, ["runtime", "import", "--root", root, "--listen", "unix://" + harness.socket,
                                                          harness.root + "/nope.tar"])
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("failed to import \"\(harness.root)/nope.tar\""), "\(missing)")
            #expect(try await images.imageStatus(status).image.id == image.id)
        }

        // The daemon takes only absolute paths: its working directory is not the caller's.
        let relative = await #expect(throws: RPCError.self) {
            _ = try await ImageImportService.importArchive("shell.tar", throughSocket: harness.socket)
        }
        #expect(relative?.code == .invalidArgument)

        // While the daemon owns the store, an import that cannot reach it writes nothing itself.
        let astray = try await runCommand(swiftlet, ["runtime", "import", "--root", root, "--listen", "unix://" + harness.root + "/none.sock", archive])
        #expect(astray.status != 0)
        #expect(astray.stderr.contains("a runtime owns the image store \(root)/images, but nothing answers on \(harness.root)/none.sock"),
                "\(astray)")

        // Nor can a second daemon serve the same root.
        let second = try await runCommand(swiftlet, ["runtime", "serve", "--root", root, "--state", harness.root + "/second-state",
                                                     "--listen", "unix://" + harness.root + "/second.sock", "--runc-root", harness.root + "/second-runc"])
        #expect(second.status != 0)
        #expect(second.stderr.contains("the image store \(root)/images belongs to another process"), "\(second)")
        #expect(!FileManager.default.fileExists(atPath: harness.root + "/second.sock"))
    }
}

import Foundation
import Testing
import TestSupport
@testable import Images

/// Pulls from a real `docker-registry` on loopback, filled by `hack/make-test-images.sh`.
@Suite(.serialized) struct RegistryPullTests {
    /// Runs `body` with a fresh registry and an empty store; both are removed afterwards, also on failure.
    func withRegistry(htpasswd: (user: String, password: String)? = nil, registries: ((String) -> RegistryConfiguration)? = nil,
                      _ body: (LoopbackRegistry, ImageStore, String) async throws -> Void) async throws {
        let registry = try await LoopbackRegistry(htpasswd: htpasswd)
        defer { registry.stop() }
        let dir = try TemporaryDirectory("store")
        defer { dir.remove() }
        let root = dir.path + "/images"
        let store = try ImageStore(root: root, registries: registries?(registry.host) ?? RegistryConfiguration(), logger: testLogger)
        try await body(registry, store, root)
    }

    func entries(_ path: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }

    @Test func pullsByTagAndByDigest() async throws {
        try await withRegistry { registry, store, _ in
            let image = try await store.pull("\(registry.host)/swiftlet-test/shell:v1", credentials: nil)
            #expect(image.repoTags == ["\(registry.host)/swiftlet-test/shell:v1"])
            #expect(image.repoDigests.count == 1)
            #expect(image.id.hasPrefix("sha256:") && image.id.count == 71)
            #expect(image.config.cmd == ["sh"])
            #expect(image.config.env.contains("PATH=/bin"))
            #expect(image.layers.count == 1)
            #expect(image.size > 500_000)
            let rootfs = try #require(store.layerPaths(of: image).first)
            #expect(FileManager.default.isExecutableFile(atPath: rootfs + "/bin/busybox"))
            for applet in ["sh", "cat", "echo", "sleep", "ls", "wget", "nc", "id", "hostname", "unshare"] {
                #expect(try FileManager.default.destinationOfSymbolicLink(atPath: rootfs + "/bin/" + applet) == "busybox")
            }
            // The repo digest pulls the same image by digest.
            let digest = try #require(image.repoDigests.first?.split(separator: "@").last)
            let byDigest = try await store.pull("\(registry.host)/swiftlet-test/shell@\(digest)", credentials: nil)
            #expect(byDigest.id == image.id)
            #expect(byDigest.repoTags == image.repoTags)
            // Lookups by every name the CRI uses.
            #expect(await store.image(image.id) == byDigest)
            #expect(await store.image(String(image.id.dropFirst(7).prefix(12)))?.id == image.id)
            #expect(await store.image("\(registry.host)/swiftlet-test/shell@\(digest)")?.id == image.id)
            #expect(await store.image("\(registry.host)/swiftlet-test/shell:v1")?.id == image.id)
            #expect(await store.image("\(registry.host)/swiftlet-test/shell:v2") == nil)
            #expect(await store.list().map(\.id) == [image.id])
            let usage = store.filesystemUsage()
            #expect(usage.bytes > 1_000_000 && usage.inodes > 10)

            // The pause and web images carry their process defaults.
            let pause = try await store.pull("\(registry.host)/swiftlet-test/pause:v1", credentials: nil)
            #expect(pause.config.entrypoint.first == "/bin/sh")
            #expect(pause.config.stopSignal == "SIGTERM")
            let web = try await store.pull("\(registry.host)/swiftlet-test/web:v1", credentials: nil)
            #expect(web.config.exposedPorts == ["8080/tcp"])
            #expect(web.config.labels["org.swiftlet.test"] == "web")
            #expect(fileText(store.layerPaths(of: web)[1] + "/www/index.html") == "hello from swiftlet-test/web\n")
        }
    }

    @Test func imageIndexResolvesToThisPlatform() async throws {
        try await withRegistry { registry, store, _ in
            let shell = try await store.pull("\(registry.host)/swiftlet-test/shell:v1", credentials: nil)
            let multi = try await store.pull("\(registry.host)/swiftlet-test/multi:v1", credentials: nil)
            // The amd64 entry of the index is the shell image; the arm64 one has only a /platform marker.
            #expect(multi.id == shell.id)
            #expect(multi.repoTags.sorted() == ["\(registry.host)/swiftlet-test/multi:v1", "\(registry.host)/swiftlet-test/shell:v1"])
            let rootfs = try #require(store.layerPaths(of: multi).first)
            #expect(FileManager.default.fileExists(atPath: rootfs + "/bin/busybox"))
            #expect(!FileManager.default.fileExists(atPath: rootfs + "/platform"))
            // The repo digest is the index's, as containerd records it.
            #expect(multi.repoDigests.contains { $0.hasPrefix("\(registry.host)/swiftlet-test/multi@sha256:") })
        }
    }

    @Test func secondPullReusesLayers() async throws {
        try await withRegistry { registry, store, _ in
            let web = try await store.pull("\(registry.host)/swiftlet-test/web:v1", credentials: nil)
            let first = await store.statistics
            #expect(first.layersUnpacked == 2)
            #expect(first.blobsFetched == 3) // config + 2 layers
            _ = try await store.pull("\(registry.host)/swiftlet-test/web:v1", credentials: nil)
            #expect(await store.statistics == first)
            // shell's only layer is web's base layer: only its config is new.
            let shell = try await store.pull("\(registry.host)/swiftlet-test/shell:v1", credentials: nil)
            #expect(shell.layers == [web.layers[0]])
            let after = await store.statistics
            #expect(after.layersUnpacked == 2)
            #expect(after.blobsFetched == 4)
        }
    }

    @Test func concurrentPullsShareLayers() async throws {
        try await withRegistry { registry, store, _ in
            async let a = store.pull("\(registry.host)/swiftlet-test/web:v1", credentials: nil)
            async let b = store.pull("\(registry.host)/swiftlet-test/pause:v1", credentials: nil)
            let (web, pause) = try await (a, b)
            #expect(web.layers[0] == pause.layers[0])
            #expect(await store.statistics.layersUnpacked == 2)
        }
    }

    @Test func missingImageIsNotFoundWithTheRegistrysMessage() async throws {
        try await withRegistry { registry, store, root in
            for reference in ["\(registry.host)/swiftlet-test/nothing:v1", "\(registry.host)/swiftlet-test/shell:v9"] {
                let error = await #expect(throws: ImageError.self) { try await store.pull(reference, credentials: nil) }
                #expect(error?.code == .notFound)
                #expect(error?.message.contains("manifest unknown") == true, "\(String(describing: error))")
            }
            #expect(await store.list().isEmpty)
            #expect(entries(root + "/layers").isEmpty)
        }
    }

    @Test func corruptedBlobIsRejectedAndNothingIsLeftBehind() async throws {
        try await withRegistry { registry, store, root in
            // The web image's top layer, from the layout make-test-images.sh pushed.
            let layout = LoopbackRegistry.imageCache + "/oci"
            let index = try JSONDecoder().decode(ImageIndex.self, from: Data(contentsOf: URL(fileURLWithPath: layout + "/index.json")))
            let webDescriptor = try #require(index.manifests.first { $0.annotations?["org.opencontainers.image.ref.name"] == "web-v1" })
            let manifest = try JSONDecoder().decode(ImageManifest.self, from: Data(contentsOf: URL(fileURLWithPath: layout + "/blobs/sha256/" + webDescriptor.digest.hex)))
            let top = manifest.layers[1].digest
            let data = registry.blobDataPath(hex: top.hex)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: data))
            bytes[bytes.count / 2] ^= 0xff
            try bytes.write(to: URL(fileURLWithPath: data))

            let error = await #expect(throws: ImageError.self) {
                try await store.pull("\(registry.host)/swiftlet-test/web:v1", credentials: nil)
            }
            #expect(error?.code == .digestMismatch, "\(String(describing: error))")
            #expect(await store.list().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: root + "/blobs/sha256/" + top.hex))
            #expect(entries(root + "/tmp").isEmpty)
            #expect(entries(root + "/layers").count <= 1) // at most the intact base layer, complete
            // The store is still usable: shell shares only the intact layer.
            let shell = try await store.pull("\(registry.host)/swiftlet-test/shell:v1", credentials: nil)
            #expect(FileManager.default.fileExists(atPath: store.layerPaths(of: shell)[0] + "/bin/busybox"))
        }
    }

    @Test func removeIsIdempotentAndCollectsGarbage() async throws {
        try await withRegistry { registry, store, root in
            let shell = try await store.pull("\(registry.host)/swiftlet-test/shell:v1", credentials: nil)
            let web = try await store.pull("\(registry.host)/swiftlet-test/web:v1", credentials: nil)
            #expect(entries(root + "/layers").count == 2)
            try await store.remove("\(registry.host)/swiftlet-test/web:v1")
            #expect(await store.image(web.id) == nil)
            #expect(entries(root + "/layers") == [shell.layers[0].replacingOccurrences(of: "sha256:", with: "")])
            #expect(Set(entries(root + "/blobs/sha256")) == Set(shell.blobs.map { $0.replacingOccurrences(of: "sha256:", with: "") }))
            try await store.remove("\(registry.host)/swiftlet-test/web:v1")
            try await store.remove(web.id)
            try await store.remove("sha256:" + String(repeating: "0", count: 64))
            #expect(await store.list().map(\.id) == [shell.id])
            try await store.remove(String(shell.id.dropFirst(7).prefix(12)))
            #expect(await store.list().isEmpty)
            #expect(entries(root + "/layers").isEmpty)
            #expect(entries(root + "/blobs/sha256").isEmpty)
        }
    }

    @Test func storeReloadsFromDisk() async throws {
        try await withRegistry { registry, store, root in
            _ = try await store.pull("\(registry.host)/swiftlet-test/shell:v1", credentials: nil)
            _ = try await store.pull("\(registry.host)/swiftlet-test/web:v1", credentials: nil)
            try await store.setPinned("\(registry.host)/swiftlet-test/shell:v1", true)
            let before = await store.list()
            let reopened = try ImageStore(root: root, registries: RegistryConfiguration(), logger: testLogger)
            #expect(await reopened.list() == before)
            #expect(await reopened.image("\(registry.host)/swiftlet-test/shell:v1")?.pinned == true)
            for image in before {
                for path in reopened.layerPaths(of: image) { #expect(FileManager.default.fileExists(atPath: path)) }
            }
            // Nothing is fetched again for a reopened store.
            _ = try await reopened.pull("\(registry.host)/swiftlet-test/web:v1", credentials: nil)
            #expect(await reopened.statistics.layersUnpacked == 0)
        }
    }

    @Test func mirrorServesDockerHubNames() async throws {
        // A dead mirror first: the pull falls through to the live one at once.
        let dead = try freeLoopbackPorts(1)[0]
        let mirrors: (String) -> RegistryConfiguration = { host in
            RegistryConfiguration(mirrors: ["docker.io": .init(endpoint: ["http://127.0.0.1:\(dead)", "http://\(host)"])])
        }
        try await withRegistry(registries: mirrors) { _, store, _ in
            let image = try await store.pull("swiftlet-test/shell:v1", credentials: nil)
            #expect(image.repoTags == ["docker.io/swiftlet-test/shell:v1"])
            #expect(await store.image("swiftlet-test/shell:v1")?.id == image.id)
        }
    }

    @Test func basicAuthAgainstHtpasswdRegistry() async throws {
        try await withRegistry(htpasswd: ("tester", "s3cret")) { registry, store, _ in
            let reference = "\(registry.host)/swiftlet-test/shell:v1"
            let anonymous = await #expect(throws: ImageError.self) { try await store.pull(reference, credentials: nil) }
            #expect(anonymous?.code == .unauthorized, "\(String(describing: anonymous))")
            let wrong = await #expect(throws: ImageError.self) {
                try await store.pull(reference, credentials: RegistryCredentials(username: "tester", password: "nope"))
            }
            #expect(wrong?.code == .unauthorized)
            let image = try await store.pull(reference, credentials: RegistryCredentials(username: "tester", password: "s3cret"))
            #expect(image.layers.count == 1)
            try await store.remove(image.id)
            let auth = Data("tester:s3cret".utf8).base64EncodedString()
            _ = try await store.pull(reference, credentials: RegistryCredentials(auth: auth))
        }
    }

    @Test func importsAnOCIArchive() async throws {
        try await LoopbackRegistry.pushTestImages(to: nil)
        let dir = try TemporaryDirectory("store")
        defer { dir.remove() }
        let store = try ImageStore(root: dir.path + "/images", registries: RegistryConfiguration(), logger: testLogger)
        let records = try await store.importArchive(LoopbackRegistry.imageCache + "/shell-v1.oci-archive.tar")
        let image = try #require(records.first)
        #expect(records.count == 1)
        #expect(image.repoTags == ["docker.io/swiftlet-test/shell:v1"])
        #expect(image.config.cmd == ["sh"])
        #expect(FileManager.default.isExecutableFile(atPath: store.layerPaths(of: image)[0] + "/bin/busybox"))
        #expect(await store.image("swiftlet-test/shell:v1")?.id == image.id)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: dir.path + "/images/tmp")) ?? ["?"]).isEmpty)
        let missing = await #expect(throws: ImageError.self) { try await store.importArchive(dir.path + "/nope.tar") }
        #expect(missing?.code == .io)
    }
}

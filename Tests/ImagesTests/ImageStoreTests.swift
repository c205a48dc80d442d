import Foundation
import Testing
import TestSupport
@testable import Images

/// Store behaviour that needs no registry: errors, empty-store queries, persistence format.
@Suite struct ImageStoreTests {
    @Test func errorsCarryTheirCode() async throws {
        let dir = try TemporaryDirectory("store")
        defer { dir.remove() }
        let store = try ImageStore(root: dir.path + "/images", registries: RegistryConfiguration(), logger: testLogger)
        let invalid = await #expect(throws: ImageError.self) { try await store.pull("Not A Reference", credentials: nil) }
        #expect(invalid?.code == .invalidReference)
        // Nothing listens on this port: a network error, not a crash or a hang.
        let port = try freeLoopbackPorts(1)[0]
        let unreachable = await #expect(throws: ImageError.self) {
            try await store.pull("127.0.0.1:\(port)/swiftlet-test/shell:v1", credentials: nil)
        }
        #expect(unreachable?.code == .network, "\(String(describing: unreachable))")
        #expect(unreachable?.description == #"network: failed to do request: Get "http://127.0.0.1:\#(port)/v2/swiftlet-test/shell/manifests/v1": dial tcp 127.0.0.1:\#(port): connect: connection refused"#,
                "\(String(describing: unreachable))")
        let pin = await #expect(throws: ImageError.self) { try await store.setPinned("nothing", true) }
        #expect(pin?.code == .notFound)
        #expect(await store.image("busybox") == nil)
        #expect(await store.image("sha256:") == nil)
        #expect(await store.list().isEmpty)
        try await store.remove("busybox")
        let usage = store.filesystemUsage()
        #expect(usage.mountpoint == dir.path + "/images")
        #expect(usage.inodes >= 4)
    }

    @Test func corruptMetadataIsReported() throws {
        let dir = try TemporaryDirectory("store")
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path + "/images", withIntermediateDirectories: true)
        try "{not json".write(toFile: dir.path + "/images/images.json", atomically: true, encoding: .utf8)
        let error = #expect(throws: ImageError.self) {
            try ImageStore(root: dir.path + "/images", registries: RegistryConfiguration(), logger: testLogger)
        }
        #expect(error?.code == .invalidContent)
    }

    @Test func platformSelection() throws {
        let digest = { (c: Character) in try #require(Digest("sha256:" + String(repeating: c, count: 64))) }
        let index = ImageIndex(manifests: [
            Descriptor(mediaType: MediaType.ociManifest, digest: try digest("a"), size: 1, platform: Platform(architecture: "arm64", os: "linux", variant: "v8")),
            Descriptor(mediaType: MediaType.ociManifest, digest: try digest("b"), size: 1, platform: Platform(architecture: "amd64", os: "windows")),
            Descriptor(mediaType: MediaType.ociManifest, digest: try digest("c"), size: 1, platform: Platform(architecture: "amd64", os: "linux")),
            Descriptor(mediaType: "application/vnd.in-toto+json", digest: try digest("d"), size: 1, platform: Platform(architecture: "unknown", os: "unknown")),
        ])
        #expect(index.manifest(for: Platform(architecture: "amd64", os: "linux"))?.digest == (try digest("c")))
        #expect(index.manifest(for: Platform(architecture: "arm64", os: "linux", variant: "v8"))?.digest == (try digest("a")))
        #expect(index.manifest(for: Platform(architecture: "arm64", os: "linux"))?.digest == (try digest("a")))
        #expect(index.manifest(for: Platform(architecture: "s390x", os: "linux")) == nil)
        #expect(Platform.current.os == "linux")
    }
}

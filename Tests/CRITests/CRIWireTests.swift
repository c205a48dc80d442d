import CRI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import TestSupport
import Testing

/// Proves the committed CRI v1 code is wire-compatible with a real runtime: Debian's containerd
/// (1.6) is started in a throwaway directory with its own socket, and our generated clients call
/// it over the unix socket exactly as the kubelet would.
@Suite("CRI v1 wire compatibility with containerd", .serialized)
struct CRIWireTests {
    /// A tag the test imports into containerd's `k8s.io` namespace so ListImages has one image.
    static let imageName = "swiftlet.test/wire:1"

    @Test("Version, Status, ListImages and ImageStatus answered by containerd", .timeLimit(.minutes(2)))
    func containerdAnswersGeneratedClients() async throws {
        let containerd = try #require(which("containerd"), "containerd is not installed (hack/install-deps.sh)")
        let ctr = try #require(which("ctr"), "ctr (containerd package) is not installed")
        let daemon = try PeerDaemon(name: "containerd")
        defer { daemon.stop() }
        let dir = daemon.directory
        let socket = dir + "/containerd.sock"
        try ContainerdConfig(directory: dir, socket: socket).toml.write(toFile: dir + "/config.toml", atomically: true, encoding: .utf8)
        try daemon.start(containerd, ["--config", dir + "/config.toml"])
        try await daemon.waitForFile(socket)

        let image = try await TestImage.write(in: dir + "/image", name: Self.imageName)
        _ = try await succeed(ctr, ["--address", socket, "--namespace", "k8s.io", "images", "import", image.archive])

        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: socket, authority: "localhost"),
            transportSecurity: .plaintext)
        var options = CallOptions.defaults
        options.timeout = .seconds(15)
        let callOptions = options
        do {
            try await withGRPCClient(transport: transport) { client in
                let runtime = Runtime_V1_RuntimeService.Client(wrapping: client)
                let images = Runtime_V1_ImageService.Client(wrapping: client)

                var versionRequest = Runtime_V1_VersionRequest()
                versionRequest.version = "v1"
                let version = try await runtime.version(versionRequest, options: callOptions)
                #expect(version.runtimeName == "containerd")
                #expect(version.runtimeApiVersion == "v1")
                #expect(version.version == "0.1.0")
                #expect(!version.runtimeVersion.isEmpty)

                var statusRequest = Runtime_V1_StatusRequest()
                statusRequest.verbose = true
                let status = try await runtime.status(statusRequest, options: callOptions)
                let conditions = Dictionary(status.status.conditions.map { ($0.type, $0) }) { first, _ in first }
                #expect(conditions["RuntimeReady"]?.status == true)
                // No CNI config in the private conf_dir: containerd reports the network not ready.
                #expect(conditions["NetworkReady"]?.status == false)
                #expect(conditions["NetworkReady"]?.reason == "NetworkPluginNotReady")
                // The verbose info map carries containerd's effective config as JSON, ours included.
                let config = try #require(status.info["config"])
                #expect(config.contains("\"restrictOOMScoreAdj\":true"))

                // containerd's CRI image store learns of the import from an event: poll briefly.
                var listed: [Runtime_V1_Image] = []
                for _ in 0..<50 {
                    listed = try await images.listImages(Runtime_V1_ListImagesRequest(), options: callOptions).images
                    if listed.contains(where: { $0.repoTags.contains(Self.imageName) }) { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                let entry = try #require(listed.first { $0.repoTags.contains(Self.imageName) }, "ListImages: \(listed)")
                #expect(entry.id == image.configDigest)
                #expect(entry.size > 0)

                var statusOfImage = Runtime_V1_ImageStatusRequest()
                statusOfImage.image.image = Self.imageName
                let imageStatus = try await images.imageStatus(statusOfImage, options: callOptions)
                #expect(imageStatus.hasImage)
                #expect(imageStatus.image.id == image.configDigest)
                #expect(imageStatus.image.repoTags == [Self.imageName])

                var missing = Runtime_V1_ImageStatusRequest()
                missing.image.image = "swiftlet.test/absent:1"
                let absent = try await images.imageStatus(missing, options: callOptions)
                #expect(!absent.hasImage)
            }
        } catch {
            Issue.record("CRI calls failed: \(error)\ncontainerd log:\n\(daemon.logTail)")
        }
    }
}

/// A one-layer OCI image in an image-layout tar archive, as `ctr images import` reads it: the
/// index names it with the `io.containerd.image.name` annotation.
struct TestImage {
    var archive: String
    var configDigest: String

    static func write(in directory: String, name: String) async throws -> TestImage {
        let fm = FileManager.default
        let blobs = directory + "/layout/blobs/sha256"
        try fm.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: directory + "/rootfs", withIntermediateDirectories: true)
        try "hello from swiftlet\n".write(toFile: directory + "/rootfs/hello.txt", atomically: true, encoding: .utf8)

        let tar = try #require(which("tar"))
        let layer = directory + "/layer.tar"
        _ = try await succeed(tar, ["--numeric-owner", "--owner=0", "--group=0", "-cf", layer, "-C", directory + "/rootfs", "hello.txt"])
        let layerBlob = try await blob(atPath: layer, into: blobs)

        #if arch(arm64)
        let architecture = "arm64"
        #else
        let architecture = "amd64"
        #endif
        let config = """
            {"architecture":"\(architecture)","os":"linux","config":{"Cmd":["/hello.txt"]},\
            "rootfs":{"type":"layers","diff_ids":["\(layerBlob.digest)"]}}
            """
        let configBlob = try await blob(Data(config.utf8), into: blobs, scratch: directory)
        let manifest = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(configBlob.digest)","size":\(configBlob.size)},\
            "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\(layerBlob.digest)","size":\(layerBlob.size)}]}
            """
        let manifestBlob = try await blob(Data(manifest.utf8), into: blobs, scratch: directory)
        let index = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(manifestBlob.digest)","size":\(manifestBlob.size),\
            "annotations":{"io.containerd.image.name":"\(name)","org.opencontainers.image.ref.name":"1"}}]}
            """
        try index.write(toFile: directory + "/layout/index.json", atomically: true, encoding: .utf8)
        try #"{"imageLayoutVersion":"1.0.0"}"#.write(toFile: directory + "/layout/oci-layout", atomically: true, encoding: .utf8)

        let archive = directory + "/image.tar"
        _ = try await succeed(tar, ["--numeric-owner", "-cf", archive, "-C", directory + "/layout", "oci-layout", "index.json", "blobs"])
        return TestImage(archive: archive, configDigest: configBlob.digest)
    }

    private static func blob(_ data: Data, into blobs: String, scratch: String) async throws -> (digest: String, size: Int) {
        let path = scratch + "/blob-\(UUID().uuidString.prefix(8))"
        try data.write(to: URL(fileURLWithPath: path))
        return try await blob(atPath: path, into: blobs)
    }

    /// Moves a file into `blobs/sha256/<hex>` and returns its digest and size.
    private static func blob(atPath path: String, into blobs: String) async throws -> (digest: String, size: Int) {
        let sha256sum = try #require(which("sha256sum"))
        let hex = String(try await succeed(sha256sum, [path]).prefix(64))
        let size = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        try FileManager.default.moveItem(atPath: path, toPath: blobs + "/" + hex)
        return ("sha256:" + hex, size)
    }
}

/// Runs a tool to completion through TestSupport's `runCommand` and returns its output; throws
/// with the output when it fails.
func succeed(_ executable: String, _ arguments: [String]) async throws -> String {
    let result = try await runCommand(executable, arguments)
    guard result.status == 0 else {
        throw TestSupportError("\(executable) \(arguments.joined(separator: " ")): \(result)")
    }
    return result.stdout
}

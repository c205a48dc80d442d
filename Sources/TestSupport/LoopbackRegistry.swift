import Foundation

/// A real registry for image tests: Debian's `docker-registry` (distribution 2.8) serving on a free 127.0.0.1
/// port from a throwaway storage directory, filled by `hack/make-test-images.sh` with the `swiftlet-test/*`
/// images (shell, web, pause and the multi-platform index `multi`).
///
/// With `htpasswd`, the registry asks for basic authentication (distribution accepts htpasswd without TLS);
/// the images are pushed through an unauthenticated sibling on the same storage first.
///
/// ```swift
/// let registry = try await LoopbackRegistry()
/// defer { registry.stop() }
/// let image = try await store.pull("\(registry.host)/swiftlet-test/shell:v1", credentials: nil)
/// ```
public final class LoopbackRegistry: @unchecked Sendable {
    /// `127.0.0.1:PORT`.
    public let host: String
    /// The registry's storage (`docker/registry/v2/…`), for tests that tamper with blobs.
    public let storageDirectory: String
    private let daemon: PeerDaemon

    /// Starts the registry and pushes the test images into it.
    /// - Parameter htpasswd: user and password to require (bcrypt entry written with Python's `crypt`).
    public init(htpasswd: (user: String, password: String)? = nil) async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/docker-registry") else {
            throw TestSupportError("docker-registry is not installed (apt-get install docker-registry)")
        }
        daemon = try PeerDaemon(name: "registry")
        storageDirectory = daemon.directory + "/storage"
        do {
            let ports = try freeLoopbackPorts(htpasswd == nil ? 1 : 2)
            host = "127.0.0.1:\(ports[0])"
            var auth = ""
            if let htpasswd {
                let hash = try await LoopbackRegistry.bcrypt(htpasswd.password)
                try "\(htpasswd.user):\(hash)\n".write(toFile: daemon.directory + "/htpasswd", atomically: true, encoding: .utf8)
                auth = """
                auth:
                  htpasswd:
                    realm: swiftlet-test
                    path: \(daemon.directory)/htpasswd

                """
            }
            try LoopbackRegistry.config(storage: storageDirectory, address: host, auth: auth)
                .write(toFile: daemon.directory + "/config.yml", atomically: true, encoding: .utf8)
            try daemon.start("/usr/bin/docker-registry", ["serve", daemon.directory + "/config.yml"])
            try await LoopbackRegistry.waitUntilServing(host, daemon: daemon)
            if htpasswd == nil {
                try await LoopbackRegistry.pushTestImages(to: host)
            } else {
                // Push through an open sibling on the same storage, then stop it.
                let open = try PeerDaemon(name: "registry-push")
                defer { open.stop() }
                let pushHost = "127.0.0.1:\(ports[1])"
                try LoopbackRegistry.config(storage: storageDirectory, address: pushHost, auth: "")
                    .write(toFile: open.directory + "/config.yml", atomically: true, encoding: .utf8)
                try open.start("/usr/bin/docker-registry", ["serve", open.directory + "/config.yml"])
                try await LoopbackRegistry.waitUntilServing(pushHost, daemon: open)
                try await LoopbackRegistry.pushTestImages(to: pushHost)
            }
        } catch {
            daemon.stop()
            throw error
        }
    }

    /// Kills the registry and removes its storage.
    public func stop() { daemon.stop() }

    /// The registry's log so far, for failure messages.
    public var logTail: String { daemon.logTail }

    /// The path of a blob's data file in the registry's storage.
    public func blobDataPath(hex: String) -> String {
        "\(storageDirectory)/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data"
    }

    /// The repository checkout this file belongs to.
    public static var repositoryRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() } // Sources/TestSupport/LoopbackRegistry.swift
        return url.path
    }

    /// Where `hack/make-test-images.sh` caches its OCI layout and the `shell-v1.oci-archive.tar` it writes.
    public static var imageCache: String {
        ProcessInfo.processInfo.environment["SWIFTLET_TEST_IMAGES"] ?? "/var/cache/swiftlet-test-images"
    }

    /// Runs `hack/make-test-images.sh` (builds the cached images if needed), optionally pushing to `host`.
    public static func pushTestImages(to host: String?) async throws {
        let script = repositoryRoot + "/hack/make-test-images.sh"
        let result = try await runCommand("/bin/bash", [script] + (host.map { [$0] } ?? []), timeout: 300)
        guard result.status == 0 else { throw TestSupportError("make-test-images.sh failed: \(result)") }
    }

    private static func config(storage: String, address: String, auth: String) -> String {
        """
        version: 0.1
        log:
          level: info
          accesslog:
            disabled: false
        storage:
          filesystem:
            rootdirectory: \(storage)
          delete:
            enabled: true
          cache:
            blobdescriptor: ""
        \(auth)http:
          addr: \(address)
          secret: swiftlet-loopback-test
        """
    }

    private static func waitUntilServing(_ host: String, daemon: PeerDaemon) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            guard daemon.isRunning else { break }
            let probe = try await runCommand("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://\(host)/v2/"], timeout: 5)
            if probe.stdout == "200" || probe.stdout == "401" { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSupportError("docker-registry did not serve on \(host); log:\n\(daemon.logTail)")
    }

    static func bcrypt(_ password: String) async throws -> String {
        let result = try await runCommand("/usr/bin/python3", ["-W", "ignore", "-c",
            "import crypt, sys; print(crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_BLOWFISH)))"], stdin: password)
        let hash = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status == 0, hash.hasPrefix("$2") else { throw TestSupportError("cannot bcrypt a password: \(result)") }
        return hash
    }
}

import Foundation
import LinuxSystem

extension CRIHarness {
    /// A second docker-registry in the harness's namespace serving the same images (the same storage) on
    /// `127.0.0.1:5001`, but only to clients that authenticate as `user` (htpasswd, basic auth): what a private
    /// registry is to `imagePullSecrets`. The caller stops the returned daemon.
    public func authenticatedRegistry(user: String, password: String) async throws -> (host: String, daemon: PeerDaemon) {
        let daemon = try PeerDaemon(name: "registry-auth")
        let host = "127.0.0.1:5001"
        do {
            let hash = try await LoopbackRegistry.bcrypt(password)
            try "\(user):\(hash)\n".write(toFile: daemon.directory + "/htpasswd", atomically: true, encoding: .utf8)
            try """
                version: 0.1
                storage:
                  filesystem:
                    rootdirectory: \(registryDaemon.directory)/data
                auth:
                  htpasswd:
                    realm: swiftlet-test
                    path: \(daemon.directory)/htpasswd
                http:
                  addr: \(host)
                """.write(toFile: daemon.directory + "/config.yml", atomically: true, encoding: .utf8)
            try daemon.start("/usr/bin/nsenter", ["--net=" + namespace.path, "/usr/bin/docker-registry", "serve", daemon.directory + "/config.yml"])
            for _ in 0..<100 {
                // 401 without credentials is the sign it serves.
                let probe = try await runCommand("/usr/bin/nsenter", ["--net=" + namespace.path, "/usr/bin/curl", "-s", "-o", "/dev/null",
                                                                      "-w", "%{http_code}", "http://\(host)/v2/"])
                if probe.stdout == "401" { return (host, daemon) }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw TestSupportError("the authenticated registry did not start: \(daemon.logTail)")
        } catch {
            daemon.stop()
            throw error
        }
    }
}

import ClusterPKI
import Foundation
import KubeClient
import NIOSSL

/// A `swiftlet server` started from the build folder for a test, on a free port with a throwaway data
/// directory; `stop()` (or `kill()`) ends it and removes the directory.
public final class ServerProcess: @unchecked Sendable {
    public let dataDirectory: String
    public let kubeconfig: String
    public private(set) var url: String = ""
    private var process = Process()
    private let logFile: String
    private let arguments: [String]

    /// Starts the server and waits until it serves (its kubeconfig is written once it listens).
    /// `controllers: false` (the default) runs the bare API server, so a test's own controllers or writes are the
    /// only ones acting on its objects.
    public init(controllers: Bool = false, extraArguments: [String] = [], dataDirectory: String? = nil) async throws {
        let dir = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-test-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        self.dataDirectory = dir
        kubeconfig = dir + "/admin.kubeconfig"
        logFile = dir + "/server.log"
        guard FileManager.default.createFile(atPath: logFile, contents: nil) else { throw TestSupportError("cannot create \(logFile)") }
        arguments = ["server", "--data-dir", dir] + (controllers ? [] : ["--controllers", "", "--no-scheduler"]) + extraArguments
        try await launch(listen: "127.0.0.1:0")
    }

    /// SIGKILL, then start again on the same address with the same data: clients see their connections drop and the
    /// same server come back, as after a crash.
    public func restart() async throws {
        kill()
        let address = url.replacingOccurrences(of: "https://", with: "").replacingOccurrences(of: "http://", with: "")
        try await launch(listen: address)
    }

    /// Runs the server listening on `listen` and waits for its kubeconfig.
    private func launch(listen: String) async throws {
        try? FileManager.default.removeItem(atPath: kubeconfig)
        process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltProducts.path(of: "swiftlet"))
        process.arguments = arguments + ["--listen", listen]
        let log = FileHandle(forWritingAtPath: logFile)
        log?.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: kubeconfig, encoding: .utf8),
               let line = text.split(separator: "\n").first(where: { $0.contains("server:") }) {
                url = line.split(separator: " ").last.map(String.init) ?? ""
                return
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let output = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        stop()
        throw TestSupportError("swiftlet server did not start: \(output.suffix(2000))")
    }

    /// Whether the server serves HTTPS (the default; `--insecure-http` turns it off).
    public var usesTLS: Bool { url.hasPrefix("https://") }

    /// The PEM file of the cluster CA, the admin client certificate and its key, in the data directory.
    public var caFile: String { dataDirectory + "/pki/ca.crt" }
    public var adminCertificateFile: String { dataDirectory + "/pki/admin.crt" }
    public var adminKeyFile: String { dataDirectory + "/pki/admin.key" }

    /// A KubeClient configuration for the admin (`kubernetes-admin`, `system:masters`), as the admin kubeconfig has it.
    public func clientConfiguration(userAgent: String = "swiftlet-tests") -> KubeClient.Configuration {
        Self.adminConfiguration(server: URL(string: url)!, dataDirectory: dataDirectory, userAgent: userAgent)
    }

    /// The admin's KubeClient configuration for a `swiftlet server` started elsewhere with `--data-dir
    /// dataDirectory` and reached at `server`: over HTTPS the cluster CA and the admin certificate from its `pki/`.
    public static func adminConfiguration(server: URL, dataDirectory: String, userAgent: String = "swiftlet-tests") -> KubeClient.Configuration {
        var configuration = KubeClient.Configuration(server: server, userAgent: userAgent)
        if server.scheme == "https" {
            configuration.certificateAuthority = FileManager.default.contents(atPath: dataDirectory + "/pki/ca.crt")
            configuration.clientCertificate = FileManager.default.contents(atPath: dataDirectory + "/pki/admin.crt")
            configuration.clientKey = FileManager.default.contents(atPath: dataDirectory + "/pki/admin.key")
        }
        return configuration
    }

    /// A client configuration that authenticates as `user` in `groups` with a certificate from the cluster CA.
    public func clientConfiguration(user: String, groups: [String] = [], userAgent: String = "swiftlet-tests") throws -> KubeClient.Configuration {
        let issued = try issueCertificate(user: user, groups: groups)
        var configuration = KubeClient.Configuration(server: URL(string: url)!, userAgent: userAgent)
        configuration.certificateAuthority = FileManager.default.contents(atPath: caFile)
        configuration.clientCertificate = Data(issued.certificatePEM.utf8)
        configuration.clientKey = Data(issued.keyPEM.utf8)
        return configuration
    }

    /// Writes a kubeconfig for `user` in `groups` (a client certificate from the cluster CA, as `kubeadm kubeconfig
    /// user` makes one) into the data directory and returns its path.
    public func kubeconfig(user: String, groups: [String] = []) throws -> String {
        let issued = try issueCertificate(user: user, groups: groups)
        let path = dataDirectory + "/\(user.replacingOccurrences(of: ":", with: "-")).kubeconfig"
        let ca = try String(contentsOfFile: caFile, encoding: .utf8)
        try ClientKubeconfig(server: url, certificateAuthorityPEM: ca, user: user, credentials: .certificate(issued)).write(to: path)
        return path
    }

    /// A kubeconfig with a bearer token (or no credentials at all when `token` is nil) and the cluster CA.
    public func kubeconfig(token: String?, name: String) throws -> String {
        let path = dataDirectory + "/\(name).kubeconfig"
        let ca = try String(contentsOfFile: caFile, encoding: .utf8)
        try ClientKubeconfig(server: url, certificateAuthorityPEM: ca, user: name, credentials: token.map { .token($0) } ?? .none).write(to: path)
        return path
    }

    private func issueCertificate(user: String, groups: [String]) throws -> IssuedCertificate {
        let ca = try CertificateAuthority(certificatePEM: try String(contentsOfFile: caFile, encoding: .utf8),
                                          keyPEM: try String(contentsOfFile: dataDirectory + "/pki/ca.key", encoding: .utf8))
        return try ca.issue(CertificateRequest(commonName: user, organizations: groups, usage: .client))
    }

    /// TLS for a raw WebSocket to the server (`wss://`): the cluster CA and the admin certificate.
    public func adminTLSConfiguration() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(adminCertificateFile).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: adminKeyFile, format: .pem))
        return tls
    }

    /// The server URL with a WebSocket scheme (`wss://` over TLS).
    public var webSocketURL: String {
        url.replacingOccurrences(of: "https://", with: "wss://").replacingOccurrences(of: "http://", with: "ws://")
    }

    /// curl's options to trust the cluster CA and present the admin certificate (none over plain HTTP).
    public var curlTLSArguments: [String] {
        usesTLS ? ["--cacert", caFile, "--cert", adminCertificateFile, "--key", adminKeyFile] : []
    }

    /// The server's log so far.
    public var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    public var isRunning: Bool { process.isRunning }

    /// SIGKILL without cleanup: the data directory stays, for restart tests.
    public func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then waits up to `timeout`; true if the server exited by itself (its exit status is then 0).
    public func terminate(within timeout: Duration) async -> Bool {
        guard process.isRunning else { return true }
        process.terminate()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return !process.isRunning && process.terminationStatus == 0
    }

    /// SIGTERM, wait, and remove the data directory.
    public func stop(keepData: Bool = false) {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            kill()
        }
        if !keepData { try? FileManager.default.removeItem(atPath: dataDirectory) }
    }

    deinit { stop() }
}

/// Finds executables built by SwiftPM next to the test bundle (`.build/debug/swiftlet`).
public enum BuiltProducts {
    public static var directory: String {
        if let override = ProcessInfo.processInfo.environment["SWIFTLET_BUILD_DIR"] { return override }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        // The test runner is `.build/<config>/<Package>PackageTests.xctest`; products sit beside it.
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("swiftlet").path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug"
    }

    public static func path(of product: String) throws -> String {
        let path = directory + "/" + product
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestSupportError("\(product) is not built at \(path); run `swift build` first")
        }
        return path
    }
}

/// A test helper failure with its reason.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

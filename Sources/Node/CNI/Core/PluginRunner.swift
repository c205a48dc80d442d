import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Runs one plugin invocation the way upstream's `skel` does: reads the `CNI_*` environment and the
/// stdin configuration, negotiates the version, dispatches the verb, and renders the outcome.
///
/// A success prints the result (ADD, converted to the configuration's `cniVersion`) or the version info
/// (VERSION) on stdout and exits 0. A failure prints the error JSON on stdout, a one-line log on stderr,
/// and exits 1. ``run(environment:stdin:)`` does all of it without touching the process, for tests.
public struct PluginRunner<P: Plugin>: Sendable {
    /// What one invocation wrote and how it ended.
    public struct Outcome: Sendable {
        public var stdout: Data
        public var stderr: String
        public var exitCode: Int32
    }

    public let plugin: P
    /// One line naming the plugin, printed when run by hand without `CNI_COMMAND`.
    public let about: String

    public init(plugin: P, about: String) {
        self.plugin = plugin
        self.about = about
    }

    /// Runs with the process's environment and stdin, writes the outcome and ends the process.
    ///
    /// A plugin executable's `main`: synchronous, so the process never starts the concurrency pool's or
    /// Dispatch's threads. The invocation runs on the main thread alone (``MainThreadExecutor``), and
    /// the process ends with `_exit` once stdout and stderr are written (both unbuffered `write`s, so
    /// nothing is left to flush; the store's lock was released when its section ended): nothing at exit
    /// is worth running atexit handlers and C++ destructors for.
    public func main() -> Never {
        let stdin = StandardStreams.readAll(0)
        let environment = ProcessEnvironment.current()
        let outcome = MainThreadExecutor.run { await self.run(environment: environment, stdin: stdin) }
        StandardStreams.write(1, outcome.stdout)
        StandardStreams.write(2, outcome.stderr)
        _exit(outcome.exitCode)
    }

    /// Runs one invocation against `environment` and `stdin`.
    public func run(environment: [String: String], stdin: Data) async -> Outcome {
        if (environment["CNI_COMMAND"] ?? "").isEmpty, !about.isEmpty {
            let versions = plugin.supportedVersions.map(\.description).joined(separator: ", ")
            return Outcome(stdout: Data(), stderr: "\(about)\nCNI protocol versions supported: \(versions)\n", exitCode: 0)
        }
        var version: String?
        do throws(CNIError) {
            let environment = try PluginEnvironment(environment)
            if environment.command == .version {
                return Outcome(stdout: try Self.versionJSON(plugin.supportedVersions), stderr: "", exitCode: 0)
            }
            let config = try Self.validatedConfig(stdin)
            version = config.cniVersion.description
            try negotiate(environment.command, config.cniVersion)
            let request = PluginRequest(environment: environment, config: config)
            let stdout = try await dispatch(request)
            return Outcome(stdout: stdout, stderr: "", exitCode: 0)
        } catch {
            let versioned = error.versioned(version ?? CNIVersion.current.description)
            let command = environment["CNI_COMMAND"] ?? ""
            return Outcome(stdout: versioned.json(), stderr: "\(about.isEmpty ? "plugin" : about): \(command) failed: \(versioned)\n", exitCode: 1)
        }
    }

    private func dispatch(_ request: PluginRequest) async throws(CNIError) -> Data {
        switch request.environment.command {
        case .add:
            return try await plugin.add(request).converted(to: request.config.cniVersion).json()
        case .delete:
            try await plugin.delete(request)
        case .check:
            try await plugin.check(request)
        case .garbageCollect:
            try await plugin.garbageCollect(request)
        case .status:
            try await plugin.status(request)
        case .version:
            return try Self.versionJSON(plugin.supportedVersions)
        }
        return Data()
    }

    /// The configuration's version must be one the plugin supports, and new enough for the verb.
    private func negotiate(_ command: Command, _ version: CNIVersion) throws(CNIError) {
        if let minimum = command.minimumVersion, version < minimum {
            throw CNIError(.incompatibleVersion, "config version does not allow \(command.rawValue)")
        }
        guard plugin.supportedVersions.contains(version) else {
            let supported = plugin.supportedVersions.map { "\"\($0)\"" }.joined(separator: " ")
            throw CNIError(
                .incompatibleVersion, "incompatible CNI versions",
                details: "config is \"\(version)\", plugin supports [\(supported)]")
        }
    }

    /// stdin must be a JSON object with a valid `name` (skel's `validateConfig`).
    static func validatedConfig(_ stdin: Data) throws(CNIError) -> NetworkConfig {
        let config = try NetworkConfig(json: stdin)
        guard !config.name.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "missing network name")
        }
        guard NameRules.isValid(config.name) else {
            throw CNIError(.invalidNetworkConfig, "invalid characters found in network name", details: config.name)
        }
        return config
    }

    static func versionJSON(_ versions: [CNIVersion]) throws(CNIError) -> Data {
        do {
            return try JSONCoding.encode(VersionInfo(supportedVersions: versions)) + Data("\n".utf8)
        } catch {
            throw CNIError(.ioFailure, "failed to encode version info", details: String(describing: error))
        }
    }
}

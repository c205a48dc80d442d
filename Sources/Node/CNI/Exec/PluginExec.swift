import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Runs a plugin binary: the seam between CNI logic and `fork`/`exec`, so tests can substitute a fake.
public protocol PluginExec: Sendable {
    /// Runs the binary at `path` with exactly `environment` and `stdin`, returning its stdout on exit 0.
    /// A non-zero exit throws the plugin's error JSON, or a code-104 error carrying its stderr.
    func execute(_ path: String, stdin: Data, environment: [String: String]) async throws(CNIError) -> Data
}

extension PluginExec {
    /// Runs `path` and decodes its stdout as a result; a result without `cniVersion` is taken to be in
    /// `configVersion` (libcni's `fixupResultVersion`).
    public func executeWithResult(
        _ path: String, stdin: Data, environment: [String: String], configVersion: CNIVersion
    ) async throws(CNIError) -> CNIResult {
        let stdout = try await execute(path, stdin: stdin, environment: environment)
        return try CNIResult.decode(from: stdout, fallbackVersion: configVersion)
    }
}

/// Finds plugin binaries on `CNI_PATH` (libcni's `FindInPath`).
public enum PluginLocator {
    /// The first regular file named `type` in `paths`; code 104 naming every directory searched if none.
    public static func find(_ type: String, in paths: [String]) throws(CNIError) -> String {
        guard !type.isEmpty, !type.contains("/") else {
            throw CNIError(.invalidNetworkConfig, "invalid plugin name \"\(type)\"")
        }
        for directory in paths {
            let candidate = directory.hasSuffix("/") ? directory + type : directory + "/" + type
            var status = stat()
            if stat(candidate, &status) == 0, status.st_mode & S_IFMT == S_IFREG {
                return candidate
            }
        }
        throw CNIError(.pluginExecutionFailure, "failed to find plugin \"\(type)\" in path \(paths)")
    }
}

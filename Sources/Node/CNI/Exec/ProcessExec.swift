import FoundationEssentials
import LinuxSystem

/// ``PluginExec`` over LinuxSystem's `Subprocess` (`posix_spawn`), blocking a Dispatch worker per run rather than a
/// thread of the Swift concurrency pool (which on a 2-core node has only two).
///
/// Plugin stderr is passed to `logStderr` when the plugin succeeds (as libcni copies it to the
/// runtime's stderr) and folded into the error when it fails without an error JSON.
public struct ProcessExec: PluginExec {
    private let logStderr: @Sendable (String) -> Void

    public init(logStderr: @escaping @Sendable (String) -> Void = { _ in }) {
        self.logStderr = logStderr
    }

    public func execute(_ path: String, stdin: Data, environment: [String: String]) async throws(CNIError) -> Data {
        let output: Subprocess.Output
        do {
            output = try await Subprocess.output(path, environment: environment, stdin: [UInt8](stdin))
        } catch {
            throw CNIError(.pluginExecutionFailure, "failed to run plugin \(path)", details: error.message)
        }
        guard output.status == 0 else { throw Self.failure(path, output) }
        if !output.stderr.isEmpty { logStderr(String(decoding: output.stderr, as: UTF8.self)) }
        return Data(output.stdout)
    }

    /// The plugin's own error JSON when it printed one (libcni's `pluginErr`).
    private static func failure(_ path: String, _ output: Subprocess.Output) -> CNIError {
        let stderr = String(decoding: output.stderr, as: UTF8.self)
        if output.stdout.isEmpty {
            let message = stderr.isEmpty
                ? "netplugin failed with no error message: exit status \(output.status)"
                : "netplugin failed: \"\(stderr)\": exit status \(output.status)"
            return CNIError(.pluginExecutionFailure, message, details: path)
        }
        do {
            return try JSONCoding.decode(CNIError.self, from: Data(output.stdout))
        } catch {
            let text = String(decoding: output.stdout, as: UTF8.self)
            return CNIError(
                .pluginExecutionFailure, "netplugin failed but error parsing its diagnostic message \"\(text)\"",
                details: String(describing: error))
        }
    }
}

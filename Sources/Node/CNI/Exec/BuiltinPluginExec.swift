import FoundationEssentials

/// A ``PluginExec`` that runs Swiftlet's own IPAM plugin in-process instead of exec'ing it.
///
/// `swiftlet-bridge` and `swiftlet-host-local` are built from the same module, so when the delegated
/// binary found on `CNI_PATH` is `swiftlet-host-local` the bridge runs ``HostLocal`` through
/// ``PluginRunner/run(environment:stdin:)`` with the very environment and stdin the child would get:
/// same result JSON, same error JSON, same on-disk store and file lock, one process start less per
/// ADD/DEL (about as long as the whole Go host-local takes). Any other plugin goes to `fallback`.
public struct BuiltinPluginExec: PluginExec {
    private let fallback: any PluginExec

    public init(fallback: any PluginExec = ProcessExec()) {
        self.fallback = fallback
    }

    public func execute(_ path: String, stdin: Data, environment: [String: String]) async throws(CNIError) -> Data {
        guard path.split(separator: "/").last == "swiftlet-host-local" else {
            return try await fallback.execute(path, stdin: stdin, environment: environment)
        }
        let outcome = await PluginRunner(plugin: HostLocal(), about: "").run(environment: environment, stdin: stdin)
        guard outcome.exitCode == 0 else {
            do {
                throw try JSONCoding.decode(CNIError.self, from: outcome.stdout)
            } catch let error as CNIError {
                throw error
            } catch {
                throw CNIError(.pluginExecutionFailure, "swiftlet-host-local failed: \(outcome.stderr)", details: path)
            }
        }
        return outcome.stdout
    }
}

import FoundationEssentials
import LinuxSystem

/// A ``PluginExec`` that runs Swiftlet's own plugins in-process instead of exec'ing them.
///
/// The plugin executables are thin mains over this module, so when the binary found on `CNI_PATH` is one
/// of ``builtins`` (by file name) its plugin runs through ``PluginRunner/run(environment:stdin:)`` with the
/// very environment and stdin the child would get: same result JSON, same error JSON, same on-disk state
/// and locks, one process start less per call. Any other plugin goes to `fallback`.
///
/// `swiftlet-bridge` delegates to `swiftlet-host-local` this way (the default); `swiftlet runtime` runs the
/// whole chain of a sandbox so (``swiftletPlugins``), which saves the three plugin starts of every
/// RunPodSandbox and StopPodSandbox. A runtime that must exec them (another plugin build on the path)
/// passes a smaller set. A daemon also passes its own namespace as `hostNamespace`: the bridge's and
/// portmap's host-side netlink and nf_tables work then runs on dedicated threads instead of blocking the
/// concurrency pool (whose threads a contended RTNL lock would otherwise hold for every other request).
///
///     let cni = CNIRuntime(pluginDirectories: ["/opt/cni/bin"], exec: BuiltinPluginExec(builtins: BuiltinPluginExec.swiftletPlugins))
public struct BuiltinPluginExec: PluginExec {
    /// Every plugin this module implements, by executable name.
    public static let swiftletPlugins: Set<String> = ["swiftlet-bridge", "swiftlet-host-local", "swiftlet-loopback", "swiftlet-portmap"]

    private let builtins: Set<String>
    private let fallback: any PluginExec
    private let hostNamespace: NetworkNamespace?

    public init(builtins: Set<String> = ["swiftlet-host-local"], hostNamespace: NetworkNamespace? = nil, fallback: any PluginExec = ProcessExec()) {
        self.builtins = builtins.intersection(Self.swiftletPlugins)
        self.hostNamespace = hostNamespace
        self.fallback = fallback
    }

    public func execute(_ path: String, stdin: Data, environment: [String: String]) async throws(CNIError) -> Data {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard builtins.contains(name) else {
            return try await fallback.execute(path, stdin: stdin, environment: environment)
        }
        let outcome: (stdout: Data, stderr: String, exitCode: Int32)
        switch name {
        case "swiftlet-host-local": outcome = await Self.run(HostLocal(), environment, stdin)
        case "swiftlet-loopback": outcome = await Self.run(Loopback(), environment, stdin)
        case "swiftlet-bridge": outcome = await Self.run(Bridge(hostNamespace: hostNamespace), environment, stdin)
        default: outcome = await Self.run(Portmap(hostNamespace: hostNamespace), environment, stdin)
        }
        guard outcome.exitCode == 0 else {
            do {
                throw try JSONCoding.decode(CNIError.self, from: outcome.stdout)
            } catch let error as CNIError {
                throw error
            } catch {
                throw CNIError(.pluginExecutionFailure, "\(name) failed: \(outcome.stderr)", details: path)
            }
        }
        return outcome.stdout
    }

    private static func run<P: Plugin>(_ plugin: P, _ environment: [String: String], _ stdin: Data) async -> (stdout: Data, stderr: String, exitCode: Int32) {
        let outcome = await PluginRunner(plugin: plugin, about: "").run(environment: environment, stdin: stdin)
        return (outcome.stdout, outcome.stderr, outcome.exitCode)
    }
}

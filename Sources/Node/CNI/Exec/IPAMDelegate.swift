import FoundationEssentials

/// Runs the IPAM plugin a configuration names in `ipam.type`, as a main plugin does through upstream's
/// `invoke.DelegateAdd`: same environment except `CNI_COMMAND`, same configuration on stdin, found on
/// `CNI_PATH`.
public struct IPAMDelegate: Sendable {
    private let exec: any PluginExec
    private let baseEnvironment: [String: String]

    /// `baseEnvironment` is inherited by the IPAM plugin (by default the process's own environment). The
    /// default `exec` runs `swiftlet-host-local` in-process (``BuiltinPluginExec``) and execs the rest.
    public init(exec: any PluginExec = BuiltinPluginExec(), baseEnvironment: [String: String]? = nil) {
        self.exec = exec
        self.baseEnvironment = baseEnvironment ?? ProcessEnvironment.current()
    }

    /// ADD: the IPAM plugin's result, in the configuration's version.
    public func add(_ request: PluginRequest) async throws(CNIError) -> CNIResult {
        let (path, stdin, environment) = try invocation(.add, request)
        return try await exec.executeWithResult(path, stdin: stdin, environment: environment, configVersion: request.config.cniVersion)
            .converted(to: request.config.cniVersion)
    }

    /// DEL, CHECK, GC or STATUS: succeeds when the IPAM plugin does.
    public func run(_ command: Command, _ request: PluginRequest) async throws(CNIError) {
        let (path, stdin, environment) = try invocation(command, request)
        _ = try await exec.execute(path, stdin: stdin, environment: environment)
    }

    private func invocation(_ command: Command, _ request: PluginRequest) throws(CNIError) -> (String, Data, [String: String]) {
        guard let type = request.config.ipamType, !type.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "IPAM config missing 'ipam' key")
        }
        let path = try PluginLocator.find(type, in: request.environment.path)
        var environment = request.environment
        environment.command = command
        return (path, try request.config.json(), baseEnvironment.merging(environment.variables) { _, new in new })
    }
}

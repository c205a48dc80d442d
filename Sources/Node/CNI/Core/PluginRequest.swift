/// Everything a plugin verb receives: the validated environment and the parsed stdin configuration.
public struct PluginRequest: Sendable {
    public var environment: PluginEnvironment
    public var config: NetworkConfig

    public init(environment: PluginEnvironment, config: NetworkConfig) {
        self.environment = environment
        self.config = config
    }

    public var containerID: String { environment.containerID }
    public var netns: String { environment.netns }
    public var ifName: String { environment.ifName }
}

import FoundationEssentials

/// The runtime side of CNI (what containerd's CRI plugin does through libcni): runs a network's plugin
/// chain for a sandbox and keeps the result cache.
///
/// - ``add(_:_:)`` runs the plugins in order, each getting the previous result as `prevResult` and the
///   capability arguments it enables as `runtimeConfig`; if one fails, DEL runs over the whole chain in
///   reverse so nothing half-configured stays behind, and the ADD error is thrown.
/// - ``delete(_:_:)`` runs the chain in reverse with the cached result, then forgets it.
/// - ``check(_:_:)``, ``garbageCollect(_:validAttachments:)`` and ``status(_:)`` follow libcni,
///   including its version gates (CHECK ≥ 0.4.0, GC/STATUS ≥ 1.1.0).
///
///     let cni = CNIRuntime(pluginDirectories: ["/opt/cni/bin"])
///     let network = try ConfigDirectory().defaultNetwork()
///     let result = try await cni.add(network, NetworkAttachment(containerID: id, netns: path))
public struct CNIRuntime: Sendable {
    public let pluginDirectories: [String]
    public let cache: ResultCache
    let exec: any PluginExec
    private let baseEnvironment: [String: String]

    /// `baseEnvironment` is what plugins inherit besides the `CNI_*` variables.
    public init(
        pluginDirectories: [String], cache: ResultCache = ResultCache(), exec: any PluginExec = ProcessExec(),
        baseEnvironment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.pluginDirectories = pluginDirectories
        self.cache = cache
        self.exec = exec
        self.baseEnvironment = baseEnvironment
    }

    /// Attaches the sandbox; on failure everything already set up is deleted again.
    public func add(_ list: NetworkConfigList, _ attachment: NetworkAttachment) async throws(CNIError) -> CNIResult {
        try Self.validate(list, attachment)
        var previous: CNIResult?
        do throws(CNIError) {
            for plugin in list.plugins {
                let config = try pluginConfig(plugin, list, previous: previous, attachment: attachment)
                do throws(CNIError) {
                    let path = try PluginLocator.find(plugin.type, in: pluginDirectories)
                    previous = try await exec.executeWithResult(
                        path, stdin: try config.json(), environment: environment(.add, attachment),
                        configVersion: list.cniVersion)
                } catch {
                    throw Self.annotated(error, plugin, "add")
                }
            }
        } catch {
            try? await deleteChain(list, attachment, previous: previous)
            throw error
        }
        let result = try previous.unwrapped(or: CNIError(.invalidNetworkConfig, "network \(list.name) has no plugins"))
            .converted(to: list.cniVersion)
        try cache.store(result, list: list, attachment)
        return result
    }

    /// Detaches the sandbox; succeeds again for an attachment already gone (plugins' DEL is idempotent).
    public func delete(_ list: NetworkConfigList, _ attachment: NetworkAttachment) async throws(CNIError) {
        let cached = list.cniVersion >= .check ? cache.result(network: list.name, attachment, as: list.cniVersion) : nil
        try await deleteChain(list, attachment, previous: cached)
        cache.remove(network: list.name, attachment)
    }

    /// Asks every plugin to verify the attachment against the cached result.
    public func check(_ list: NetworkConfigList, _ attachment: NetworkAttachment) async throws(CNIError) {
        guard list.cniVersion >= .check else {
            throw CNIError(.incompatibleVersion, "configuration version \"\(list.cniVersion)\" does not support the CHECK command")
        }
        guard !list.disableCheck else { return }
        let cached = cache.result(network: list.name, attachment, as: list.cniVersion)
        for plugin in list.plugins {
            let config = try pluginConfig(plugin, list, previous: cached, attachment: attachment)
            do throws(CNIError) {
                let path = try PluginLocator.find(plugin.type, in: pluginDirectories)
                _ = try await exec.execute(path, stdin: try config.json(), environment: environment(.check, attachment))
            } catch {
                throw Self.annotated(error, plugin, "check")
            }
        }
    }

    /// The cached result of ADD for the attachment, in the network's version.
    public func cachedResult(_ list: NetworkConfigList, _ attachment: NetworkAttachment) -> CNIResult? {
        cache.result(network: list.name, attachment, as: list.cniVersion)
    }

    /// DEL over the chain in reverse. Unlike libcni it does not stop at the first failure: every plugin
    /// gets its DEL (so a missing later plugin cannot strand an earlier one's address), then the first
    /// error is thrown.
    func deleteChain(_ list: NetworkConfigList, _ attachment: NetworkAttachment, previous: CNIResult?) async throws(CNIError) {
        var firstFailure: CNIError?
        for plugin in list.plugins.reversed() {
            do throws(CNIError) {
                let config = try pluginConfig(plugin, list, previous: previous, attachment: attachment)
                let path = try PluginLocator.find(plugin.type, in: pluginDirectories)
                _ = try await exec.execute(path, stdin: try config.json(), environment: environment(.delete, attachment))
            } catch {
                firstFailure = firstFailure ?? Self.annotated(error, plugin, "delete")
            }
        }
        if let firstFailure { throw firstFailure }
    }

    /// libcni's `buildOneConfig`: inject `name`, `cniVersion`, `prevResult` and the enabled capabilities.
    func pluginConfig(
        _ plugin: NetworkConfig, _ list: NetworkConfigList, previous: CNIResult?, attachment: NetworkAttachment?
    ) throws(CNIError) -> NetworkConfig {
        var inject: [String: JSONValue] = ["name": .string(list.name), "cniVersion": .string(list.cniVersion.description)]
        if let previous {
            do {
                inject["prevResult"] = try JSONCoding.decode(JSONValue.self, from: previous.converted(to: list.cniVersion).json(pretty: false))
            } catch {
                throw CNIError(.decodingFailure, "failed to encode prevResult", details: String(describing: error))
            }
        }
        if let attachment {
            let runtimeConfig = attachment.capabilityArgs.filter { plugin.capabilities[$0.key] == true }
            if !runtimeConfig.isEmpty { inject["runtimeConfig"] = .object(runtimeConfig) }
        }
        return try plugin.injecting(inject)
    }

    func environment(_ command: Command, _ attachment: NetworkAttachment?) -> [String: String] {
        let cni = PluginEnvironment(
            command: command, containerID: attachment?.containerID ?? "", netns: attachment?.netns ?? "",
            ifName: attachment?.ifName ?? "", args: attachment?.args ?? [], path: pluginDirectories)
        return baseEnvironment.merging(cni.variables) { _, new in new }
    }

    static func annotated(_ error: CNIError, _ plugin: NetworkConfig, _ verb: String) -> CNIError {
        CNIError(error.code, "plugin type=\"\(plugin.type)\" failed (\(verb)): \(error.msg)", details: error.details, cniVersion: error.cniVersion)
    }

    private static func validate(_ list: NetworkConfigList, _ attachment: NetworkAttachment) throws(CNIError) {
        try PluginEnvironment.validateContainerID(attachment.containerID)
        try PluginEnvironment.validateInterfaceName(attachment.ifName)
        guard NameRules.isValid(list.name) else {
            throw CNIError(.invalidNetworkConfig, "invalid characters found in network name", details: list.name)
        }
    }
}

extension Optional {
    /// The wrapped value, or throws `error`.
    func unwrapped(or error: CNIError) throws(CNIError) -> Wrapped {
        guard let self else { throw error }
        return self
    }

    /// The wrapped value, or what `fallback` makes.
    func unwrapped(orElse fallback: () throws(CNIError) -> Wrapped) throws(CNIError) -> Wrapped {
        if let self { return self }
        return try fallback()
    }
}

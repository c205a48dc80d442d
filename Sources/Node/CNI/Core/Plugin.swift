/// A CNI plugin: the verbs a ``PluginRunner`` dispatches to.
///
/// Only ADD and DEL are required. CHECK, GC and STATUS default to success, which the spec allows for
/// plugins with nothing to verify, collect or report. A plugin may return its result in any supported
/// version; the runner converts it to the configuration's `cniVersion` before printing.
///
///     struct Noop: Plugin {
///         func add(_ request: PluginRequest) async throws(CNIError) -> CNIResult { CNIResult() }
///         func delete(_ request: PluginRequest) async throws(CNIError) {}
///     }
///     PluginRunner(plugin: Noop(), about: "noop").main()
public protocol Plugin: Sendable {
    /// The configuration versions this plugin accepts (VERSION prints them).
    var supportedVersions: [CNIVersion] { get }

    func add(_ request: PluginRequest) async throws(CNIError) -> CNIResult
    func delete(_ request: PluginRequest) async throws(CNIError)
    func check(_ request: PluginRequest) async throws(CNIError)
    func garbageCollect(_ request: PluginRequest) async throws(CNIError)
    func status(_ request: PluginRequest) async throws(CNIError)
}

extension Plugin {
    public var supportedVersions: [CNIVersion] { CNIVersion.supported }
    public func check(_ request: PluginRequest) async throws(CNIError) {}
    public func garbageCollect(_ request: PluginRequest) async throws(CNIError) {}
    public func status(_ request: PluginRequest) async throws(CNIError) {}
}

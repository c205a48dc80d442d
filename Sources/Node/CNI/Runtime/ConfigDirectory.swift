import FoundationEssentials

/// The runtime's CNI configuration directory (`/etc/cni/net.d`).
///
/// Like containerd and CRI-O, the network is the file that sorts first by name among `*.conflist`,
/// `*.conf` and `*.json`; a single-plugin `.conf`/`.json` is wrapped into a one-plugin list.
public struct ConfigDirectory: Sendable {
    public let path: String

    public init(path: String = "/etc/cni/net.d") {
        self.path = path
    }

    /// The configuration files, sorted by name.
    public func files() throws(CNIError) -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw CNIError.io("failed to read CNI config directory \(path)", error)
        }
        return names.filter { name in [".conflist", ".conf", ".json"].contains { name.hasSuffix($0) } }
            .sorted().map { path + "/" + $0 }
    }

    /// The default network: the first file's configuration. Code 7 when the directory holds none.
    public func defaultNetwork() throws(CNIError) -> NetworkConfigList {
        guard let first = try files().first else {
            throw CNIError(.invalidNetworkConfig, "no net configurations found in \(path)")
        }
        return try Self.load(file: first)
    }

    /// The network named `name`, searching files in order.
    public func network(named name: String) throws(CNIError) -> NetworkConfigList {
        for file in try files() {
            let list = try Self.load(file: file)
            if list.name == name { return list }
        }
        throw CNIError(.invalidNetworkConfig, "no net configuration with name \"\(name)\" in \(path)")
    }

    /// Parses one file; `.conflist` as a list, anything else as a single plugin configuration.
    public static func load(file: String) throws(CNIError) -> NetworkConfigList {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CNIError(.ioFailure, "error reading \(file)")
        }
        if file.hasSuffix(".conflist") { return try NetworkConfigList(json: data) }
        let single = try NetworkConfig(json: data)
        guard !single.type.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "error parsing configuration \(file): missing 'type'")
        }
        return try NetworkConfigList(single: single)
    }
}

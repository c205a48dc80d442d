import FoundationEssentials

/// The runtime's record of each attachment, in libcni's layout so `cnitool` and containerd read it:
/// `<cacheDir>/results/<network>-<containerID>-<ifName>` holding
/// `{"kind":"cniCacheV1","containerId","config"(base64 conflist),"ifName","networkName","netns",
/// "cniArgs","capabilityArgs","result"}`.
public struct ResultCache: Sendable {
    /// libcni's default cache directory.
    public static let defaultDirectory = "/var/lib/cni"

    public let directory: String

    public init(directory: String = ResultCache.defaultDirectory) {
        self.directory = directory
    }

    /// One cache file's content.
    public struct Entry: Sendable, Codable {
        public var kind = "cniCacheV1"
        public var containerId: String
        /// The whole conflist as given to ADD (base64 in JSON, as Go marshals `[]byte`).
        public var config: Data
        public var ifName: String
        public var networkName: String
        public var netns: String?
        public var cniArgs: [[String]]?
        public var capabilityArgs: [String: JSONValue]?
        public var result: JSONValue?

        /// The attachment this entry records.
        public var attachment: NetworkAttachment {
            NetworkAttachment(
                containerID: containerId, netns: netns ?? "", ifName: ifName,
                args: (cniArgs ?? []).compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil },
                capabilityArgs: capabilityArgs ?? [:])
        }
    }

    var resultsDirectory: String { directory + "/results" }

    func path(network: String, _ attachment: NetworkAttachment) -> String {
        "\(resultsDirectory)/\(network)-\(attachment.containerID)-\(attachment.ifName)"
    }

    /// Records `result` of ADD (directory 0700, file 0600 as libcni).
    public func store(_ result: CNIResult, list: NetworkConfigList, _ attachment: NetworkAttachment) throws(CNIError) {
        do {
            let entry = Entry(
                containerId: attachment.containerID, config: try list.json(), ifName: attachment.ifName,
                networkName: list.name, netns: attachment.netns,
                cniArgs: attachment.args.isEmpty ? nil : attachment.args.map { [$0.key, $0.value] },
                capabilityArgs: attachment.capabilityArgs.isEmpty ? nil : attachment.capabilityArgs,
                result: try JSONCoding.decode(JSONValue.self, from: result.json(pretty: false)))
            try FileManager.default.createDirectory(
                atPath: resultsDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let file = path(network: list.name, attachment)
            try JSONCoding.encode(entry).write(to: URL(fileURLWithPath: file), options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        } catch {
            throw CNIError.io("failed to set network \"\(list.name)\" cached result", error)
        }
    }

    /// The cached result converted to `version`, or `nil` when there is none or it cannot be read.
    public func result(network: String, _ attachment: NetworkAttachment, as version: CNIVersion) -> CNIResult? {
        guard let entry = entry(at: path(network: network, attachment)), let raw = entry.result,
              let data = try? JSONCoding.encode(raw)
        else { return nil }
        return try? CNIResult.decode(from: data, fallbackVersion: version).converted(to: version)
    }

    /// Forgets the attachment; a missing file is fine.
    public func remove(network: String, _ attachment: NetworkAttachment) {
        try? FileManager.default.removeItem(atPath: path(network: network, attachment))
    }

    /// Every readable entry, optionally only those of `network`, sorted by file name.
    public func entries(network: String? = nil) -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: resultsDirectory)) ?? []
        return names.sorted().compactMap { entry(at: resultsDirectory + "/" + $0) }
            .filter { network == nil || $0.networkName == network }
    }

    private func entry(at file: String) -> Entry? {
        guard let data = FileManager.default.contents(atPath: file),
              let entry = try? JSONCoding.decode(Entry.self, from: data), entry.kind == "cniCacheV1"
        else { return nil }
        return entry
    }
}

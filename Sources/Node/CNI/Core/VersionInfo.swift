/// The answer to VERSION: `{"cniVersion": "1.1.0", "supportedVersions": [...]}`.
public struct VersionInfo: Sendable, Hashable, Codable {
    public var cniVersion: String
    public var supportedVersions: [String]

    public init(cniVersion: CNIVersion = .current, supportedVersions: [CNIVersion]) {
        self.cniVersion = cniVersion.description
        self.supportedVersions = supportedVersions.map(\.description)
    }
}

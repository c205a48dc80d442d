/// The platform an image manifest is built for, as listed in an image index.
public struct Platform: Sendable, Codable, Hashable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var variant: String?
    public var osVersion: String?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
        case osVersion = "os.version"
    }

    public init(architecture: String, os: String, variant: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
    }

    public var description: String { "\(os)/\(architecture)" + (variant.map { "/\($0)" } ?? "") }

    /// The platform of this machine in OCI (GOARCH) vocabulary.
    public static var current: Platform {
        #if arch(x86_64)
        return Platform(architecture: "amd64", os: "linux")
        #elseif arch(arm64)
        return Platform(architecture: "arm64", os: "linux", variant: "v8")
        #elseif arch(arm)
        return Platform(architecture: "arm", os: "linux", variant: "v7")
        #elseif arch(s390x)
        return Platform(architecture: "s390x", os: "linux")
        #elseif arch(powerpc64le)
        return Platform(architecture: "ppc64le", os: "linux")
        #else
        return Platform(architecture: "unknown", os: "linux")
        #endif
    }

    /// Whether an image built for `other` runs here: same OS and architecture, and the same variant when both
    /// name one (arm64 images often omit `v8`).
    public func matches(_ other: Platform) -> Bool {
        guard os == other.os, architecture == other.architecture else { return false }
        if let mine = variant, let theirs = other.variant { return mine == theirs }
        return true
    }
}

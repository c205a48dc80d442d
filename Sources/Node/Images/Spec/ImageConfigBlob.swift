/// The image configuration blob (`application/vnd.oci.image.config.v1+json`, same shape as Docker's
/// `container.image.v1+json`): the platform, the process defaults and the uncompressed layer digests.
public struct ImageConfigBlob: Sendable, Codable, Hashable {
    /// The `config` object: defaults for the container's process. Docker's capitalised keys.
    public struct Config: Sendable, Codable, Hashable {
        public var user: String?
        public var env: [String]?
        public var entrypoint: [String]?
        public var cmd: [String]?
        public var workingDir: String?
        public var exposedPorts: [String: EmptyObject]?
        public var volumes: [String: EmptyObject]?
        public var labels: [String: String]?
        public var stopSignal: String?

        enum CodingKeys: String, CodingKey {
            case user = "User", env = "Env", entrypoint = "Entrypoint", cmd = "Cmd", workingDir = "WorkingDir"
            case exposedPorts = "ExposedPorts", volumes = "Volumes", labels = "Labels", stopSignal = "StopSignal"
        }

        public init() {}
    }

    /// `{}` in `ExposedPorts` and `Volumes` maps.
    public struct EmptyObject: Sendable, Codable, Hashable {
        public init() {}
    }

    /// `rootfs`: `type` is `layers`; `diff_ids` are the digests of the uncompressed layer tars, lowest first.
    public struct RootFS: Sendable, Codable, Hashable {
        public var type: String
        public var diffIDs: [Digest]
        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }

        public init(type: String = "layers", diffIDs: [Digest]) {
            self.type = type
            self.diffIDs = diffIDs
        }
    }

    public var architecture: String?
    public var os: String?
    public var variant: String?
    public var created: String?
    public var config: Config?
    public var rootfs: RootFS

    public init(architecture: String? = nil, os: String? = nil, config: Config? = nil, rootfs: RootFS) {
        self.architecture = architecture
        self.os = os
        self.config = config
        self.rootfs = rootfs
    }
}

/// The process defaults an image carries (its config blob's `config` object), in the form the runtime
/// merges into a container's OCI spec.
public struct ImageConfig: Sendable, Codable, Equatable {
    public var user: String?
    public var env: [String]
    public var entrypoint: [String]
    public var cmd: [String]
    public var workingDir: String?
    /// `"8080/tcp"` style keys.
    public var exposedPorts: [String]
    public var labels: [String: String]
    public var stopSignal: String?
    public var volumes: [String]

    public init(user: String? = nil, env: [String] = [], entrypoint: [String] = [], cmd: [String] = [],
                workingDir: String? = nil, exposedPorts: [String] = [], labels: [String: String] = [:],
                stopSignal: String? = nil, volumes: [String] = []) {
        self.user = user
        self.env = env
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.workingDir = workingDir
        self.exposedPorts = exposedPorts
        self.labels = labels
        self.stopSignal = stopSignal
        self.volumes = volumes
    }

    /// From the config blob's `config` object (absent → all empty).
    public init(_ blob: ImageConfigBlob.Config?) {
        self.init(user: blob?.user.flatMap { $0.isEmpty ? nil : $0 }, env: blob?.env ?? [], entrypoint: blob?.entrypoint ?? [],
                  cmd: blob?.cmd ?? [], workingDir: blob?.workingDir.flatMap { $0.isEmpty ? nil : $0 },
                  exposedPorts: (blob?.exposedPorts?.keys).map { $0.sorted() } ?? [], labels: blob?.labels ?? [:],
                  stopSignal: blob?.stopSignal, volumes: (blob?.volumes?.keys).map { $0.sorted() } ?? [])
    }
}

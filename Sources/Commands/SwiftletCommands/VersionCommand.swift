import ArgumentParser

/// `swiftlet version`.
public struct VersionCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    /// The release of this build.
    public static let version = "0.1.0"
    /// The Kubernetes API version the server speaks.
    static let kubernetesVersion = "v1.32"

    public init() {}

    public func run() {
        print("swiftlet \(Self.version) (Kubernetes API \(Self.kubernetesVersion))")
    }
}

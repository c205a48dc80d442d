import ArgumentParser

/// `swiftlet`: one binary, one subcommand per component.
public struct Swiftlet: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "swiftlet",
        abstract: "A Kubernetes node agent, dataplane and compact control plane for bare Linux nodes.",
        subcommands: [ServerCommand.self, VersionCommand.self])

    public init() {}
}

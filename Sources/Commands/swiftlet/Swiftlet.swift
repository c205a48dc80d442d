import ArgumentParser
import SwiftletCommands

/// `swiftlet`: one binary, one subcommand per component (each lives in `SwiftletCommands`).
@main
struct Swiftlet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftlet",
        abstract: "A Kubernetes node agent, dataplane and compact control plane for bare Linux nodes.",
        version: VersionCommand.version,
        subcommands: [UpCommand.self, LabCommand.self, ServerCommand.self, AgentCommand.self, RuntimeCommand.self, ProxyCommand.self, SimCommand.self,
                      StoreCommand.self, KubeconfigCommand.self,
                      VersionCommand.self])
}

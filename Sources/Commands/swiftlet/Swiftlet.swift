import ArgumentParser
import SwiftletCommands
#if canImport(Glibc)
import Glibc
#endif

/// `swiftlet`: one binary, one subcommand per component (each lives in `SwiftletCommands`).
struct Swiftlet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftlet",
        abstract: "A Kubernetes node agent, dataplane and compact control plane for bare Linux nodes.",
        version: VersionCommand.version,
        subcommands: [UpCommand.self, LabCommand.self, ServerCommand.self, AgentCommand.self, RuntimeCommand.self, ProxyCommand.self, SimCommand.self,
                      StoreCommand.self, KubeconfigCommand.self,
                      VersionCommand.self])
}

/// The process entry: runs `Swiftlet` on the global executor and parks the main thread. An `async` `@main` would end
/// the main thread in `dispatch_main()` with `pthread_exit`, whose forced unwind looks up every frame in the binary's
/// unwind tables: ~1.4 MiB of `.eh_frame_hdr`/`.eh_frame` pages read once and then resident in every daemon for
/// good. Nothing in the process runs on the main actor or the main queue, so nothing needs the main thread to drain
/// them.
@main
enum Main {
    static func main() {
        Task.detached {
            await Swiftlet.main()
            exit(0)
        }
        while true { pause() }
    }
}

import ArgumentParser
import Foundation
import Logging
import Store

/// `swiftlet store …`: operations on a server's store while no server uses it.
public struct StoreCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "store", abstract: "Operate on a cluster's store.",
                                                           subcommands: [Migrate.self])
    public init() {}

    /// `swiftlet store migrate --from sqlite:PATH --to etcd://HOST:PORT[,…]`.
    public struct Migrate: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Copy a cluster's state into a new, empty store, keeping every object's resourceVersion (stop the servers first).")

        @Option(name: .long, help: "The store to read: sqlite:PATH or etcd://HOST:PORT[,HOST:PORT…].")
        var from: String

        @Option(name: .long, help: "The empty store to fill: sqlite:PATH or etcd://HOST:PORT[,HOST:PORT…].")
        var to: String

        @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel = "info"

        public init() {}

        public func validate() throws {
            for (flag, text) in [("--from", from), ("--to", to)] {
                do { _ = try StoreLocation(parsing: text) } catch { throw ValidationError("\(flag): \(error)") }
            }
            guard from != to else { throw ValidationError("--from and --to name the same store") }
        }

        public func run() async throws {
            let logger = Logging.make(label: "swiftlet.store", level: logLevel)
            // No compaction while copying: the history is not copied, only the current keys.
            let retention = StoreRetention(minimumRevisions: .max, minimumAge: .seconds(86400 * 365), interval: .seconds(86400))
            let source = try await StoreLocation(parsing: from).open(retention: retention, logger: logger)
            let target = try await StoreLocation(parsing: to).open(retention: retention, logger: logger)
            do {
                let report = try await StoreMigration(logger: logger).migrate(from: source, to: target) { done, total in
                    Console.line("store: \(done)/\(total) keys")
                }
                Console.line("store: migrated \(report.keys) keys from \(from) (revision \(report.sourceRevision)) to \(to) (revision \(report.targetRevision)), resourceVersions kept, \(report.expiring) with the time to live they had left"
                             + (report.moved > 0 ? ", \(report.moved) without a resourceVersion (bootstrap data) at a new revision" : ""))
            } catch {
                await source.close()
                await target.close()
                throw error
            }
            await source.close()
            await target.close()
        }
    }
}

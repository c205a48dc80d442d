import Foundation
import LinuxSystem
import NFTables

/// Runs the system's `iptables`, `iptables-save` and `iptables-restore` (whatever backend they are, on
/// Debian 12 iptables-nft) as subprocesses, inside a given network namespace or the caller's.
///
///     let iptables = IPTables(namespace: nodeNamespace)
///     try await iptables.restore("*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n")   // --noflush: other chains stay
public struct IPTables: Sendable {
    /// The namespace the commands run in (a thread `setns`es into it and spawns them); `nil`: the caller's.
    public let namespace: NetworkNamespace?
    /// `iptables`, or `ip6tables` for IPv6.
    public let command: String
    /// How long a command may wait for the xtables lock (`-w`).
    public static let lockWaitSeconds = 5
    /// How long a command may run before it is killed.
    public static let timeout: Duration = .seconds(60)

    public init(namespace: NetworkNamespace? = nil, command: String = "iptables") {
        self.namespace = namespace
        self.command = command
    }

    /// Loads `rules` with `iptables-restore -w 5 --noflush`: only the chains the input names are replaced,
    /// each table in one transaction, so a failure leaves the previous rules in place.
    /// The time allowed grows with the input (``restoreTimeout(bytes:)``): in one input (the legacy
    /// backend) a full restore at 10k services is tens of megabytes.
    public func restore(_ rules: String) async throws(IPTablesCommandError) {
        let input = Array(rules.utf8)
        _ = try await run("\(command)-restore", ["-w", "\(Self.lockWaitSeconds)", "--noflush"], stdin: input,
                          timeout: Self.restoreTimeout(bytes: input.count))
    }

    /// ``timeout`` plus a second per 200 kB of restore input (10k services × 10 endpoints, about 30 MB:
    /// some three minutes), so a big restore that is making progress is not killed.
    public static func restoreTimeout(bytes: Int) -> Duration {
        timeout + .seconds(bytes / 200_000)
    }

    /// The kernel interface the commands drive.
    public enum Backend: String, Sendable {
        /// iptables-nft: rules are nf_tables rules in tables `ip nat`, `ip filter`, ….
        case nfTables = "nf_tables"
        /// The x_tables blobs of the legacy tools.
        case legacy
    }

    /// Which backend `iptables` is, from `iptables -V` (`iptables v1.8.9 (nf_tables)`; `(legacy)`, or no
    /// parenthesis before 1.8, is the legacy one).
    public func backend() async throws(IPTablesCommandError) -> Backend {
        let version = try await run(command, ["-V"])
        return version.contains("(nf_tables)") ? .nfTables : .legacy
    }

    /// `iptables-save -t table` (read only).
    public func save(table: String) async throws(IPTablesCommandError) -> String {
        try await run("\(command)-save", ["-t", table])
    }

    /// The names of the chains in `table`, built-in ones included (read only). On the nf_tables backend
    /// one netlink dump of the chains of table `ip`/`ip6` `table` (what iptables-nft keeps them in), a few
    /// hundred milliseconds at 100k chains; otherwise (and if that dump fails) from `iptables-save`, which
    /// reads and prints every rule too (seconds at that size).
    public func chainNames(table: String, backend: Backend) async throws(IPTablesCommandError) -> [String] {
        if backend == .nfTables {
            let nftTable = NFTables.Table(table, family: command == "ip6tables" ? .ip6 : .ip)
            let list: @Sendable () throws -> [String] = { try NetfilterSocket().chains(in: nftTable).map(\.name) }
            let names: [String]?
            if let namespace { names = try? await namespace.perform(list) } else { names = try? list() }
            if let names { return names }
        }
        let saved = try await save(table: table)
        return saved.split(separator: "\n").compactMap { line in
            line.hasPrefix(":") ? String(line.dropFirst().prefix { $0 != " " }) : nil
        }
    }

    /// Makes sure `rule` is in built-in `chain` of `table` (`-C`, and `-I` when missing), as upstream
    /// ensures its jump rules: a restore would append a second copy.
    public func ensureRule(table: String, chain: String, _ rule: [String]) async throws(IPTablesCommandError) {
        let check = ["-w", "\(Self.lockWaitSeconds)", "-t", table, "-C", chain] + rule
        do throws(IPTablesCommandError) {
            _ = try await run(command, check)
            return
        } catch {
            // Exit status 1: the rule is not there. Anything else is a real failure.
            guard error.status == 1 else { throw error }
        }
        _ = try await run(command, ["-w", "\(Self.lockWaitSeconds)", "-t", table, "-I", chain] + rule)
    }

    /// Removes every copy of `rule` from built-in `chain` of `table`; none there (or no target chain for
    /// it, which `-C` also reports as a failure) is fine.
    public func deleteRule(table: String, chain: String, _ rule: [String]) async throws(IPTablesCommandError) {
        while true {
            do throws(IPTablesCommandError) {
                _ = try await run(command, ["-w", "\(Self.lockWaitSeconds)", "-t", table, "-C", chain] + rule)
            } catch {
                return
            }
            _ = try await run(command, ["-w", "\(Self.lockWaitSeconds)", "-t", table, "-D", chain] + rule)
        }
    }

    /// Runs `name` (found in the usual sbin directories) and returns its stdout, or throws with its stderr.
    private func run(_ name: String, _ arguments: [String], stdin: [UInt8] = [],
                     timeout: Duration = IPTables.timeout) async throws(IPTablesCommandError) -> String {
        guard let path = Self.locate(name) else {
            throw IPTablesCommandError(command: name, arguments: arguments, status: 127, stderr: "\(name) not found")
        }
        let output: Subprocess.Output
        do {
            if let namespace {
                output = try await namespace.perform {
                    try Subprocess.run(path, arguments: arguments, environment: [:], stdin: stdin, timeout: timeout)
                }
            } else {
                output = try await Subprocess.output(path, arguments: arguments, stdin: stdin, timeout: timeout)
            }
        } catch {
            throw IPTablesCommandError(command: name, arguments: arguments, status: -1, stderr: "\(error)")
        }
        guard output.status == 0, !output.timedOut else {
            throw IPTablesCommandError(command: name, arguments: arguments, status: output.status,
                                       stderr: output.timedOut ? "timed out" : output.standardError)
        }
        return output.standardOutput
    }

    private static func locate(_ name: String) -> String? {
        for directory in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] where access("\(directory)/\(name)", X_OK) == 0 {
            return "\(directory)/\(name)"
        }
        return nil
    }
}

/// An iptables command that failed: what ran, its exit status and what it said on stderr.
public struct IPTablesCommandError: Error, Sendable, CustomStringConvertible {
    public var command: String
    public var arguments: [String]
    public var status: Int32
    public var stderr: String

    public var description: String {
        "\(command) \(arguments.joined(separator: " ")) exited \(status): \(stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
    }
}

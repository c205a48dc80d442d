#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LinuxSystem

/// A client for the `runc` command line (Debian's runc 1.1): every call is one `runc --root ROOT <verb>`
/// whose failure becomes a ``RuncError`` carrying runc's own message.
///
/// `create` is not here: a container is created by its monitor (`swiftlet-shim`), which must be the
/// process holding the container's stdio. The command runner is injectable so argument lists can be
/// checked without runc; the runtime's integration tests use the real one.
///
///     let runc = Runc(root: "/run/swiftlet/runc")
///     try await runc.start("4f2c…")
///     let state = try await runc.state("4f2c…")   // .running, pid 4242
public struct Runc: Sendable {
    /// Runs `runc` with arguments, stdin and an optional timeout.
    public typealias CommandRunner = @Sendable (_ path: String, _ arguments: [String], _ stdin: [UInt8], _ timeout: Duration?) async throws -> Subprocess.Output

    public let path: String
    /// runc's state directory (`--root`); separate from other runc users such as containerd's.
    public let root: String
    private let runner: CommandRunner

    public init(path: String = "/usr/bin/runc", root: String, runner: CommandRunner? = nil) {
        self.path = path
        self.root = root
        self.runner = runner ?? { path, arguments, stdin, timeout in
            try await Subprocess.output(path, arguments: arguments, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                                        stdin: stdin, timeout: timeout)
        }
    }

    /// `runc start`: lets a created container's init run.
    public func start(_ id: String) async throws {
        try await run(["start", id])
    }

    /// `runc kill`: sends `signal` (a number) to the init process, or to every process with `all`.
    public func kill(_ id: String, signal: Int32, all: Bool = false) async throws {
        try await run(["kill"] + (all ? ["--all"] : []) + [id, String(signal)])
    }

    /// `runc delete`: removes the container's runc state (and its cgroup); `force` kills it first.
    public func delete(_ id: String, force: Bool = false) async throws {
        try await run(["delete"] + (force ? ["--force"] : []) + [id])
    }

    /// `runc state`, or nil when runc does not know the container.
    public func state(_ id: String) async throws -> RuncState? {
        do {
            let output = try await run(["state", id])
            return try JSONDecoder().decode(RuncState.self, from: Data(output.stdout))
        } catch let error as RuncError where error.isNotFound {
            return nil
        }
    }

    /// `runc list --format json`: every container runc knows under ``root``.
    public func list() async throws -> [RuncState] {
        let output = try await run(["list", "--format", "json"])
        let trimmed = output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed != "null", !trimmed.isEmpty else { return [] }
        return try JSONDecoder().decode([RuncState].self, from: Data(trimmed.utf8))
    }

    /// `runc update --resources -`: new cgroup limits for a running container.
    public func update(_ id: String, resources: RuntimeSpec.Resources) async throws {
        try await run(["update", "--resources", "-", id], stdin: [UInt8](try JSONEncoder().encode(resources)))
    }

    /// `runc exec` of `process` (its spec, written to a file) and waits for it; the output carries the
    /// exit status. After `timeout` the exec'd process (found through `pidFile`) is killed and the output
    /// is marked `timedOut`.
    public func exec(_ id: String, processFile: String, pidFile: String, timeout: Duration?) async throws -> Subprocess.Output {
        let arguments = execArguments(id, processFile: processFile, pidFile: pidFile)
        let output = try await runner(path, arguments, [], timeout)
        if output.timedOut, let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            Glibc.kill(pid, SIGKILL)
        }
        return output
    }

    /// The arguments of a foreground `runc exec` of `processFile` in container `id`, for a caller that spawns it
    /// with its own stdio (streaming exec; for a terminal process, runc joins its own terminal to the container's).
    public func execArguments(_ id: String, processFile: String, pidFile: String) -> [String] {
        ["--root", root, "exec", "--process", processFile, "--pid-file", pidFile, id]
    }

    @discardableResult
    private func run(_ arguments: [String], stdin: [UInt8] = []) async throws -> Subprocess.Output {
        let output = try await runner(path, ["--root", root] + arguments, stdin, .seconds(60))
        guard output.status == 0, !output.timedOut else {
            throw RuncError(command: arguments.first ?? "", status: output.status, stderr: output.standardError)
        }
        return output
    }
}

/// What `runc state` reports about a container.
public struct RuncState: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case creating, created, running, paused, stopped
    }

    public var id: String
    public var pid: Int32
    public var status: Status
    public var bundle: String
}

/// A failed runc command: the verb, its exit status and the message runc logged.
public struct RuncError: Error, CustomStringConvertible, Sendable {
    public let command: String
    public let status: Int32
    /// runc's `msg=` text when it logged one, else its whole stderr.
    public let message: String

    public init(command: String, status: Int32, stderr: String) {
        self.command = command
        self.status = status
        self.message = Self.logMessage(stderr) ?? stderr.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// runc says "container does not exist" (or the older "container ... not found").
    public var isNotFound: Bool { message.contains("does not exist") || message.contains("not found") }

    public var description: String { "runc \(command) failed (exit status \(status)): \(message)" }

    /// The `msg="…"` field of runc's logfmt error line.
    private static func logMessage(_ stderr: String) -> String? {
        guard let range = stderr.range(of: "msg=\"", options: .backwards) else { return nil }
        var message = ""
        var escaped = false
        for character in stderr[range.upperBound...] {
            if escaped { message.append(character); escaped = false; continue }
            if character == "\\" { escaped = true; continue }
            if character == "\"" { break }
            message.append(character)
        }
        return message
    }
}

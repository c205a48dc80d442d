#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HummingbirdWebSocket
import KubeAPI
import LinuxSystem
import Logging
import NIOCore
import OCI
import RemoteCommand
import Synchronization

/// One streaming exec: a foreground `runc exec` whose stdin, stdout and stderr (or terminal) are joined to
/// the channels of a remote-command client (WebSocket or SPDY), ending with the outcome on the error channel.
///
/// With a terminal the command starts only once the client's first input has arrived (or after
/// ``initialResizeWait``): a client sends its terminal's size right after the stream opens (kubectl's first
/// resize), and that size becomes the console's from the start (`process.consoleSize`, which runc applies when it
/// creates the console, before the command runs) — a shell that runs `stty size` at once sees it, instead of
/// racing runc's relay of a later SIGWINCH.
struct ExecSession {
    let request: StreamingSessions.ExecRequest
    let runtime: ContainerRuntime
    let logger: Logger

    /// How long the output may keep flowing after the command exited (children it left holding the pipes).
    static let outputGrace: Duration = .seconds(2)
    /// How long a terminal session waits for the client's first resize before starting without one.
    static let initialResizeWait: Duration = .seconds(1)

    /// The started `runc exec` the input side writes to.
    private struct Launched: Sendable {
        let pid: pid_t
        let terminal: ExecStdio.Spawned
        let files: ExecFiles
    }

    func run(_ peer: some RemoteCommandPeer) async {
        let status: Status
        do {
            status = try await execute(peer)
        } catch let error as ExecPreparationError {
            status = .streamFailure("\(error.cause)")
        } catch {
            logger.info("exec failed", metadata: ["container": "\(request.containerID)", "error": "\(error)"])
            status = .streamFailure("exec in container \(request.containerID) failed: \(error)")
        }
        await peer.finish(status)
    }

    private func execute(_ peer: some RemoteCommandPeer) async throws -> Status {
        let (firstInputs, firstInput) = AsyncStream.makeStream(of: TerminalSize?.self)
        let (launches, launched) = AsyncStream.makeStream(of: Launched?.self)
        let exited = Mutex(false)
        let tty = request.tty

        let input = Task {
            var launch: Launched?, stdin: Int32 = -1
            defer { if stdin >= 0 { close(stdin) } }
            await peer.receive { input in
                if launch == nil {
                    if tty {
                        if case .resize(let size) = input { firstInput.yield(size) } else { firstInput.yield(nil) }
                        firstInput.finish()
                    }
                    // Nothing is written before the command started (nil: it could not be).
                    guard let started = await launches.first(where: { _ in true }) ?? nil else { throw CancellationError() }
                    launch = started
                    stdin = started.terminal.input
                }
                guard let launch else { return }
                switch input {
                case .stdin(let payload) where stdin >= 0:
                    try await DescriptorStream.write(payload, to: stdin)
                case .resize(let size) where launch.terminal.master >= 0:
                    // runc copies its own terminal's size into the container's on SIGWINCH.
                    if (try? Terminal.resize(launch.terminal.master, width: size.width, height: size.height)) != nil { kill(launch.pid, SIGWINCH) }
                case .stdinClosed where stdin >= 0:
                    // A terminal has no half-close: end-of-file is ^D, as a keyboard sends it.
                    if launch.terminal.master >= 0 { try await DescriptorStream.write([4], to: stdin) } else { close(stdin); stdin = -1 }
                default:
                    break
                }
            }
            firstInput.finish()
            if launch == nil, let started = await launches.first(where: { _ in true }) ?? nil {
                launch = started
                stdin = started.terminal.input
            }
            // The client went away before the command ended: end it, as upstream runtimes do.
            if !exited.withLock({ $0 }), let process = launch?.files.processID { kill(process, SIGKILL) }
        }

        let size = tty ? await Self.first(of: firstInputs, within: Self.initialResizeWait) : nil
        let started: Launched
        do {
            started = try await launch(consoleSize: size)
        } catch {
            launched.yield(nil)
            launched.finish()
            input.cancel()
            throw error
        }
        launched.yield(started)
        launched.finish()
        defer { started.files.remove() }

        // runc reports a command it could not start (no such executable, …) on the command's own stderr — or its
        // terminal — and exits 255. Nothing is relayed until the pid file shows the command runs (runc writes it once
        // the command started), so such a report becomes the error upstream's kubelet answers a failed start with
        // (kubectl: "error: Internal error occurred: error executing command in container: …", exit status 1, worded
        // as against containerd but for its errdefs suffix), not
        // output followed by "command terminated with exit code 255".
        let runcExit = Mutex<Int32?>(nil)
        let runc = Task {
            let status = await Subprocess.exitStatus(of: started.pid)
            runcExit.withLock { $0 = status }
            return status
        }
        while started.files.processID == nil, runcExit.withLock({ $0 }) == nil { try? await Task.sleep(for: .milliseconds(2)) }
        if started.files.processID == nil, let status = runcExit.withLock({ $0 }), status != 0 {
            exited.withLock { $0 = true }
            var report: [UInt8] = []
            for (descriptor, _) in started.terminal.outputs {
                for await chunk in DescriptorStream.reading(descriptor) { report += chunk }
            }
            input.cancel()
            if started.terminal.master >= 0 { close(started.terminal.master) }
            return .streamFailure("Internal error occurred: error executing command in container: failed to exec in container: "
                                  + "failed to start exec \"\(started.files.execID)\": OCI runtime exec failed: " + Self.runcError(report))
        }

        let output = Task {
            await withTaskGroup(of: Void.self) { group in
                for (descriptor, channel) in started.terminal.outputs {
                    group.addTask {
                        for await chunk in DescriptorStream.reading(descriptor) {
                            try? await peer.send(chunk, on: channel)
                        }
                    }
                }
            }
        }
        let exitCode = await runc.value
        exited.withLock { $0 = true }
        _ = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await output.value; return true }
            group.addTask { try? await Task.sleep(for: Self.outputGrace); return false }
            let first = await group.next()
            group.cancelAll()
            return first
        }
        input.cancel()
        if started.terminal.master >= 0 { close(started.terminal.master) }
        return exitCode == 0 ? .streamSuccess : .nonZeroExit(command: request.command, exitCode: exitCode)
    }

    /// Writes the process file (with the console's first size) and starts `runc exec` in the foreground.
    private func launch(consoleSize size: TerminalSize?) async throws -> Launched {
        let files: ExecFiles
        do {
            files = try await runtime.execFiles(request.containerID, command: request.command, terminal: request.tty,
                                                consoleSize: size.map { .init(height: UInt32($0.height), width: UInt32($0.width)) })
        } catch {
            throw ExecPreparationError(cause: error)
        }
        let stdio: ExecStdio
        do {
            stdio = try ExecStdio(request: request, size: size)
        } catch {
            files.remove()
            throw error
        }
        let runc = runtime.runc
        // runc's own errors as JSON lines, told apart from anything else by ``runcError(_:)``.
        let arguments = ["--log-format", "json"] + runc.execArguments(files.containerID, processFile: files.process, pidFile: files.pid)
        do {
            let pid = try Subprocess.start(runc.path, arguments: arguments, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                                           descriptors: stdio.childDescriptors)
            return Launched(pid: pid, terminal: stdio.spawned(), files: files)
        } catch {
            stdio.closeAll()
            files.remove()
            throw error
        }
    }

    /// What runc said when it could not start the command: the `msg` of its JSON error lines (`--log-format json`),
    /// else the text as it came.
    static func runcError(_ report: [UInt8]) -> String {
        let lines = String(decoding: report, as: UTF8.self).split(whereSeparator: \.isNewline)
        let messages = lines.compactMap { line -> String? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.trimmingCharacters(in: .whitespaces).utf8)) as? [String: Any],
                  object["level"] as? String == "error" else { return nil }
            return object["msg"] as? String
        }
        return messages.isEmpty ? String(decoding: report, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : messages.joined(separator: "; ")
    }

    /// The first value of `values`, or nil when none comes within `limit`.
    private static func first(of values: AsyncStream<TerminalSize?>, within limit: Duration) async -> TerminalSize? {
        await withTaskGroup(of: TerminalSize?.self) { group in
            group.addTask { await values.first { _ in true } ?? nil }
            group.addTask { try? await Task.sleep(for: limit); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}

/// The exec could not be prepared (no such running container): reported to the client as it is.
private struct ExecPreparationError: Error {
    let cause: any Error
}

/// The descriptors of one exec: pipes for the requested streams, or a pseudo-terminal that runc (in the
/// foreground, as `runc exec -t` at a shell) takes as its own and joins to the container's terminal.
struct ExecStdio {
    struct Spawned {
        /// Where stdin goes (a pipe's write end or a copy of the terminal master), -1 without stdin.
        let input: Int32
        /// What to read and on which channel.
        let outputs: [(Int32, StreamChannel)]
        /// The terminal master for resizes, -1 without a terminal.
        let master: Int32
    }

    /// fds 0, 1, 2 of runc.
    let childDescriptors: [Int32]
    private let spawnedDescriptors: Spawned

    /// `size`: the terminal's first size (runc copies its own terminal's size into the container's console).
    init(request: StreamingSessions.ExecRequest, size: TerminalSize? = nil) throws {
        if request.tty {
            let terminal = try Terminal.open()
            if let size {
                do {
                    try Terminal.resize(terminal.master, width: size.width, height: size.height)
                } catch {
                    close(terminal.master)
                    close(terminal.slave)
                    throw error
                }
            }
            childDescriptors = [terminal.slave, terminal.slave, terminal.slave]
            spawnedDescriptors = Spawned(input: fcntl(terminal.master, F_DUPFD_CLOEXEC, 0),
                                         outputs: [(fcntl(terminal.master, F_DUPFD_CLOEXEC, 0), .stdout)], master: terminal.master)
            return
        }
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard devNull >= 0 else { throw SystemError.lastError("open", context: "/dev/null") }
        var child = [devNull, devNull, devNull], input: Int32 = -1, outputs: [(Int32, StreamChannel)] = []
        if request.stdin {
            let pipe = try Subprocess.makePipe()
            child[0] = pipe.read
            input = pipe.write
        }
        for (index, wanted, channel) in [(1, request.stdout, StreamChannel.stdout), (2, request.stderr, .stderr)] where wanted {
            let pipe = try Subprocess.makePipe()
            child[index] = pipe.write
            outputs.append((pipe.read, channel))
        }
        childDescriptors = child
        spawnedDescriptors = Spawned(input: input, outputs: outputs, master: -1)
    }

    /// After runc started: closes the child's ends and hands over ours.
    func spawned() -> Spawned {
        for descriptor in Set(childDescriptors) { close(descriptor) }
        return spawnedDescriptors
    }

    /// When runc could not be started at all.
    func closeAll() {
        for descriptor in Set(childDescriptors) { close(descriptor) }
        if spawnedDescriptors.input >= 0 { close(spawnedDescriptors.input) }
        for (descriptor, _) in spawnedDescriptors.outputs { close(descriptor) }
        if spawnedDescriptors.master >= 0 { close(spawnedDescriptors.master) }
    }
}

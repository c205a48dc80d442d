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
struct ExecSession {
    let request: StreamingSessions.ExecRequest
    let files: ExecFiles
    let runc: Runc
    let logger: Logger

    /// How long the output may keep flowing after the command exited (children it left holding the pipes).
    static let outputGrace: Duration = .seconds(2)

    func run(_ peer: some RemoteCommandPeer) async {
        defer { files.remove() }
        let status: Status
        do {
            status = try await execute(peer)
        } catch {
            logger.info("exec failed", metadata: ["container": "\(request.containerID)", "error": "\(error)"])
            status = .streamFailure("exec in container \(request.containerID) failed: \(error)")
        }
        await peer.finish(status)
    }

    private func execute(_ peer: some RemoteCommandPeer) async throws -> Status {
        let stdio = try ExecStdio(request: request)
        let arguments = runc.execArguments(files.containerID, processFile: files.process, pidFile: files.pid)
        let pid: pid_t
        do {
            pid = try Subprocess.start(runc.path, arguments: arguments, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                                       descriptors: stdio.childDescriptors)
        } catch {
            stdio.closeAll()
            throw error
        }
        let terminal = stdio.spawned()
        let exited = Mutex(false)

        let output = Task {
            await withTaskGroup(of: Void.self) { group in
                for (descriptor, channel) in terminal.outputs {
                    group.addTask {
                        for await chunk in DescriptorStream.reading(descriptor) {
                            try? await peer.send(chunk, on: channel)
                        }
                    }
                }
            }
        }
        let input = Task {
            var stdin = terminal.input
            defer { if stdin >= 0 { close(stdin) } }
            await peer.receive { input in
                switch input {
                case .stdin(let payload) where stdin >= 0:
                    try await DescriptorStream.write(payload, to: stdin)
                case .resize(let size) where terminal.master >= 0:
                    // runc copies its own terminal's size into the container's on SIGWINCH.
                    if (try? Terminal.resize(terminal.master, width: size.width, height: size.height)) != nil { kill(pid, SIGWINCH) }
                case .stdinClosed where stdin >= 0:
                    // A terminal has no half-close: end-of-file is ^D, as a keyboard sends it.
                    if terminal.master >= 0 { try await DescriptorStream.write([4], to: stdin) } else { close(stdin); stdin = -1 }
                default:
                    break
                }
            }
            // The client went away before the command ended: end it, as upstream runtimes do.
            if !exited.withLock({ $0 }), let process = files.processID { kill(process, SIGKILL) }
        }
        let exitCode = await Subprocess.exitStatus(of: pid)
        exited.withLock { $0 = true }
        _ = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await output.value; return true }
            group.addTask { try? await Task.sleep(for: Self.outputGrace); return false }
            let first = await group.next()
            group.cancelAll()
            return first
        }
        input.cancel()
        if terminal.master >= 0 { close(terminal.master) }
        return exitCode == 0 ? .streamSuccess : .nonZeroExit(command: request.command, exitCode: exitCode)
    }
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

    init(request: StreamingSessions.ExecRequest) throws {
        if request.tty {
            let terminal = try Terminal.open()
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

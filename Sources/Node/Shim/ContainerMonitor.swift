#if canImport(Glibc)
import Glibc
#endif
import LinuxSystem

/// The per-container monitor (what conmon is to CRI-O): creates the container with `runc create`, holds
/// its stdout/stderr pipes and writes them to the CRI log, reaps it as the child subreaper, and records
/// how it ended in the exit file the runtime reads:
///
///     {"exitCode":137,"signal":9,"finishedAt":1795939200123456789,"oomKilled":false}
///
/// It lives in its own session, detached from the runtime daemon, so containers keep running and keep
/// logging while the daemon restarts.
struct ContainerMonitor {
    let options: ShimOptions

    /// Creates the container (and starts it with `--start`) and reports to the runtime over `syncFD`; returns the
    /// container's pid (and, with a terminal, the terminal's master), or nil after reporting the failure. `stdin` is
    /// the container's stdin (-1: /dev/null); `console` a listening socket named `console.sock` in the working
    /// directory (the bundle) through which runc hands over the terminal master, -1 without a terminal.
    func create(syncFD: Int32, stdin: Int32, stdout: Int32, stderr: Int32, console: Int32) -> (pid: pid_t, master: Int32)? {
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        let runcLog = options.bundle + "/runc.log"
        unlink(runcLog)
        let verb = options.start ? ["run", "--detach"] : ["create"]
        var arguments = ["--root", options.runcRoot, "--log", runcLog, "--log-format", "json"]
            + verb + ["--bundle", options.bundle, "--pid-file", options.pidFile]
        if console >= 0 { arguments += ["--console-socket", "console.sock"] }
        arguments.append(options.id)
        let runc: pid_t
        do {
            runc = try Subprocess.start(options.runc, arguments: arguments, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                                        descriptors: [stdin >= 0 ? stdin : null, stdout, stderr])
        } catch {
            report(syncFD, "error cannot run \(options.runc): \(error)")
            return nil
        }
        var status: Int32 = 0
        while waitpid(runc, &status, 0) == -1, errno == EINTR {}
        guard status == 0 else {
            report(syncFD, "error " + Self.runcError(logFile: runcLog, status: status))
            return nil
        }
        guard let text = Self.readFile(options.pidFile), let pid = pid_t(text.trimmingWhitespace()) else {
            report(syncFD, "error runc create left no pid in \(options.pidFile)")
            return nil
        }
        var master: Int32 = -1
        if console >= 0 {
            // runc connected and sent the master before it exited: the connection waits in the backlog.
            do {
                guard let connection = try UnixSocket.accept(console) else {
                    throw SystemError(errno: ENOTCONN, operation: "accept: runc did not connect to the console socket")
                }
                defer { close(connection) }
                master = try UnixSocket.receiveDescriptor(connection)
            } catch {
                kill(pid, SIGKILL)
                report(syncFD, "error cannot receive the container's terminal from runc: \(error)")
                return nil
            }
        }
        report(syncFD, "ok \(pid)")
        return (pid, master)
    }

    /// Copies output to the log and to attached clients until the container has exited and its output is
    /// drained, then writes the exit file and ends the clients. `outputs` are the pipes (and terminal master) to
    /// read, with their stream names; signals arrive through `signals` (a signalfd for SIGCHLD, SIGUSR1 = reopen
    /// the log).
    func monitor(pid: pid_t, outputs: [Int32: String], attach: inout AttachPoint, signals: Int32) {
        let log = options.logPath.map { ContainerLogWriter(path: $0, maximumSize: options.logMaximumSize) }
        var open = outputs
        var exitStatus: Int32?
        var drainDeadline: timespec?
        // One read fits one attach record with its channel byte.
        var buffer = [UInt8](repeating: 0, count: AttachPoint.maximumRecord - 1)
        var record = [UInt8](repeating: 0, count: AttachPoint.maximumRecord)
        while true {
            reap(pid, into: &exitStatus)
            if exitStatus != nil {
                if open.isEmpty { break }
                // Pipes held open by a grandchild that outlived the container's init (host pid namespace)
                // must not keep the exit from being recorded: drain for two more seconds at most.
                let now = Self.monotonicNow()
                if drainDeadline == nil { drainDeadline = timespec(tv_sec: now.tv_sec + 2, tv_nsec: now.tv_nsec) }
                if let deadline = drainDeadline, now.tv_sec > deadline.tv_sec || (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec) { break }
            }
            var fds = open.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            fds.append(pollfd(fd: signals, events: Int16(POLLIN), revents: 0))
            if attach.listener >= 0 { fds.append(pollfd(fd: attach.listener, events: Int16(POLLIN), revents: 0)) }
            if attach.acceptsInput { fds += attach.clients.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) } }
            if attach.waitsForStdin { fds.append(pollfd(fd: attach.stdin, events: Int16(POLLOUT), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), exitStatus == nil ? -1 : 100)
            if ready < 0 { if errno == EINTR { continue } else { break } }
            for entry in fds where entry.revents != 0 {
                if entry.fd == signals {
                    var info = [UInt8](repeating: 0, count: 128)
                    guard Glibc.read(signals, &info, 128) == 128 else { continue }
                    let signal = Int32(info[0]) | Int32(info[1]) << 8
                    if signal == SIGUSR1 { log?.reopen() }
                    continue
                }
                if entry.fd == attach.listener {
                    attach.acceptClients()
                    continue
                }
                if entry.events == Int16(POLLOUT) {
                    attach.flushStdin()
                    continue
                }
                guard let stream = open[entry.fd] else {
                    attach.read(entry.fd, buffer: &record)
                    continue
                }
                let count = Glibc.read(entry.fd, &buffer, buffer.count)
                if count > 0 {
                    log?.append(buffer[..<count], stream: stream)
                    attach.broadcast(buffer[..<count], channel: stream == "stderr" ? 2 : 1)
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    log?.finish(stream: stream)
                    close(entry.fd)
                    open[entry.fd] = nil
                }
            }
        }
        for (_, stream) in open { log?.finish(stream: stream) }
        writeExitFile(status: exitStatus ?? 255)
        attach.closeAll()
    }

    /// Collects every exited child (the subreaper inherits the container's orphans too) and keeps the
    /// container's own status.
    private func reap(_ pid: pid_t, into exitStatus: inout Int32?) {
        while true {
            var status: Int32 = 0
            let child = waitpid(-1, &status, WNOHANG)
            if child <= 0 { return }
            if child == pid { exitStatus = status }
        }
    }

    private func writeExitFile(status: Int32) {
        let signal = status & 0x7f
        let code = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let finished = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        let json = "{\"exitCode\":\(code),\"signal\":\(signal),\"finishedAt\":\(finished),\"oomKilled\":\(oomKilled())}\n"
        let temporary = options.exitFile + ".tmp"
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        _ = json.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, $0.count - 1) }
        fsync(fd)
        close(fd)
        rename(temporary, options.exitFile)
    }

    /// Whether the kernel's OOM killer acted in the container's memory cgroup (v1 `memory.oom_control`,
    /// v2 `memory.events`, both report an `oom_kill` count).
    private func oomKilled() -> Bool {
        guard let directory = options.memoryCgroup else { return false }
        for file in ["memory.events", "memory.oom_control"] {
            guard let text = Self.readFile(directory + "/" + file) else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("oom_kill ") {
                return Int(line.dropFirst("oom_kill ".count)) ?? 0 > 0
            }
        }
        return false
    }

    private func report(_ fd: Int32, _ message: String) {
        let line = message.replacingNewlines() + "\n"
        _ = line.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
    }

    /// The last `msg` runc logged at level error, or its exit status.
    private static func runcError(logFile: String, status: Int32) -> String {
        let lines = (readFile(logFile) ?? "").split(separator: "\n")
        for line in lines.reversed() where line.contains("\"level\":\"error\"") {
            if let range = line.firstRange(of: "\"msg\":\"") {
                var message = ""
                var escaped = false
                for character in line[range.upperBound...] {
                    if escaped { message.append(character == "n" ? " " : character); escaped = false; continue }
                    if character == "\\" { escaped = true; continue }
                    if character == "\"" { break }
                    message.append(character)
                }
                return message
            }
        }
        return "runc create failed with exit status \((status >> 8) & 0xff)"
    }

    static func readFile(_ path: String) -> String? {
        (try? FileSystem.contents(of: path)).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func monotonicNow() -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        let characters = self.drop { $0.isWhitespace }
        return characters.prefix { !$0.isWhitespace }
    }

    func replacingNewlines() -> String {
        String(map { $0 == "\n" ? " " : $0 })
    }
}

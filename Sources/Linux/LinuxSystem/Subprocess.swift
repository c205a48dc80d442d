#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// Runs an executable with `posix_spawn`, feeding stdin and collecting stdout and stderr through one `poll`
/// loop, then `waitpid`; or starts one detached (its own session, not waited for).
///
/// Foundation's `Process` watches children through a CoreFoundation run-loop source; in a process that
/// also moves threads between namespaces that source sometimes fails to start ("Could not create
/// wakeup socket pair for CFSocket") and `waitUntilExit` then never returns. This needs no run loop
/// and no global signal handler: `SIGPIPE` is blocked only on the calling thread (its pending instance
/// dies with a dedicated thread) and restored to the default in the child.
///
///     let output = try await Subprocess.output("/usr/bin/runc", arguments: ["--version"])
///     print(output.status, output.standardOutput)
public enum Subprocess {
    /// What a finished child left: its status (128 + signal for a signal death, as shells report it),
    /// everything it wrote, and whether it was killed for running past its timeout.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        public var timedOut = false

        /// `stdout` as UTF-8 text.
        public var standardOutput: String { String(decoding: stdout, as: UTF8.self) }
        /// `stderr` as UTF-8 text.
        public var standardError: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// ``run(_:arguments:environment:stdin:timeout:)`` on a thread of its own (``DedicatedThread/offload(_:)``), so the
    /// blocking wait never occupies a thread of the Swift concurrency pool (which on a 2-core node has only two) nor
    /// waits for one of Dispatch's (as few), and concurrent commands run side by side.
    public static func output(
        _ path: String, arguments: [String] = [], environment: [String: String] = [:], stdin: [UInt8] = [],
        timeout: Duration? = nil
    ) async throws(SystemError) -> Output {
        try await DedicatedThread.offload {
            Result { () throws(SystemError) in
                try run(path, arguments: arguments, environment: environment, stdin: stdin, timeout: timeout)
            }
        }.get()
    }

    /// Runs `path` to completion; a child still running after `timeout` is sent SIGKILL and reported with
    /// `timedOut`. Blocks the calling thread.
    public static func run(
        _ path: String, arguments: [String] = [], environment: [String: String], stdin: [UInt8], timeout: Duration? = nil
    ) throws(SystemError) -> Output {
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &blocked, nil)

        var input: [Int32] = [-1, -1], output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1]
        guard pipe2(&input, O_CLOEXEC) == 0, pipe2(&output, O_CLOEXEC) == 0, pipe2(&errors, O_CLOEXEC) == 0 else {
            let failure = SystemError.lastError("pipe2", context: path)
            for fd in input + output + errors where fd >= 0 { close(fd) }
            throw failure
        }
        let pid: pid_t
        do throws(SystemError) {
            pid = try spawn(path, arguments, environment, descriptors: [input[0], output[1], errors[1]], newSession: false)
        } catch {
            for fd in input + output + errors { close(fd) }
            throw error
        }
        close(input[0])
        close(output[1])
        close(errors[1])
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var collected = exchange(stdin: stdin, writeTo: input[1], stdout: output[0], stderr: errors[0], until: deadline)
        if collected.timedOut { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        // WIFEXITED / WEXITSTATUS; a signal death is reported as 128 + the signal, as shells do.
        collected.status = shellStatus(status)
        return collected
    }

    /// Starts `path` with `descriptors` as its fds 0, 1, 2, 3 … (in a new session when `newSession`) and
    /// returns its pid at once; the caller reaps it with `waitpid`.
    public static func start(
        _ path: String, arguments: [String], environment: [String: String], descriptors: [Int32], newSession: Bool = false
    ) throws(SystemError) -> pid_t {
        try spawn(path, arguments, environment, descriptors: descriptors, newSession: newSession)
    }

    /// Waits (on a thread of its own) for a child ``start(_:arguments:environment:descriptors:newSession:)``
    /// returned and gives its status as ``Output/status`` reports it.
    public static func exitStatus(of pid: pid_t) async -> Int32 {
        await withCheckedContinuation { continuation in
            do {
                try DedicatedThread.start {
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) == -1, errno == EINTR {}
                    continuation.resume(returning: shellStatus(status))
                }
            } catch {
                continuation.resume(returning: -1)
            }
        }
    }

    /// A `waitpid` status as shells report it: the exit code, or 128 + the signal for a signal death.
    static func shellStatus(_ status: Int32) -> Int32 {
        status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// A close-on-exec pipe (`pipe2(O_CLOEXEC)`), so a child spawned concurrently on another thread never
    /// inherits either end; hand an end to a child through `descriptors`, which clears the flag there.
    public static func makePipe() throws(SystemError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe2(&fds, O_CLOEXEC) == 0 else { throw SystemError.lastError("pipe2") }
        return (fds[0], fds[1])
    }

    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    /// `pipe2(2)`, which Swift's Glibc module hides (it is built without `_GNU_SOURCE`). Creating the
    /// pipes close-on-exec atomically keeps a concurrent spawn on another thread from inheriting them.
    private static let pipe2: Pipe2 = {
        guard let symbol = dlsym(nil, "pipe2") else { fatalError("libc has no pipe2") }
        return unsafeBitCast(symbol, to: Pipe2.self)
    }()

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc ≥ 2.34), which the Glibc module does not import.
    private static let addCloseFrom: AddCloseFrom = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { fatalError("libc has no posix_spawn_file_actions_addclosefrom_np") }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// `POSIX_SPAWN_SETSID` (glibc ≥ 2.26), which the Glibc module does not import.
    private static let spawnSetSID: Int32 = 0x80

    private static func spawn(
        _ path: String, _ arguments: [String], _ environment: [String: String], descriptors: [Int32], newSession: Bool
    ) throws(SystemError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the target. Copying every source first to fds above all sources and
        // targets keeps a source whose number is another entry's target from being overwritten before it is
        // copied; whatever the child had open at those numbers is closed by the dup2, which is fine.
        let base = max(descriptors.max() ?? 0, Int32(descriptors.count)) + 1
        for (index, fd) in descriptors.enumerated() { posix_spawn_file_actions_adddup2(&actions, fd, base + Int32(index)) }
        for index in descriptors.indices {
            posix_spawn_file_actions_adddup2(&actions, base + Int32(index), Int32(index))
            posix_spawn_file_actions_addclose(&actions, base + Int32(index))
        }
        // Everything else is closed in the child: descriptors opened without close-on-exec (SwiftNIO's sockets
        // are) would otherwise outlive this process in long-lived children such as container monitors, and
        // keep a listening port bound after a restart.
        let closing = addCloseFrom(&actions, Int32(descriptors.count))
        guard closing == 0 else { throw SystemError(errno: closing, operation: "posix_spawn_file_actions_addclosefrom_np", context: path) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), mask = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (newSession ? spawnSetSID : 0)))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        var result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        // A binary being installed, or still open for writing in a child forked meanwhile, is "text file
        // busy" for a moment; libcni retries five times a second apart.
        for _ in 0..<5 where result == ETXTBSY {
            sleep(1)
            result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        }
        guard result == 0 else { throw SystemError(errno: result, operation: "posix_spawn", context: path) }
        return pid
    }

    /// Writes `stdin` and drains both outputs until the child closes them; a child that stops reading
    /// stdin early just gets the rest dropped.
    private static func exchange(
        stdin: [UInt8], writeTo input: Int32, stdout: Int32, stderr: Int32, until deadline: ContinuousClock.Instant?
    ) -> Output {
        var result = Output(status: 0, stdout: [], stderr: [])
        var written = 0
        var inputOpen = true
        if stdin.isEmpty { close(input); inputOpen = false }
        _ = fcntl(input, F_SETFL, O_NONBLOCK)
        var open: [Int32: Bool] = [stdout: true, stderr: true]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while inputOpen || open.values.contains(true) {
            var fds = [pollfd(fd: stdout, events: Int16(POLLIN), revents: 0), pollfd(fd: stderr, events: Int16(POLLIN), revents: 0)]
                .filter { open[$0.fd] == true }
            if inputOpen { fds.append(pollfd(fd: input, events: Int16(POLLOUT), revents: 0)) }
            var wait: Int32 = -1
            if let deadline {
                let left = deadline - ContinuousClock.now
                guard left > .zero else {
                    result.timedOut = true
                    for fd in fds.map(\.fd) { close(fd) }
                    break
                }
                wait = (left + .milliseconds(1)).pollMilliseconds()
            }
            let ready = poll(&fds, nfds_t(fds.count), wait)
            guard ready >= 0 else {
                if errno == EINTR { continue }
                break
            }
            if ready == 0 { continue }
            for descriptor in fds where descriptor.revents != 0 {
                if descriptor.fd == input {
                    let count = stdin[written...].withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
                    if count > 0 { written += count }
                    if count < 0, errno == EAGAIN || errno == EINTR { continue }
                    if count < 0 || written == stdin.count {
                        close(input)
                        inputOpen = false
                    }
                    continue
                }
                let count = read(descriptor.fd, &buffer, buffer.count)
                if count > 0 {
                    if descriptor.fd == stdout { result.stdout += buffer[..<count] } else { result.stderr += buffer[..<count] }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(descriptor.fd)
                    open[descriptor.fd] = false
                }
            }
        }
        return result
    }
}

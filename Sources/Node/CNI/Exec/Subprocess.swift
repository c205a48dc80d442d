#if canImport(Glibc)
import Glibc
#endif

/// Runs an executable to completion with `posix_spawn`, feeding stdin and collecting stdout and stderr
/// through one `poll` loop, then `waitpid`.
///
/// Foundation's `Process` watches children through a CoreFoundation run-loop source; in a plugin that
/// also moves threads between namespaces that source sometimes fails to start ("Could not create
/// wakeup socket pair for CFSocket") and `waitUntilExit` then never returns. This needs no run loop
/// and no global signal handler: `SIGPIPE` is blocked only on the calling thread (its pending instance
/// dies with a dedicated thread) and restored to the default in the child.
///
/// Blocks the calling thread; call it from a dedicated one.
enum Subprocess {
    struct Output: Sendable {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]
    }

    static func run(_ path: String, arguments: [String] = [], environment: [String: String], stdin: [UInt8]) throws(CNIError) -> Output {
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &blocked, nil)

        var input: [Int32] = [-1, -1], output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1]
        guard pipe2(&input, O_CLOEXEC) == 0, pipe2(&output, O_CLOEXEC) == 0, pipe2(&errors, O_CLOEXEC) == 0 else {
            let failure = errno
            for fd in input + output + errors where fd >= 0 { close(fd) }
            throw CNIError(.ioFailure, "failed to create pipes for \(path)", details: String(cString: strerror(failure)))
        }
        let pid: pid_t
        do throws(CNIError) {
            pid = try spawn(path, arguments, environment, stdin: input[0], stdout: output[1], stderr: errors[1])
        } catch {
            for fd in input + output + errors { close(fd) }
            throw error
        }
        close(input[0])
        close(output[1])
        close(errors[1])
        var collected = exchange(stdin: stdin, writeTo: input[1], stdout: output[0], stderr: errors[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        // WIFEXITED / WEXITSTATUS; a signal death is reported as 128 + the signal, as shells do.
        collected.status = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return collected
    }

    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    /// `pipe2(2)`, which Swift's Glibc module hides (it is built without `_GNU_SOURCE`). Creating the
    /// pipes close-on-exec atomically keeps a concurrent spawn on another thread from inheriting them.
    private static let pipe2: Pipe2 = {
        guard let symbol = dlsym(nil, "pipe2") else { fatalError("libc has no pipe2") }
        return unsafeBitCast(symbol, to: Pipe2.self)
    }()

    private static func spawn(
        _ path: String, _ arguments: [String], _ environment: [String: String], stdin: Int32, stdout: Int32, stderr: Int32
    ) throws(CNIError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), mask = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

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
        guard result == 0 else {
            throw CNIError(.pluginExecutionFailure, "failed to run plugin \(path)", details: String(cString: strerror(result)))
        }
        return pid
    }

    /// Writes `stdin` and drains both outputs until the child closes them; a child that stops reading
    /// stdin early just gets the rest dropped.
    private static func exchange(stdin: [UInt8], writeTo input: Int32, stdout: Int32, stderr: Int32) -> Output {
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
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 else {
                if errno == EINTR { continue }
                break
            }
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

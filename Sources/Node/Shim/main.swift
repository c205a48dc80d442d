#if canImport(Glibc)
import Glibc
#endif

// swiftlet-shim: started by `swiftlet runtime` for each container (see ShimOptions for the command line
// and ContainerMonitor for what it does). Glibc only, so each monitor costs little memory.

/// Writes a line to stderr (the shim's log file in the bundle).
func complain(_ message: String) {
    let line = "swiftlet-shim: \(message)\n"
    _ = line.utf8CString.withUnsafeBytes { write(2, $0.baseAddress, $0.count - 1) }
}

let options: ShimOptions
do {
    options = try ShimOptions(arguments: Array(CommandLine.arguments.dropFirst()))
} catch {
    complain("\(error)")
    exit(2)
}
let syncFD: Int32 = 3
// runc and the container must not inherit the runtime's end of the report pipe.
_ = fcntl(syncFD, F_SETFD, FD_CLOEXEC)

// The runtime waits for this process; the monitor carries on in a grandchild that init (or the nearest
// subreaper) inherits, so the runtime never has to reap it.
switch fork() {
case -1:
    complain("fork: \(String(cString: strerror(errno)))")
    exit(1)
case 0:
    break
default:
    exit(0)
}

// The runtime signals this pid (SIGUSR1) to reopen the log.
let pidText = "\(getpid())\n"
let pidFile = open(options.bundle + "/shim.pid", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
if pidFile >= 0 {
    _ = pidText.utf8CString.withUnsafeBytes { write(pidFile, $0.baseAddress, $0.count - 1) }
    close(pidFile)
}

typealias PrctlFunction = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
typealias SignalfdFunction = @convention(c) (Int32, UnsafePointer<sigset_t>, Int32) -> Int32
let prctl = unsafeBitCast(dlsym(nil, "prctl"), to: PrctlFunction.self)
let signalfd = unsafeBitCast(dlsym(nil, "signalfd"), to: SignalfdFunction.self)
/// `PR_SET_CHILD_SUBREAPER`: the container's init is re-parented to us once `runc create` exits.
_ = prctl(36, 1, 0, 0, 0)
signal(SIGPIPE, SIG_IGN)

var handled = sigset_t()
sigemptyset(&handled)
for signal in [SIGCHLD, SIGUSR1, SIGTERM, SIGINT, SIGHUP] { sigaddset(&handled, signal) }
sigprocmask(SIG_BLOCK, &handled, nil)
let signals = signalfd(-1, &handled, O_CLOEXEC)

var output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1]
guard pipe(&output) == 0, pipe(&errors) == 0, signals >= 0 else {
    let message = "error shim setup failed: \(String(cString: strerror(errno)))\n"
    _ = message.utf8CString.withUnsafeBytes { write(syncFD, $0.baseAddress, $0.count - 1) }
    exit(1)
}
for fd in output + errors { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

let monitor = ContainerMonitor(options: options)
let pid = monitor.create(syncFD: syncFD, stdout: output[1], stderr: errors[1])
close(output[1])
close(errors[1])
guard let pid else { exit(1) }
monitor.monitor(pid: pid, stdout: output[0], stderr: errors[0], signals: signals)
exit(0)

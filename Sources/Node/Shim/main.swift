#if canImport(Glibc)
import Glibc
#endif
import LinuxSystem

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

func failSetup(_ what: String) -> Never {
    let message = "error shim setup failed: \(what): \(String(cString: strerror(errno)))\n"
    _ = message.utf8CString.withUnsafeBytes { write(syncFD, $0.baseAddress, $0.count - 1) }
    exit(1)
}

// The bundle is the working directory: the console and attach sockets get paths short enough for sun_path
// however deep the runtime's root is (clients reach `attach` through a descriptor of the bundle).
guard chdir(options.bundle) == 0 else { failSetup("chdir \(options.bundle)") }
var output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1], input: [Int32] = [-1, -1]
guard pipe(&output) == 0, pipe(&errors) == 0, signals >= 0 else { failSetup("pipe") }
if options.stdin && !options.terminal, pipe(&input) != 0 { failSetup("pipe") }
for fd in output + errors + input where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
let console = options.terminal ? ((try? UnixSocket.listen(path: "console.sock", type: UnixSocket.stream)) ?? -1) : -1
if options.terminal, console < 0 { failSetup("console socket") }
if console >= 0 { _ = fcntl(console, F_SETFL, fcntl(console, F_GETFL) | O_NONBLOCK) }
// Attach is an extra: a container whose socket cannot be made still runs and logs.
let listener = (try? UnixSocket.listen(path: "attach", type: UnixSocket.seqPacket)) ?? -1
if listener < 0 { complain("attach socket: \(String(cString: strerror(errno)))") }

let monitor = ContainerMonitor(options: options)
let created = monitor.create(syncFD: syncFD, stdin: input[0], stdout: output[1], stderr: errors[1], console: console)
for fd in [output[1], errors[1], input[0], console] where fd >= 0 { close(fd) }
unlink("console.sock")
guard let created else {
    if listener >= 0 { unlink("attach") }
    exit(1)
}
var outputs = [output[0]: "stdout", errors[0]: "stderr"]
if created.master >= 0 { outputs[created.master] = "stdout" }
var attach = AttachPoint(listener: listener, stdin: created.master >= 0 ? (options.stdin ? created.master : -1) : input[1],
                         master: created.master)
monitor.monitor(pid: created.pid, outputs: outputs, attach: &attach, signals: signals)
exit(0)

/// The command line of `swiftlet-shim`, written by the runtime (never by hand):
///
///     swiftlet-shim --id ID --bundle DIR --runc /usr/bin/runc --runc-root DIR --pid-file F --exit-file F
///                   [--log-path F] [--log-max-size BYTES] [--memory-cgroup DIR] [--start true]
///                   [--stdin true] [--terminal true]
///
/// fd 3 is the runtime's end of a pipe: the shim writes `ok <pid>` once `runc create` succeeded, or
/// `error <message>` when it did not, then closes it. With `--start true` the container is created and
/// started by one `runc run --detach` (infra containers, which start at once: one runc process less).
/// `--stdin` keeps a pipe to the container's stdin open for attach; `--terminal` makes runc hand the container
/// terminal's master to the shim (the spec's `process.terminal` must agree).
struct ShimOptions {
    var id = ""
    var bundle = ""
    var runc = "/usr/bin/runc"
    var runcRoot = ""
    var pidFile = ""
    var exitFile = ""
    var logPath: String?
    var logMaximumSize = 0
    var memoryCgroup: String?
    /// Start the container right away (`runc run --detach`) instead of leaving it created.
    var start = false
    var stdin = false
    var terminal = false

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    init(arguments: [String]) throws(UsageError) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { throw UsageError(description: "\(flag) needs a value") }
            switch flag {
            case "--id": id = value
            case "--bundle": bundle = value
            case "--runc": runc = value
            case "--runc-root": runcRoot = value
            case "--pid-file": pidFile = value
            case "--exit-file": exitFile = value
            case "--log-path": logPath = value
            case "--log-max-size":
                guard let size = Int(value) else { throw UsageError(description: "--log-max-size: not a number: \(value)") }
                logMaximumSize = size
            case "--memory-cgroup": memoryCgroup = value
            case "--start":
                guard let flag = Bool(value) else { throw UsageError(description: "--start: not true or false: \(value)") }
                start = flag
            case "--stdin":
                guard let flag = Bool(value) else { throw UsageError(description: "--stdin: not true or false: \(value)") }
                stdin = flag
            case "--terminal":
                guard let flag = Bool(value) else { throw UsageError(description: "--terminal: not true or false: \(value)") }
                terminal = flag
            default: throw UsageError(description: "unknown flag \(flag)")
            }
        }
        for (name, value) in [("--id", id), ("--bundle", bundle), ("--runc-root", runcRoot), ("--pid-file", pidFile), ("--exit-file", exitFile)]
        where value.isEmpty {
            throw UsageError(description: "\(name) is required")
        }
    }
}

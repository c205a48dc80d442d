/// The OCI runtime specification's `config.json` (runtime-spec 1.0.2, what Debian's runc 1.1 reads): the
/// subset a CRI runtime writes. Field names are the spec's JSON keys; absent optionals are omitted.
///
///     var spec = RuntimeSpec(process: .init(args: ["sh"]), root: .init(path: "rootfs"))
///     spec.linux.namespaces = [.init(type: "pid"), .init(type: "network", path: "/var/run/netns/cni-1")]
///     try JSONEncoder().encode(spec).write(to: bundle.appending(path: "config.json"))
public struct RuntimeSpec: Codable, Sendable, Equatable {
    public var ociVersion = "1.0.2"
    public var process: Process
    public var root: Root
    public var hostname: String?
    public var mounts: [Mount] = []
    public var annotations: [String: String]?
    public var linux = Linux()

    public init(process: Process, root: Root) {
        self.process = process
        self.root = root
    }

    /// The container's init process.
    public struct Process: Codable, Sendable, Equatable {
        public var terminal: Bool?
        /// The terminal's size when runc creates it (before the process starts), only with `terminal`.
        public var consoleSize: ConsoleSize?
        public var user = User()
        public var args: [String]
        public var env: [String] = []
        public var cwd = "/"
        public var capabilities: Capabilities?
        public var rlimits: [Rlimit]?
        public var noNewPrivileges: Bool?
        public var apparmorProfile: String?
        public var oomScoreAdj: Int?

        public init(args: [String]) { self.args = args }
    }

    /// A terminal's size in character cells (`process.consoleSize`).
    public struct ConsoleSize: Codable, Sendable, Equatable {
        public var height: UInt32
        public var width: UInt32
        public init(height: UInt32, width: UInt32) {
            self.height = height
            self.width = width
        }
    }

    public struct User: Codable, Sendable, Equatable {
        public var uid: UInt32 = 0
        public var gid: UInt32 = 0
        public var umask: UInt32?
        public var additionalGids: [UInt32]?
        public init() {}
    }

    /// Capability sets by their `CAP_` names.
    public struct Capabilities: Codable, Sendable, Equatable {
        public var bounding: [String]
        public var effective: [String]
        public var permitted: [String]
        public var inheritable: [String]?
        public var ambient: [String]?

        /// The same list for bounding, effective and permitted, as container runtimes set them.
        public init(_ names: [String]) {
            bounding = names
            effective = names
            permitted = names
        }
    }

    public struct Rlimit: Codable, Sendable, Equatable {
        public var type: String
        public var hard: UInt64
        public var soft: UInt64
        public init(type: String, hard: UInt64, soft: UInt64) {
            self.type = type
            self.hard = hard
            self.soft = soft
        }
    }

    public struct Root: Codable, Sendable, Equatable {
        public var path: String
        public var readonly: Bool?
        public init(path: String, readonly: Bool? = nil) {
            self.path = path
            self.readonly = readonly
        }
    }

    public struct Mount: Codable, Sendable, Equatable {
        public var destination: String
        public var type: String?
        public var source: String?
        public var options: [String]?
        public init(destination: String, type: String?, source: String?, options: [String]?) {
            self.destination = destination
            self.type = type
            self.source = source
            self.options = options
        }
    }

    /// `linux`: namespaces, cgroup resources and path, sysctls, seccomp and the masked/read-only paths.
    public struct Linux: Codable, Sendable, Equatable {
        public var namespaces: [Namespace] = []
        public var resources: Resources?
        public var cgroupsPath: String?
        public var sysctl: [String: String]?
        public var seccomp: Seccomp?
        public var rootfsPropagation: String?
        public var maskedPaths: [String]?
        public var readonlyPaths: [String]?
        public var devices: [Device]?
        public init() {}
    }

    public struct Namespace: Codable, Sendable, Equatable {
        /// `pid`, `network`, `mount`, `ipc`, `uts`, `user` or `cgroup`.
        public var type: String
        /// Join this namespace instead of creating one.
        public var path: String?
        public init(type: String, path: String? = nil) {
            self.type = type
            self.path = path
        }
    }

    public struct Device: Codable, Sendable, Equatable {
        public var path: String
        public var type: String
        public var major: Int64
        public var minor: Int64
        public var fileMode: UInt32?
        public var uid: UInt32?
        public var gid: UInt32?
        public init(path: String, type: String, major: Int64, minor: Int64, fileMode: UInt32?) {
            self.path = path
            self.type = type
            self.major = major
            self.minor = minor
            self.fileMode = fileMode
        }
    }

    /// Cgroup settings (`linux.resources`), also the body of `runc update --resources -`.
    public struct Resources: Codable, Sendable, Equatable {
        public var devices: [DeviceRule]?
        public var memory: Memory?
        public var cpu: CPU?
        public var pids: Pids?
        public var hugepageLimits: [HugepageLimit]?
        public var unified: [String: String]?
        public init() {}
    }

    public struct DeviceRule: Codable, Sendable, Equatable {
        public var allow: Bool
        public var type: String?
        public var major: Int64?
        public var minor: Int64?
        public var access: String?
        public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String?) {
            self.allow = allow
            self.type = type
            self.major = major
            self.minor = minor
            self.access = access
        }
    }

    public struct Memory: Codable, Sendable, Equatable {
        public var limit: Int64?
        public var reservation: Int64?
        public var swap: Int64?
        public init() {}
    }

    public struct CPU: Codable, Sendable, Equatable {
        public var shares: UInt64?
        public var quota: Int64?
        public var period: UInt64?
        public var cpus: String?
        public var mems: String?
        public init() {}
    }

    public struct Pids: Codable, Sendable, Equatable {
        public var limit: Int64
        public init(limit: Int64) { self.limit = limit }
    }

    public struct HugepageLimit: Codable, Sendable, Equatable {
        public var pageSize: String
        public var limit: UInt64
        public init(pageSize: String, limit: UInt64) {
            self.pageSize = pageSize
            self.limit = limit
        }
    }

    /// A seccomp filter as runc compiles it with libseccomp.
    public struct Seccomp: Codable, Sendable, Equatable {
        public var defaultAction: String
        public var defaultErrnoRet: UInt32?
        public var architectures: [String]?
        public var syscalls: [Syscall]?
        public init(defaultAction: String, architectures: [String]?, syscalls: [Syscall]?) {
            self.defaultAction = defaultAction
            self.architectures = architectures
            self.syscalls = syscalls
        }
    }

    public struct Syscall: Codable, Sendable, Equatable {
        public var names: [String]
        public var action: String
        public var errnoRet: UInt32?
        public var args: [SyscallArgument]?
        public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [SyscallArgument]? = nil) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
        }
    }

    public struct SyscallArgument: Codable, Sendable, Equatable {
        public var index: UInt
        public var value: UInt64
        public var valueTwo: UInt64?
        public var op: String
        public init(index: UInt, value: UInt64, valueTwo: UInt64? = nil, op: String) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }
    }
}

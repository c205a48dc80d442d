import CSeccomp
import Foundation
import OCI

/// The seccomp filters a container can ask for (CRI `SecurityProfile`): RuntimeDefault (an allow list in
/// the shape of Docker's and containerd's default profile), Localhost (a profile file in the same JSON
/// form), Unconfined (none). Every syscall name is resolved with libseccomp for the profile's
/// architectures, so a misspelt name in a Localhost profile is an `InvalidArgument`, not a container that
/// fails to start with runc's terse message.
enum SeccompProfiles {
    /// The architectures of an amd64 node, as Docker's profile lists them.
    static let architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]

    /// The RuntimeDefault filter for a container holding `capabilities` (names with the `CAP_` prefix):
    /// everything not listed fails with EPERM; syscalls that only make sense with a capability are
    /// allowed only with it; `clone` may not create namespaces without CAP_SYS_ADMIN and `clone3` reports
    /// ENOSYS then, so libc falls back to the checkable `clone`.
    static func runtimeDefault(capabilities: Set<String>) -> RuntimeSpec.Seccomp {
        var allowed = alwaysAllowed
        for (capability, names) in allowedWithCapability where capabilities.contains(capability) { allowed += names }
        var syscalls = [RuntimeSpec.Syscall(names: resolvable(allowed), action: "SCMP_ACT_ALLOW")]
        if !capabilities.contains("CAP_SYS_ADMIN") {
            syscalls.append(RuntimeSpec.Syscall(names: ["clone"], action: "SCMP_ACT_ALLOW", args: [
                RuntimeSpec.SyscallArgument(index: 0, value: namespaceCloneFlags, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ"),
            ]))
            syscalls.append(RuntimeSpec.Syscall(names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: UInt32(ENOSYS)))
        } else {
            syscalls.append(RuntimeSpec.Syscall(names: ["clone", "clone3"], action: "SCMP_ACT_ALLOW"))
        }
        var profile = RuntimeSpec.Seccomp(defaultAction: "SCMP_ACT_ERRNO", architectures: architectures, syscalls: syscalls)
        profile.defaultErrnoRet = UInt32(EPERM)
        return profile
    }

    /// A Localhost profile read from `path` (Docker/OCI JSON: `defaultAction`, `architectures`,
    /// `syscalls` with `names` or `name`, `action`, `args`, `errnoRet`).
    static func localhost(path: String) throws -> RuntimeSpec.Seccomp {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuntimeError.invalidArgument("failed to load seccomp profile \(path): no such file")
        }
        let profile: ProfileFile
        do {
            profile = try JSONDecoder().decode(ProfileFile.self, from: data)
        } catch {
            throw RuntimeError.invalidArgument("failed to load seccomp profile \(path): \(error)")
        }
        let arches = profile.architectures ?? architectures
        var syscalls: [RuntimeSpec.Syscall] = []
        for rule in profile.syscalls ?? [] {
            let names = (rule.names ?? []) + (rule.name.map { [$0] } ?? [])
            for name in names where !resolves(name, architectures: arches) {
                throw RuntimeError.invalidArgument("seccomp profile \(path): unknown syscall \"\(name)\" for architectures \(arches.joined(separator: ", "))")
            }
            syscalls.append(RuntimeSpec.Syscall(names: names, action: rule.action, errnoRet: rule.errnoRet, args: rule.args))
        }
        var spec = RuntimeSpec.Seccomp(defaultAction: profile.defaultAction, architectures: arches, syscalls: syscalls)
        spec.defaultErrnoRet = profile.defaultErrnoRet
        return spec
    }

    private struct ProfileFile: Decodable {
        var defaultAction: String
        var defaultErrnoRet: UInt32?
        var architectures: [String]?
        var syscalls: [Rule]?

        struct Rule: Decodable {
            var names: [String]?
            var name: String?
            var action: String
            var errnoRet: UInt32?
            var args: [RuntimeSpec.SyscallArgument]?
        }
    }

    /// The names libseccomp knows for at least one of `architectures` (32-bit-only names such as
    /// `chown32` belong in an amd64 profile for its x86 compatibility mode).
    static func resolvable(_ names: [String]) -> [String] {
        names.filter { resolves($0, architectures: architectures) }
    }

    static func resolves(_ name: String, architectures: [String]) -> Bool {
        architectures.contains { architecture in
            let token = seccomp_arch_resolve_name(architectureName(architecture))
            return token != 0 && seccomp_syscall_resolve_name_arch(token, name) != __NR_SCMP_ERROR
        }
    }

    /// `SCMP_ARCH_X86_64` → libseccomp's name `x86_64`.
    private static func architectureName(_ architecture: String) -> String {
        architecture.replacingOccurrences(of: "SCMP_ARCH_", with: "").lowercased()
    }

    /// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET.
    static let namespaceCloneFlags: UInt64 = 0x7E02_0000

    static let allowedWithCapability: [String: [String]] = [
        "CAP_SYS_ADMIN": ["bpf", "fanotify_init", "lookup_dcookie", "mount", "name_to_handle_at", "open_by_handle_at",
                          "perf_event_open", "quotactl", "setdomainname", "sethostname", "setns", "syslog", "umount",
                          "umount2", "unshare", "pivot_root", "keyctl", "add_key", "request_key"],
        "CAP_SYS_CHROOT": ["chroot"],
        "CAP_SYS_MODULE": ["delete_module", "init_module", "finit_module"],
        "CAP_SYS_PTRACE": ["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"],
        "CAP_SYS_PACCT": ["acct"],
        "CAP_SYS_RAWIO": ["iopl", "ioperm"],
        "CAP_SYS_TIME": ["settimeofday", "stime", "clock_settime", "clock_settime64"],
        "CAP_SYS_TTY_CONFIG": ["vhangup"],
        "CAP_SYS_NICE": ["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"],
        "CAP_SYSLOG": ["syslog"],
        "CAP_BPF": ["bpf"],
        "CAP_PERFMON": ["perf_event_open"],
    ]

    static let alwaysAllowed: [String] = """
        accept accept4 access adjtimex alarm arch_prctl bind brk capget capset chdir chmod chown chown32 \
        clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep \
        clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 \
        epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit \
        exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown \
        fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64 \
        fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 futex_waitv futimesat getcpu getcwd \
        getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer \
        getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 \
        getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday getuid \
        getuid32 getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy \
        io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit ipc kill \
        landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat listen \
        listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise membarrier memfd_create \
        mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 modify_ldt mprotect mq_getsetattr \
        mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap \
        msgctl msgget msgrcv msgsnd msync munlock munlockall munmap nanosleep newfstatat _newselect open openat \
        openat2 pause personality pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll \
        ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 \
        pwritev pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg \
        remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending \
        rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 \
        rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min \
        sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr \
        sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop \
        semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 \
        setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid setregid32 setresgid setresgid32 \
        setresuid setresuid32 setreuid setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area \
        set_tid_address setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 \
        sigprocmask sigreturn socket socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat \
        sync sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime \
        timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 \
        timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat \
        utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev
        """.split(separator: " ").map(String.init)
}

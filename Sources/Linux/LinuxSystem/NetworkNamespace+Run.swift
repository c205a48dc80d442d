#if canImport(Glibc)
import Glibc
#endif

extension NetworkNamespace {
    /// Runs `body` inside `namespace` and returns its result, blocking the caller.
    ///
    /// The work runs on a fresh pthread that `setns()`es into the namespace and exits when `body`
    /// returns, so the calling thread's namespace never changes and no thread in another namespace is
    /// handed back to anyone. Sockets opened inside `body` stay bound to `namespace` afterwards.
    ///
    ///     let link = try NetworkNamespace.run(in: ns) { try RouteNetlink().link(named: "eth0") }
    public static func run<R>(in namespace: NetworkNamespace, _ body: () throws -> R) throws -> R {
        try DedicatedThread.run {
            try namespace.enter()
            return try body()
        }
    }

    /// Runs `body` inside this namespace; see ``run(in:_:)``.
    public func run<R>(_ body: () throws -> R) throws -> R {
        try Self.run(in: self, body)
    }

    /// Runs `body` inside this namespace on a dedicated thread without blocking a concurrency-pool
    /// thread, and returns its result.
    ///
    ///     let mtu = try await ns.perform { try Sysctl.read("net.ipv6.conf.lo.mtu") }
    public func perform<R: Sendable>(_ body: @escaping @Sendable () throws -> R) async throws -> R {
        try await withCheckedThrowingContinuation { continuation in
            do {
                try DedicatedThread.start {
                    continuation.resume(with: Result {
                        try self.enter()
                        return try body()
                    })
                }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// Starts `body` on a fresh thread inside this namespace and returns at once; the thread exits
    /// when `body` returns. `body` gets `false`, and must not touch the network, when the thread
    /// could not enter the namespace.
    public func detach(_ body: @escaping @Sendable (_ entered: Bool) -> Void) throws {
        try DedicatedThread.start {
            body((try? self.enter()) != nil)
        }
    }

    /// Runs `body` with the calling thread inside this namespace and moves the thread back before
    /// returning, without a thread of its own: for a single-purpose process (a CNI plugin) where a thread
    /// start and two hand-offs per namespace switch are a noticeable part of its run. `body` must not
    /// suspend (it is synchronous), so nothing else runs on the thread meanwhile. A thread that cannot be
    /// moved back ends the process: it must never go on working in the wrong namespace.
    ///
    ///     let link = try sandbox.runOnCallingThread { try RouteNetlink().link(named: "eth0") }
    public func runOnCallingThread<R>(_ body: () throws -> R) throws -> R {
        let home = try SystemError.check(Glibc.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), "open", context: "/proc/thread-self/ns/net")
        defer { close(home) }
        try enter()
        defer {
            if GNU.setns(home, GNU.cloneNewNet) != 0 {
                fatalError("cannot move the thread back from network namespace \(path): errno \(errno)")
            }
        }
        return try body()
    }

    /// Moves the calling thread into this namespace. Only ever called on a dedicated thread, or by
    /// ``runOnCallingThread(_:)``, which moves it back.
    private func enter() throws {
        try SystemError.check(GNU.setns(fileDescriptor, GNU.cloneNewNet), "setns", context: path)
    }
}

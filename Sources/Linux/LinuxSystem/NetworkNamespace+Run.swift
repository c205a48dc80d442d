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

    /// Moves the calling thread into this namespace. Only ever called on a dedicated thread.
    private func enter() throws {
        try SystemError.check(GNU.setns(fileDescriptor, GNU.cloneNewNet), "setns", context: path)
    }
}

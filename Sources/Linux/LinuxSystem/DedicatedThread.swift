#if canImport(Glibc)
import Glibc
#endif

/// Runs work on a brand-new pthread that exits when the work is done.
///
/// Per-thread kernel state such as the network namespace (after `setns` or `unshare`) dies with the
/// thread, so it can never leak into the Swift concurrency pool or into the caller.
public enum DedicatedThread {
    /// Runs blocking `body` (waiting for a child process, a blocking read) on a fresh thread and suspends the caller
    /// until it has finished. Neither the Swift concurrency pool nor Dispatch's global queue is held: on Linux the
    /// latter has as many workers as CPUs (two here), so blocking calls queued there run two or three at a time —
    /// thirty pods starting at once would wait in line for their `runc` calls.
    public static func offload<R: Sendable>(_ body: @escaping @Sendable () -> R) async throws(SystemError) -> R {
        let outcome: Result<R, SystemError> = await withCheckedContinuation { continuation in
            do {
                try start { continuation.resume(returning: .success(body())) }
            } catch {
                continuation.resume(returning: .failure(error as? SystemError ?? SystemError(errno: EAGAIN, operation: "pthread_create")))
            }
        }
        return try outcome.get()
    }

    /// Runs `body` on a fresh thread and blocks the caller until it has finished.
    static func run<R>(_ body: () throws -> R) throws -> R {
        var result: Result<R, any Error>?
        try withoutActuallyEscaping(body) { body in
            let thread = try spawn(Work { result = Result { try body() } })
            let status = pthread_join(thread, nil)
            guard status == 0 else { throw SystemError(errno: status, operation: "pthread_join") }
        }
        guard let result else { fatalError("dedicated thread finished without a result") }
        return try result.get()
    }

    /// Starts `body` on a fresh detached thread and returns at once.
    static func start(_ body: @escaping @Sendable () -> Void) throws {
        let thread = try spawn(Work(body))
        pthread_detach(thread)
    }

    private final class Work {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private static func spawn(_ work: Work) throws -> pthread_t {
        var thread = pthread_t()
        let argument = Unmanaged.passRetained(work).toOpaque()
        let status = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<Work>.fromOpaque(argument).takeRetainedValue().body()
            return nil
        }, argument)
        guard status == 0 else {
            Unmanaged<Work>.fromOpaque(argument).release()
            throw SystemError(errno: status, operation: "pthread_create")
        }
        return thread
    }
}

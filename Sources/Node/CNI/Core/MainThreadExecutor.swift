import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs a plugin process's async code to completion on the main thread alone.
///
/// A plugin executable lives for one request and its work is blocking system calls (netlink, files),
/// so the concurrency pool and Dispatch's threads an `await`ing top-level `main` brings up only cost
/// it: their start, a hop between threads at every `await` (on a busy node each hop waits for a CPU),
/// and their teardown at exit. ``run(_:)`` starts the operation as a task that prefers this executor
/// (SE-0417), so the task and every nonisolated async function it calls run here, and drains the jobs
/// on the calling thread until the task has finished. Jobs enqueued from another thread (a continuation
/// resumed by a helper thread) wake it up. Work that would go to a thread of its own checks
/// ``InlineExecution/isActive`` and runs on the calling thread instead.
///
///     let outcome = MainThreadExecutor.run { await runner.run(environment: environment, stdin: stdin) }
final class MainThreadExecutor: TaskExecutor, @unchecked Sendable {
    // Unchecked: `jobs` is a mutex and `available` a POSIX semaphore, both made for use from any thread.
    private let jobs = Mutex<[UnownedJob]>([])
    /// Counts the jobs in `jobs`; the draining thread sleeps on it.
    private let available: UnsafeMutablePointer<sem_t>

    private init() {
        available = .allocate(capacity: 1)
        sem_init(available, 0, 0)
    }

    deinit {
        sem_destroy(available)
        available.deallocate()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        sem_post(available)
    }

    /// Runs `operation` with ``InlineExecution/isActive`` set and returns its result, all on the
    /// calling thread (which must not be one of the concurrency pool's).
    static func run<T: Sendable>(_ operation: @escaping @Sendable () async -> T) -> T {
        let executor = MainThreadExecutor()
        let result = ResultBox<T>()
        Task(executorPreference: executor) {
            let value = await InlineExecution.$isActive.withValue(true) { await operation() }
            result.value = value
        }
        while true {
            if let value = result.value { return value }
            while sem_wait(executor.available) != 0 {}
            guard let job = executor.jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            job.runSynchronously(on: executor.asUnownedTaskExecutor())
        }
    }

    /// Where the task leaves its result; written by a job this thread runs, read by this thread.
    private final class ResultBox<T>: @unchecked Sendable {
        var value: T?
    }
}

/// Whether the current task runs on a ``MainThreadExecutor``: a plugin process's single thread, which
/// may block in a system call (nothing else is waiting for it) and may move into a network namespace and
/// back (``NetworkNamespace/runOnCallingThread(_:)``), so work is done there instead of on a thread
/// started for it.
enum InlineExecution {
    @TaskLocal static var isActive = false
}

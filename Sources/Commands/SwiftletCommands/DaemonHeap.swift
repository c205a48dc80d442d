#if canImport(Glibc)
import Glibc
#endif
import Logging
import ServiceLifecycle

/// glibc malloc settings for the long-running node daemons (agent, runtime). glibc gives every thread that
/// allocates while the others hold their arena a new arena, up to eight per CPU, and each keeps the pages freed
/// in it: the runtime, whose blocking runc/shim calls run on threads of their own, had 15 arenas holding ~4.5 MiB
/// after a few pods. Two arenas (as `MALLOC_ARENA_MAX=2`, which still overrides this when set) keep the heap
/// compact at little contention: these daemons allocate on a handful of threads. `malloc.h` is not part of
/// Swift's Glibc module, so `mallopt` and `malloc_trim` are looked up with `dlsym`.
enum DaemonHeap {
    /// `M_ARENA_MAX` from `<malloc.h>`.
    private static let arenaMaxParameter: Int32 = -8

    /// Caps the number of malloc arenas, unless `MALLOC_ARENA_MAX` is set in the environment. Call before the
    /// daemon starts its threads.
    static func limitArenas(to count: Int32 = 2) {
        guard getenv("MALLOC_ARENA_MAX") == nil, let mallopt = dlsym(nil, "mallopt") else { return }
        _ = unsafeBitCast(mallopt, to: (@convention(c) (Int32, Int32) -> Int32).self)(arenaMaxParameter, count)
    }

    /// Hands freed heap pages back to the system (`malloc_trim(0)`: the top of every arena and the free pages
    /// inside them).
    static func returnFreedMemory() {
        guard let trim = dlsym(nil, "malloc_trim") else { return }
        _ = unsafeBitCast(trim, to: (@convention(c) (Int) -> Int32).self)(0)
    }
}

/// Returns the node daemon's freed heap pages to the system every `interval`, so its RSS follows what it holds
/// rather than its peak (a burst of pod starts and deletions frees most of what it allocated).
struct HeapTrimService: ServiceLifecycle.Service {
    var interval: Duration = .seconds(30)

    func run() async throws {
        let interval = interval
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                DaemonHeap.returnFreedMemory()
            }
        }
    }
}

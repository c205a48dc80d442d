#if canImport(Glibc)
import Glibc
#endif

/// The GNU-only libc calls Swift's Glibc module does not import (it is built without `_GNU_SOURCE`),
/// looked up once with `dlsym`, and the `<linux/sched.h>` constants they take.
enum GNU {
    /// `CLONE_NEWNET` from `<linux/sched.h>`.
    static let cloneNewNet: Int32 = 0x4000_0000
    /// `CLONE_NEWIPC` from `<linux/sched.h>`.
    static let cloneNewIPC: Int32 = 0x0800_0000
    /// `CLONE_NEWUTS` from `<linux/sched.h>`.
    static let cloneNewUTS: Int32 = 0x0400_0000

    private typealias SetnsFunction = @convention(c) (Int32, Int32) -> Int32
    private typealias UnshareFunction = @convention(c) (Int32) -> Int32
    private typealias SethostnameFunction = @convention(c) (UnsafePointer<CChar>, Int) -> Int32
    typealias CloseRangeFunction = @convention(c) (UInt32, UInt32, Int32) -> Int32

    private static let setnsFunction: SetnsFunction = symbol("setns")
    private static let unshareFunction: UnshareFunction = symbol("unshare")
    private static let sethostnameFunction: SethostnameFunction = symbol("sethostname")
    /// `close_range(2)`: closes the descriptors from the first through the second argument (flags third).
    static let closeRange: CloseRangeFunction = symbol("close_range")

    /// `setns(2)`: moves the calling thread into the namespace `fd` refers to.
    static func setns(_ fd: Int32, _ nstype: Int32) -> Int32 { setnsFunction(fd, nstype) }

    /// `unshare(2)`: gives the calling thread new namespaces of the kinds in `flags`.
    static func unshare(_ flags: Int32) -> Int32 { unshareFunction(flags) }

    /// `sethostname(2)`: the hostname of the calling thread's UTS namespace.
    static func sethostname(_ name: String) -> Int32 {
        name.withCString { sethostnameFunction($0, strlen($0)) }
    }

    static func symbol<F>(_ name: String) -> F {
        guard let pointer = dlsym(nil, name) else { fatalError("libc has no \(name)") }
        return unsafeBitCast(pointer, to: F.self)
    }
}

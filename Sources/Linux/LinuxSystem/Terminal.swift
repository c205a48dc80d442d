#if canImport(Glibc)
import Glibc
#endif

/// Pseudo-terminals for processes that want a terminal of their own (`kubectl exec -t`).
public enum Terminal {
    /// Opens a new pseudo-terminal pair: the master (ours to read and write) and the slave (the child's stdio),
    /// both close-on-exec and neither becoming our controlling terminal.
    public static func open() throws(SystemError) -> (master: Int32, slave: Int32) {
        // posix_openpt/unlockpt/ptsname, which the Glibc module hides: /dev/ptmx and its two ioctls.
        let master = Glibc.open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw SystemError.lastError("open", context: "/dev/ptmx") }
        var unlock: Int32 = 0, number: UInt32 = 0
        guard ioctl(master, Self.setPtyLock, &unlock) == 0, ioctl(master, Self.getPtyNumber, &number) == 0 else {
            let error = SystemError.lastError("ioctl(TIOCSPTLCK)", context: "/dev/ptmx")
            close(master)
            throw error
        }
        let path = "/dev/pts/\(number)"
        let slave = Glibc.open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard slave >= 0 else {
            let error = SystemError.lastError("open", context: path)
            close(master)
            throw error
        }
        return (master, slave)
    }

    /// `TIOCSPTLCK` and `TIOCGPTN` from `<asm-generic/ioctls.h>` (function-like macros Swift cannot import).
    private static let setPtyLock: UInt = 0x4004_5431
    private static let getPtyNumber: UInt = 0x8004_5430

    /// Sets the terminal's size (`TIOCSWINSZ` on either end).
    public static func resize(_ descriptor: Int32, width: UInt16, height: UInt16) throws(SystemError) {
        var size = winsize(ws_row: height, ws_col: width, ws_xpixel: 0, ws_ypixel: 0)
        try SystemError.check(ioctl(descriptor, UInt(TIOCSWINSZ), &size), "ioctl(TIOCSWINSZ)")
    }
}

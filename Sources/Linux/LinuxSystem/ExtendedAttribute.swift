#if canImport(Glibc)
import Glibc
#endif

/// The `<sys/xattr.h>` calls, which Swift's Glibc module does not import: looked up once with `dlsym`
/// like the other libc calls in ``GNU``. They return -1 and set `errno` on failure, as in C.
public enum ExtendedAttribute {
    private typealias Set = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeRawPointer?, Int, Int32) -> Int32
    private typealias Get = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int

    private static let setFunction: Set = GNU.symbol("setxattr")
    private static let lsetFunction: Set = GNU.symbol("lsetxattr")
    private static let lgetFunction: Get = GNU.symbol("lgetxattr")

    /// `setxattr(2)`: follows symlinks.
    public static func set(_ path: UnsafePointer<CChar>, _ name: UnsafePointer<CChar>, _ value: UnsafeRawPointer?,
                           _ size: Int, _ flags: Int32) -> Int32 {
        setFunction(path, name, value, size, flags)
    }

    /// `lsetxattr(2)`: on the link itself.
    public static func lset(_ path: UnsafePointer<CChar>, _ name: UnsafePointer<CChar>, _ value: UnsafeRawPointer?,
                            _ size: Int, _ flags: Int32) -> Int32 {
        lsetFunction(path, name, value, size, flags)
    }

    /// `lgetxattr(2)`: the value's size, or -1.
    public static func lget(_ path: UnsafePointer<CChar>, _ name: UnsafePointer<CChar>, _ value: UnsafeMutableRawPointer?,
                            _ size: Int) -> Int {
        lgetFunction(path, name, value, size)
    }
}

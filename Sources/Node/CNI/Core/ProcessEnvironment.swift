#if canImport(Glibc)
import Glibc
#endif

/// The process's environment read straight from `environ`, without Foundation's `ProcessInfo` (whose
/// set-up is a measurable part of a plugin process's start).
enum ProcessEnvironment {
    /// Every `NAME=value` entry; the first of duplicate names wins, as `getenv` finds it.
    static func current() -> [String: String] {
        var variables: [String: String] = [:]
        let first: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        guard var entry = first else { return variables }
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let separator = text.utf8.firstIndex(of: UInt8(ascii: "=")) {
                let name = String(text[..<separator])
                if variables[name] == nil { variables[name] = String(text[text.index(after: separator)...]) }
            }
            entry += 1
        }
        return variables
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files that hold secrets (private keys, kubeconfigs with credentials): created readable by their owner only, and
/// a failed write is an error rather than a silently missing key.
public enum OwnerOnlyFile {
    public static func write(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw PKIError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Replaces `path` atomically: written to a temporary file beside it (0600) and renamed over it, so a reader
    /// (or a crash) sees the old content or the new, never half of either. `mode` loosens it for public files.
    public static func replace(_ text: String, at path: String, mode: Int = 0o600) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let temporary = "\(path).tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw PKIError("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw PKIError("cannot replace \(path): \(reason)")
        }
    }
}

import Foundation

/// Files that hold secrets (private keys, kubeconfigs with credentials): created readable by their owner only, and
/// a failed write is an error rather than a silently missing key.
public enum OwnerOnlyFile {
    public static func write(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw PKIError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}

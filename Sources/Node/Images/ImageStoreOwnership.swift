import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// The one process that writes an image store: the runtime daemon for as long as it runs, or `swiftlet runtime
/// import` while no daemon does. Two writers would undo each other — each keeps the records in memory and replaces
/// `images.json` with its own view, and each empties `tmp/` and collects garbage without knowing the other's
/// downloads — so whoever opens a store for writing holds an exclusive `flock` on `<store>/owner.lock` first, and
/// an import that finds it held hands the archive to the daemon (as `ctr images import` goes through containerd).
///
/// The lock lives as long as this value (and its process: the kernel drops it when the process dies, however it
/// dies). The descriptor is close-on-exec, so the containers' monitors the daemon starts never inherit it.
public final class ImageStoreOwnership: Sendable {
    /// The store directory (`<runtime root>/images`).
    public let directory: String
    private let descriptor: Int32

    private init(directory: String, descriptor: Int32) {
        self.directory = directory
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Takes the store at `directory` (made if missing) for this process; nil when another process has it.
    /// - Throws: `ImageError` `.io` when the directory or its lock file cannot be made.
    public static func claim(_ directory: String) throws(ImageError) -> ImageStoreOwnership? {
        do {
            try FileSystem.makeDirectories(directory, mode: 0o755)
        } catch {
            throw ImageError(.io, "cannot create image store directory \(directory)", cause: error)
        }
        let path = directory + "/owner.lock"
        let descriptor = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ImageError(.io, "cannot open \(path)", cause: SystemError.lastError("open", context: path))
        }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            if error == EINTR { continue }
            close(descriptor)
            if error == EWOULDBLOCK { return nil }
            throw ImageError(.io, "cannot lock \(path)", cause: SystemError(errno: error, operation: "flock", context: path))
        }
        return ImageStoreOwnership(directory: directory, descriptor: descriptor)
    }
}

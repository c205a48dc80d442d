#if canImport(Glibc)
import Glibc
#endif

/// Async access to blocking descriptors (pipes, pty masters) without occupying the Swift concurrency pool:
/// each blocking call runs on a thread of its own.
public enum DescriptorStream {
    /// Everything read from `descriptor` until end of file (or EIO, which a pty master reports once the last
    /// slave end is closed), in chunks; closes the descriptor at the end.
    public static func reading(_ descriptor: Int32, chunkSize: Int = 32 * 1024) -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingOldest(64))
        do {
            try DedicatedThread.start {
                var buffer = [UInt8](repeating: 0, count: chunkSize)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, chunkSize) }
                    if count > 0 {
                        continuation.yield(Array(buffer[0..<count]))
                    } else if count == -1, errno == EINTR {
                        continue
                    } else {
                        break
                    }
                }
                close(descriptor)
                continuation.finish()
            }
        } catch {
            close(descriptor)
            continuation.finish()
        }
        return stream
    }

    /// Writes all of `bytes` to `descriptor` on a thread of its own.
    public static func write(_ bytes: [UInt8], to descriptor: Int32) async throws(SystemError) {
        let result: Result<Void, SystemError> = await withCheckedContinuation { continuation in
            do {
                try DedicatedThread.start {
                    var offset = 0
                    while offset < bytes.count {
                        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
                        if written >= 0 {
                            offset += written
                        } else if errno != EINTR {
                            continuation.resume(returning: .failure(SystemError.lastError("write")))
                            return
                        }
                    }
                    continuation.resume(returning: .success(()))
                }
            } catch {
                continuation.resume(returning: .failure(SystemError(errno: EAGAIN, operation: "pthread_create")))
            }
        }
        try result.get()
    }
}

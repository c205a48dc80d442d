import FoundationEssentials
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// host-local's on-disk store, byte-compatible with the reference's `disk` backend.
///
/// Under `<dataDir>/<network>/`: one file per reserved address, named by the address, holding
/// `<containerID>\r\n<ifname>`; `last_reserved_ip.<rangeSetIndex>` holding the last address handed out
/// from that range set; and an empty `lock` file. Callers hold ``withLock(_:)`` across a whole ADD, DEL
/// or GC, so concurrent plugin processes never hand out one address twice.
///
/// The lock is a blocking `flock`, and a plugin run in-process by a daemon (``BuiltinPluginExec``) must not hold a
/// concurrency-pool thread while another ADD has it: ``locked(network:dataDirectory:_:)`` opens the store and runs the
/// whole locked section on a thread of its own.
final class AllocationStore: Sendable {
    static let lastReservedPrefix = "last_reserved_ip."
    static let lineBreak = "\r\n"

    let directory: String
    private let lockDescriptor: Int32

    /// Creates `<dataDir>/<network>` (mode 0755) and opens its lock file; failures are code 5.
    init(network: String, dataDirectory: String) throws(CNIError) {
        directory = (dataDirectory.hasSuffix("/") ? dataDirectory : dataDirectory + "/") + network
        do {
            try FileSystem.makeDirectories(directory, mode: 0o755)
        } catch {
            throw CNIError.io("failed to create data directory \(directory)", error)
        }
        let lockPath = directory + "/lock"
        let descriptor = open(lockPath, O_RDONLY | O_CREAT | O_CLOEXEC, 0o750)
        guard descriptor >= 0 else {
            throw CNIError.io("failed to open lock file \(lockPath)", SystemError.lastError("open", context: lockPath))
        }
        lockDescriptor = descriptor
    }

    deinit { close(lockDescriptor) }

    /// Opens the store of `network` and runs `body` holding its lock, on a dedicated thread: on a machine with two
    /// cores the concurrency pool has two threads, and thirty sandboxes starting at once would otherwise park them
    /// in `flock` behind each other while every other task of the daemon waits. A plugin process's single thread
    /// (``InlineExecution``) has nothing else to do meanwhile and runs it itself.
    static func locked<T: Sendable>(
        network: String, dataDirectory: String, _ body: @escaping @Sendable (AllocationStore) throws(CNIError) -> T
    ) async throws(CNIError) -> T {
        let section: @Sendable () throws(CNIError) -> T = {
            let store = try AllocationStore(network: network, dataDirectory: dataDirectory)
            return try store.withLock { () throws(CNIError) -> T in try body(store) }
        }
        if InlineExecution.isActive { return try section() }
        let outcome: Result<T, CNIError>
        do {
            outcome = try await DedicatedThread.offload { Result(catching: section) }
        } catch {
            throw CNIError.io("failed to start a thread for the store of \(network)", error)
        }
        return try outcome.get()
    }

    /// Runs `body` holding the exclusive `flock` on the store, on the calling thread.
    func withLock<T>(_ body: () throws(CNIError) -> T) throws(CNIError) -> T {
        while flock(lockDescriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw CNIError.io("failed to lock \(directory)", SystemError.lastError("flock", context: directory))
            }
        }
        defer { flock(lockDescriptor, LOCK_UN) }
        return try body()
    }

    /// Creates the file for `address` unless it exists; returns whether this call reserved it, and
    /// records it as the last reservation of `rangeSetIndex`.
    func reserve(_ address: IPAddress, containerID: String, ifName: String, rangeSetIndex: Int) throws(CNIError) -> Bool {
        let path = self.path(address.description)
        let descriptor = open(path, O_RDWR | O_EXCL | O_CREAT | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            if errno == EEXIST { return false }
            throw CNIError.io("failed to reserve \(address)", SystemError.lastError("open", context: path))
        }
        let content = Array((Self.trimmed(containerID) + Self.lineBreak + ifName).utf8)
        let written = content.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let failure = written == content.count ? nil : SystemError.lastError("write", context: path)
        if close(descriptor) != 0 || failure != nil {
            unlink(path)
            throw CNIError.io("failed to reserve \(address)", failure ?? SystemError.lastError("close", context: path))
        }
        try writeFile(Self.lastReservedPrefix + String(rangeSetIndex), address.description)
        return true
    }

    /// The last address reserved from `rangeSetIndex`, if recorded and parseable.
    func lastReserved(rangeSetIndex: Int) -> IPAddress? {
        read(Self.lastReservedPrefix + String(rangeSetIndex)).flatMap { IPAddress($0) }
    }

    /// Every reservation file: its address and the owner it records.
    func reservations() -> [Reservation] {
        let names = FileSystem.entries(of: directory)
        return names.sorted().compactMap { name in
            guard let address = IPAddress(name), let content = read(name) else { return nil }
            return Reservation(address: address, owner: Self.trimmed(content))
        }
    }

    /// The addresses reserved for this attachment (or, for files of old versions, for the container).
    func addresses(containerID: String, ifName: String) -> [IPAddress] {
        let key = Self.key(containerID, ifName)
        let legacyKey = Self.trimmed(containerID)
        return reservations().filter { $0.owner == key || $0.owner == legacyKey }.map(\.address)
    }

    /// Removes every reservation of the attachment; falls back to container-only files of old
    /// versions when none match. Removing nothing is success (DEL is idempotent).
    func release(containerID: String, ifName: String) throws(CNIError) {
        let all = reservations()
        var matching = all.filter { $0.owner == Self.key(containerID, ifName) }
        if matching.isEmpty { matching = all.filter { $0.owner == Self.trimmed(containerID) } }
        for reservation in matching { try remove(reservation.address) }
    }

    /// Deletes the file of `address`; a file already gone is fine.
    func remove(_ address: IPAddress) throws(CNIError) {
        let path = self.path(address.description)
        guard unlink(path) == 0 || errno == ENOENT else {
            throw CNIError.io("failed to release \(address)", SystemError.lastError("unlink", context: path))
        }
    }

    /// The owner key a reservation file holds: `<containerID>\r\n<ifname>`.
    static func key(_ containerID: String, _ ifName: String) -> String {
        trimmed(containerID) + lineBreak + ifName
    }

    private static func trimmed(_ text: String) -> String {
        text.trimmingWhitespace
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    private func read(_ name: String) -> String? {
        (try? FileSystem.contents(of: path(name))).map { String(decoding: $0, as: UTF8.self) }
    }

    private func writeFile(_ name: String, _ content: String) throws(CNIError) {
        let path = self.path(name)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CNIError.io("failed to write \(path)", SystemError.lastError("open", context: path))
        }
        defer { close(descriptor) }
        let bytes = Array(content.utf8)
        guard bytes.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == bytes.count else {
            throw CNIError.io("failed to write \(path)", SystemError.lastError("write", context: path))
        }
    }
}

/// One reservation file: the address it is named after and its trimmed content.
struct Reservation: Sendable, Hashable {
    let address: IPAddress
    /// `<containerID>\r\n<ifname>`, or just the container ID in files of old versions.
    let owner: String

    /// Whether `attachment` owns this reservation.
    func isOwned(by attachment: GCAttachment) -> Bool {
        owner == AllocationStore.key(attachment.containerID, attachment.ifname)
            || owner == attachment.containerID
    }
}

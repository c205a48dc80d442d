#if canImport(Glibc)
import Glibc
#endif
import LinuxSystem

/// The monitor's attach socket (`attach` in the bundle, `SOCK_SEQPACKET`), what conmon's attach socket is to
/// CRI-O: every connected client receives the container's output as it is produced and may write its stdin and
/// resize its terminal. One message per record, its first byte naming the channel as the remote-command
/// protocol numbers them:
///
///     monitor → client   1 <stdout bytes>      2 <stderr bytes>
///     client → monitor   0 <stdin bytes>       255 0  (close the container's stdin)
///                        4 <width: u16 BE> <height: u16 BE>  (resize the terminal)
///
/// When the container has exited and its output is drained, the monitor closes every client: that end of
/// file is how an attached runtime learns the container is gone.
struct AttachPoint {
    /// The listening socket, -1 when it could not be created (attach is then unavailable, nothing else is).
    let listener: Int32
    private(set) var clients: [Int32] = []
    /// Where stdin goes: the write end of the container's stdin pipe or the terminal master; -1 when closed or none.
    private(set) var stdin: Int32
    /// The terminal master (resizes), -1 without a terminal.
    let master: Int32
    /// Client stdin not yet accepted by the container (stdin is non-blocking, so a container that does not read
    /// cannot stop the monitor from logging).
    private(set) var pending: [UInt8] = []
    private var closeStdinWhenFlushed = false

    /// The largest record a client may send or receive.
    static let maximumRecord = 64 * 1024

    init(listener: Int32, stdin: Int32, master: Int32) {
        self.listener = listener
        self.stdin = stdin
        self.master = master
        if listener >= 0 { _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK) }
        if stdin >= 0 { _ = fcntl(stdin, F_SETFL, fcntl(stdin, F_GETFL) | O_NONBLOCK) }
    }

    /// Whether clients should be read: not while earlier stdin still waits for the container.
    var acceptsInput: Bool { pending.isEmpty }

    /// Whether the monitor should poll stdin for room.
    var waitsForStdin: Bool { !pending.isEmpty && stdin >= 0 }

    mutating func acceptClients() {
        guard listener >= 0 else { return }
        while let client = try? UnixSocket.accept(listener) {
            // A runtime that stops reading must not stall the container's logging for long.
            UnixSocket.setSendTimeout(client, seconds: 10)
            clients.append(client)
        }
    }

    /// Sends output to every client; a client that cannot take it is dropped.
    mutating func broadcast(_ bytes: ArraySlice<UInt8>, channel: UInt8) {
        guard !clients.isEmpty else { return }
        let record = [channel] + bytes
        clients.removeAll { client in
            if UnixSocket.send(client, record) { return false }
            close(client)
            return true
        }
    }

    /// Reads one record from `client` and acts on it; an ended or failed client is dropped.
    mutating func read(_ client: Int32, buffer: inout [UInt8]) {
        let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if count < 0, errno == EINTR || errno == EAGAIN { return }
        guard count > 0 else {
            close(client)
            clients.removeAll { $0 == client }
            return
        }
        let payload = buffer[1..<count]
        switch buffer[0] {
        case 0 where stdin >= 0:
            pending += payload
            flushStdin()
        case 255 where payload.first == 0:
            closeStdin()
        case 4 where payload.count == 4 && master >= 0:
            let start = payload.startIndex
            let width = UInt16(payload[start]) << 8 | UInt16(payload[start + 1])
            let height = UInt16(payload[start + 2]) << 8 | UInt16(payload[start + 3])
            try? Terminal.resize(master, width: width, height: height)
        default:
            break
        }
    }

    /// Writes as much pending stdin as the container takes now.
    mutating func flushStdin() {
        while !pending.isEmpty, stdin >= 0 {
            let written = pending.withUnsafeBytes { write(stdin, $0.baseAddress, $0.count) }
            if written > 0 {
                pending.removeFirst(written)
            } else if written < 0, errno == EINTR {
                continue
            } else if written < 0, errno == EAGAIN {
                return
            } else {
                // The container closed its stdin (EPIPE) or exited: nothing more can be delivered.
                pending = []
                closeStdinWhenFlushed = true
            }
        }
        if closeStdinWhenFlushed { closeStdin() }
    }

    /// Ends the container's stdin (end of file) once what is pending is delivered. A terminal has no end of file
    /// of its own and stays open.
    private mutating func closeStdin() {
        guard stdin >= 0, stdin != master else { return }
        guard pending.isEmpty else {
            closeStdinWhenFlushed = true
            return
        }
        close(stdin)
        stdin = -1
    }

    /// Ends every client and the socket (the container has exited).
    mutating func closeAll() {
        for client in clients { close(client) }
        clients = []
        if listener >= 0 {
            close(listener)
            unlink("attach")
        }
    }
}

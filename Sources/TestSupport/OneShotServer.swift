import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP server for one connection, on a thread of its own: it reads the client's first bytes (what
/// ``received`` answers), writes `response` and closes — or, with no response, keeps the connection open without a
/// word until the server goes, for a client's timeout.
public final class OneShotServer: Sendable {
    public let port: Int
    private let listener: Int32
    private let request = ReceivedBytes()

    /// What the server's thread read; a box of its own, so the thread never keeps the server (and its listener) alive.
    private final class ReceivedBytes: Sendable {
        let text = Mutex("")
    }

    public init(response: String?) throws {
        // Port 0, then asking which: a port found free and bound later could go to a test running beside this one.
        let listener = try LoopbackForwarder.listeningSocket(port: 0)
        self.listener = listener
        do {
            port = try LoopbackForwarder.boundPort(listener)
        } catch {
            close(listener)
            throw error
        }
        let request = request
        Thread.detachNewThread {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = read(connection, &buffer, buffer.count)
            request.text.withLock { $0 = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self) }
            if let response {
                let bytes = Array(response.utf8)
                _ = write(connection, bytes, bytes.count)
            } else {
                var byte: UInt8 = 0
                _ = read(connection, &byte, 1)  // until the client or the server's end closes it
            }
            close(connection)
        }
    }

    /// The first bytes the client sent (empty until then).
    public var received: String { request.text.withLock { $0 } }

    deinit { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }
}

/// A loopback port nothing listens on for as long as this value lives: bound (so no test running beside this one can
/// take it) but not listening, so a connect is refused.
public final class ClosedLoopbackPort: Sendable {
    public let port: Int
    private let socket: Int32

    public init() throws {
        let fd = try LoopbackForwarder.boundSocket(port: 0)
        socket = fd
        do {
            port = try LoopbackForwarder.boundPort(fd)
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(socket) }
}

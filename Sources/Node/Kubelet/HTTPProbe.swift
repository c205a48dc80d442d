#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GoNet
import LinuxSystem
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// The `httpGet` probe as upstream's kubelet makes it: one `GET` from the node over HTTP or HTTPS (whose certificate
/// is not verified, as upstream's prober skips verification), status 200–399 succeeding, failures in the words of Go's
/// HTTP client (`Get "http://10.88.0.4:8080/": dial tcp 10.88.0.4:8080: connect: connection refused`).
enum HTTPProbe {
    /// Probes `scheme://host:port/path` (scheme `HTTP` or `HTTPS`), sending `headers` beside the kubelet's own.
    static func probe(scheme: String, host: String, port: Int, path: String, headers: [(name: String, value: String)],
                      timeout: Duration) async -> Prober.Result {
        let url = "\(scheme.lowercased())://\(host):\(port)\(path)"
        let request = "GET \(path) HTTP/1.1\r\n" + requestHeaders(host: host, port: port, headers).map { "\($0.name): \($0.value)\r\n" }.joined()
            + "\r\n"
        let deadline = ContinuousClock.now + timeout
        let connected = try? await DedicatedThread.offload { TCPDial.connect(host: host, port: port, timeout: timeout) }
        let fd: Int32
        switch connected {
        case .success(let descriptor): fd = descriptor
        case .failure(let failure) where failure.reason == .timeout: return .failure("Get \"\(url)\": \(timedOut)")
        case .failure(let failure): return .failure("Get \"\(url)\": \(failure)")
        case nil: return .failure("no thread for the probe")
        }
        let statusLine: String
        do {
            statusLine = scheme == "HTTPS"
                ? try await tlsStatusLine(fd: fd, host: host, request: request, deadline: deadline)
                : try await DedicatedThread.offload { plainStatusLine(fd: fd, request: request, deadline: deadline) }.get()
        } catch ProbeFailure.timedOut {
            return .failure("Get \"\(url)\": \(timedOut)")
        } catch {
            return .failure("Get \"\(url)\": \(error)")
        }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
            return .failure("Get \"\(url)\": malformed HTTP response \(statusLine.debugDescription)")
        }
        return (200..<400).contains(code) ? .success : .failure("HTTP probe failed with statuscode: \(code)")
    }

    /// The probe's headers, as upstream's prober sends them: `headers` as given, then Host, User-Agent and Accept
    /// where `headers` has none of its own (a Host header names the virtual host), and `Connection: close`.
    static func requestHeaders(host: String, port: Int, _ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        let given = Set(headers.map { $0.name.lowercased() })
        let defaults = [("Host", "\(host):\(port)"), ("User-Agent", "kube-probe/1.32"), ("Accept", "*/*")]
        return defaults.filter { !given.contains($0.0.lowercased()) } + headers.filter { $0.name.lowercased() != "connection" }
            + [("Connection", "close")]
    }

    /// Go's words for a client timeout.
    static let timedOut = "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"

    /// Why a probe's exchange failed after the connect.
    enum ProbeFailure: Error, CustomStringConvertible {
        case timedOut
        case io(SystemError)
        case closed

        var description: String {
            switch self {
            case .timedOut: HTTPProbe.timedOut
            case .io(let error): error.description
            case .closed: "EOF"
            }
        }
    }

    /// Sends `request` on the connected socket `fd` (which it closes) and reads up to the end of the status line,
    /// blocking the calling thread until `deadline` at most.
    static func plainStatusLine(fd: Int32, request: String, deadline: ContinuousClock.Instant) -> Result<String, ProbeFailure> {
        defer { close(fd) }
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            return .failure(.io(SystemError.lastError("write")))
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !response.contains(UInt8(ascii: "\n")) {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return .failure(.timedOut) }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, left.pollMilliseconds(atLeast: 1)) == 1 else { return .failure(.timedOut) }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 { return .failure(.io(SystemError.lastError("read"))) }
            if count == 0 { break }
            response += buffer[..<count]
        }
        return firstLine(response)
    }

    /// The client TLS context of every HTTPS probe: no certificate verification, as upstream's prober.
    private static let tlsContext: Result<NIOSSLContext, any Error> = Result {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return try NIOSSLContext(configuration: configuration)
    }

    /// Speaks TLS over the connected socket `fd` (the channel owns and closes it), sends `request` and reads up to the
    /// end of the status line, until `deadline` at most.
    static func tlsStatusLine(fd: Int32, host: String, request: String, deadline: ContinuousClock.Instant) async throws -> String {
        let context = try tlsContext.get()
        // SNI carries a name only: an address probe (the usual, the pod's IP) sends none, as Go's client.
        var address = in6_addr()
        let serverName = inet_pton(AF_INET, host, &address) == 1 || inet_pton(AF_INET6, host, &address) == 1 ? nil : host
        let firstBytes = FirstBytes()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).withConnectedSocket(fd) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandlers([
                    firstBytes, NIOSSLClientHandler(context: context, serverHostname: serverName),
                ])
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        do {
            return try await exchange(channel, request: request, deadline: deadline)
        } catch let error as NIOSSLError {
            throw TLSFailure(error: error, recordHeader: firstBytes.bytes)
        }
    }

    /// Go's words for a TLS handshake the server's first bytes broke: an HTTP answer (the probe's scheme names the
    /// wrong protocol for the port), or anything else that is not a TLS record.
    struct TLSFailure: Error, CustomStringConvertible {
        let error: NIOSSLError
        let recordHeader: [UInt8]

        var description: String {
            if recordHeader.starts(with: Array("HTTP/".utf8)) { return "http: server gave HTTP response to HTTPS client" }
            if "\(error)".contains("WRONG_VERSION_NUMBER") { return "tls: first record does not look like a TLS handshake" }
            return "tls: \(error)"
        }
    }

    /// The first five bytes the server sent (a TLS record header, or not), seen before the TLS handler.
    final class FirstBytes: ChannelInboundHandler, RemovableChannelHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        private let seen = Mutex<[UInt8]>([])

        var bytes: [UInt8] { seen.withLock { $0 } }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            seen.withLock { seen in
                if seen.count < 5 { seen += buffer.readableBytesView.prefix(5 - seen.count) }
            }
            context.fireChannelRead(data)
        }
    }

    /// Writes `request` over the TLS channel and reads up to the end of the status line, until `deadline` at most.
    private static func exchange(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, request: String,
                                 deadline: ContinuousClock.Instant) async throws -> String {
        try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    do {
                        try await outbound.write(ByteBuffer(string: request))
                    } catch {
                        // A handshake that failed before the request went out closed the channel; the inbound side
                        // carries why (the TLS error), which says more than the write's "I/O on closed channel".
                        for try await _ in inbound {}
                        throw error
                    }
                    var response: [UInt8] = []
                    for try await chunk in inbound {
                        response += chunk.readableBytesView
                        if response.contains(UInt8(ascii: "\n")) { break }
                    }
                    return try firstLine(response).get()
                }
            }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            guard let line = try await group.next() ?? nil else {
                channel.channel.close(promise: nil)
                throw ProbeFailure.timedOut
            }
            return line
        }
    }

    /// The status line of a response's first bytes; a connection closed before any is Go's `EOF`.
    private static func firstLine(_ response: [UInt8]) -> Result<String, ProbeFailure> {
        guard !response.isEmpty else { return .failure(.closed) }
        return .success(String(decoding: response.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self))
    }
}

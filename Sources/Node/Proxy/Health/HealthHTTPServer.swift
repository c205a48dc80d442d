#if canImport(Glibc)
import Glibc
#endif
import LinuxSystem
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 server for the proxy's health answers: the `/healthz`/`/livez` server and one per
/// `healthCheckNodePort`. Every request gets the answer `respond` computes for its path.
///
/// The listening socket is opened by ``listen(host:port:namespace:)`` inside the network namespace the
/// proxy programs (a socket belongs to the namespace of the thread that creates it), then handed to NIO.
///
///     let server = try await HealthHTTPServer.start(host: "0.0.0.0", port: 10256, namespace: nil) { path in
///         HealthHTTPServer.Answer(status: 200, headers: [("Content-Type", "application/json")], body: "{}")
///     }
///     try await server.close()
public final class HealthHTTPServer: Sendable {
    /// What a request is answered with.
    public struct Answer: Sendable {
        /// The HTTP status code (200, 503, …).
        public var status: Int
        public var headers: [(String, String)]
        public var body: String

        public init(status: Int, headers: [(String, String)] = [], body: String) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    /// Where the server listens.
    public let host: String
    public let port: Int
    private let channel: any Channel

    private init(host: String, port: Int, channel: any Channel) {
        self.host = host
        self.port = port
        self.channel = channel
    }

    /// Listens on `host:port` (port 0: any free one, see ``port``) inside `namespace` (`nil`: the caller's)
    /// and answers every request with `respond(path)`.
    public static func start(
        host: String, port: Int, namespace: NetworkNamespace?, respond: @escaping @Sendable (String) -> Answer
    ) async throws -> HealthHTTPServer {
        let socket = try namespace.map { namespace in try namespace.run { try listen(host: host, port: port) } }
            ?? listen(host: host, port: port)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(AnswerHandler(respond: respond))
                    }
                }
                .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .withBoundSocket(socket)
                .get()
        } catch {
            Glibc.close(socket)
            throw error
        }
        let bound = channel.localAddress?.port ?? port
        return HealthHTTPServer(host: host, port: bound, channel: channel)
    }

    /// Stops listening (connections in flight finish on their own).
    public func close() async {
        try? await channel.close()
    }

    /// A bound, listening TCP socket on `host:port` (IPv4 or IPv6 by the address) in the calling thread's namespace.
    static func listen(host: String, port: Int) throws(ProxyError) -> Int32 {
        let six = host.contains(":")
        let fd = socket(six ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ProxyError(.listen, "could not open a socket for \(host):\(port): \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var result: Int32
        var parsed = false
        if six {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            parsed = inet_pton(AF_INET6, host, &address.sin6_addr) == 1
            result = parsed ? bind(fd, &address) : -1
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            parsed = inet_pton(AF_INET, host, &address.sin_addr) == 1
            result = parsed ? bind(fd, &address) : -1
        }
        guard parsed else {
            Glibc.close(fd)
            throw ProxyError(.listen, "\(host) is not an IP address")
        }
        if result == 0 { result = Glibc.listen(fd, 128) }
        guard result == 0 else {
            let message = String(cString: strerror(errno))
            Glibc.close(fd)
            throw ProxyError(.listen, "listen tcp \(six ? "[\(host)]" : host):\(port): bind: \(message.lowercased())")
        }
        return fd
    }
}

/// `bind(2)` with a `sockaddr_in`/`sockaddr_in6`.
private func bind<Address>(_ fd: Int32, _ address: inout Address) -> Int32 {
    withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<Address>.size)) }
    }
}

/// Answers each request with the server's ``HealthHTTPServer/Answer`` for its path, then keeps the
/// connection open for the next one as HTTP/1.1 does.
private final class AnswerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let respond: @Sendable (String) -> HealthHTTPServer.Answer

    init(respond: @escaping @Sendable (String) -> HealthHTTPServer.Answer) { self.respond = respond }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let request) = unwrapInboundIn(data) else { return }
        let path = String(request.uri.split(separator: "?", maxSplits: 1).first ?? "")
        let answer = respond(path)
        var headers = HTTPHeaders(answer.headers)
        headers.add(name: "Date", value: HTTPDate.now)
        headers.add(name: "Content-Length", value: "\(answer.body.utf8.count)")
        if !request.isKeepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: answer.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: answer.body)))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !request.isKeepAlive {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}

/// The `Date` header's format (RFC 7231 IMF-fixdate), as Go's net/http sends it.
enum HTTPDate {
    static var now: String {
        var time = time_t(Glibc.time(nil))
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

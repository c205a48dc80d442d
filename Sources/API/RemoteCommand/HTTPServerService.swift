import Glibc
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A Hummingbird HTTP server run as a `Service` — what `Application.run()` does: each request gets its context and a
/// request id, an error the responder throws becomes a 500, every response carries a `Date` header — except where
/// the `Date` value comes from: ``HTTPDateHeader`` formats it with the C library, where Hummingbird's date cache
/// builds a Foundation `Calendar`, whose default time zone loads ICU's time-zone tables into every daemon (1–2 MiB
/// of resident data; README "Node memory"). The API server, the kubelet's server, the runtime's streaming server and
/// the daemons' health endpoints all run on it.
public struct HTTPServerService<Responder: HTTPResponder>: Service
where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
    let responder: Responder
    let server: HTTPServerBuilder
    let configuration: ServerConfiguration
    let onServerRunning: @Sendable (any Channel) async -> Void
    let logger: Logger

    /// A server answering with `responder` on `address`; `onServerRunning` hears of the listening channel.
    public init(responder: Responder, server: HTTPServerBuilder = .http1(), address: BindAddress,
                onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }, logger: Logger) {
        self.responder = responder
        self.server = server
        configuration = ServerConfiguration(address: address, serverName: nil)
        self.onServerRunning = onServerRunning
        self.logger = logger
    }

    /// A server answering with what `router` builds.
    public init<Builder: HTTPResponderBuilder>(router: Builder, server: HTTPServerBuilder = .http1(), address: BindAddress,
                                               onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in },
                                               logger: Logger) where Builder.Responder == Responder {
        self.init(responder: router.buildResponder(), server: server, address: address, onServerRunning: onServerRunning, logger: logger)
    }

    /// Serves until the enclosing service group shuts down gracefully (open requests finish) or the task is cancelled.
    public func run() async throws {
        let date = HTTPDateHeader()
        let (responder, logger) = (responder, logger)
        let service = try server.buildServer(configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                                             logger: logger) { request, responseWriter, channel in
            var requestLogger = logger
            requestLogger[metadataKey: "hb.request.id"] = .stringConvertible(RequestID())
            let context = Responder.Context(source: .init(channel: channel, logger: requestLogger))
            var response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch let error as HTTPParserError {
                throw error
            } catch {
                requestLogger.debug("Unrecognised Error", metadata: ["error.type": "\(error)"])
                response = Response(status: .internalServerError, body: .init())
            }
            response.headers[.date] = date.value
            do {
                try await responseWriter.write(response: response.head, body: response.body)
            } catch is HTTPParserError {
                // The parser error would make the channel answer 400 after this response; any other error closes it.
                throw ParseErrorWhileWritingResponse()
            }
        } onServerRunning: { await onServerRunning($0) }
        try await ServiceGroup(configuration: .init(services: [date, service], logger: logger)).run()
    }
}

/// A request turned out malformed while its response was being written: the connection is closed without another
/// answer (Hummingbird's `HTTPChannelError.parseErrorWhileWritingResponse`, which it keeps to itself).
struct ParseErrorWhileWritingResponse: Error {}

/// The `Date` header's value (RFC 9110's IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`) for the current second,
/// formatted from `gmtime_r` once a second rather than for every response.
final class HTTPDateHeader: Service, Sendable {
    private let current: Mutex<String>

    init() { current = Mutex(Self.format(time(nil))) }

    /// The value for now (at most a second old).
    var value: String { current.withLock { $0 } }

    /// Refreshes the value every second until a graceful shutdown or cancellation, then returns without an error:
    /// a service that throws while its group shuts down fails the group.
    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                let formatted = Self.format(time(nil))
                self.current.withLock { $0 = formatted }
            }
        }
    }

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `seconds` since the epoch as an IMF-fixdate.
    static func format(_ seconds: time_t) -> String {
        var seconds = seconds
        var utc = tm()
        gmtime_r(&seconds, &utc)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(utc.tm_wday)]), \(two(utc.tm_mday)) \(months[Int(utc.tm_mon)]) \(1900 + utc.tm_year) "
            + "\(two(utc.tm_hour)):\(two(utc.tm_min)):\(two(utc.tm_sec)) GMT"
    }
}

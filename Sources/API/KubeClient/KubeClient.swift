import AsyncHTTPClient
import Foundation
import KubeAPI
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// A typed client for a Kubernetes-compatible API server: CRUD, patch, subresources and watch over HTTP/1.1
/// (AsyncHTTPClient), with TLS, client certificates and bearer tokens from `Configuration`.
///
/// Every controller, the scheduler, the kubelet and the proxy talk to the API server through it; on top of it
/// `Informer` keeps a watched cache and `WorkQueue` schedules reconciles. It holds no mutable state and is safe to
/// share between tasks.
///
/// ```swift
/// let client = try KubeClient(configuration: config, logger: logger)
/// let pod = try await client.get(Pod.self, name: "web", namespace: "default")
/// for try await event in client.watch(Pod.self, namespace: "default") { … }
/// try await client.shutdown()
/// ```
public final class KubeClient: Sendable {
    /// The configuration and the connection pool built from it; replaced together when the credentials rotate.
    private let state: Mutex<(configuration: Configuration, http: HTTPClient, shutDown: Bool)>
    let logger: Logger

    /// Where the client connects and how it authenticates (the current credentials, after any rotation).
    public var configuration: Configuration { state.withLock { $0.configuration } }
    /// The connection pool requests go through now.
    var http: HTTPClient { state.withLock { $0.http } }
    /// Whether `shutdown()` was called: nothing this client sends will be answered any more.
    var isShutDown: Bool { state.withLock { $0.shutDown } }

    /// Creates a client; TLS material in `configuration` is parsed here, so bad PEM fails early.
    public init(configuration: Configuration, logger: Logger) throws(KubeClientError) {
        self.logger = logger
        state = Mutex((configuration, try Self.makeHTTPClient(configuration, logger: logger), false))
    }

    private static func makeHTTPClient(_ configuration: Configuration, logger: Logger) throws(KubeClientError) -> HTTPClient {
        var http = HTTPClient.Configuration()
        http.timeout = HTTPClient.Configuration.Timeout(connect: configuration.connectTimeout.timeAmount)
        // A failed dial fails its request at once, with its error ("connection refused"), as client-go's does, instead
        // of being retried with back-off until the connect timeout: the callers that must keep trying (the heartbeat,
        // informers' reflectors) retry on their own schedules.
        http.connectionPool.retryConnectionEstablishment = false
        // The API server does not redirect; following one could leak the bearer token to another host.
        http.redirectConfiguration = .disallow
        // Every watch holds a connection (informers, the kubelet's watches of the objects its pods use): the default of
        // 8 per host would starve ordinary requests, which wait for a free connection until their deadline.
        http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 128
        if configuration.usesTLS { http.tlsConfiguration = try Self.tlsConfiguration(configuration) }
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http, backgroundActivityLogger: logger)
    }

    /// Shuts the client down without waiting, if `shutdown()` was not called (an HTTPClient must never be dropped
    /// while running).
    deinit {
        state.withLock { state in
            if !state.shutDown { _ = state.http.shutdown() }
        }
    }

    /// Closes connections; in-flight requests and watches fail.
    public func shutdown() async throws {
        let http = state.withLock { state -> HTTPClient? in
            guard !state.shutDown else { return nil }
            state.shutDown = true
            return state.http
        }
        try await http?.shutdown()
    }

    /// Switches to a new client certificate and key (PEM) without a new client, as the kubelet does after rotating
    /// its certificate: requests from now on go through connections that present the new certificate, and every
    /// connection made with the old one is closed — in-flight requests on them fail and watches end, so informers
    /// re-watch with the new credentials (upstream's kubelet closes its connections the same way), and the old
    /// certificate is not used again.
    public func updateClientCertificate(_ certificatePEM: Data, key keyPEM: Data) async throws(KubeClientError) {
        var next = configuration
        next.clientCertificate = certificatePEM
        next.clientKey = keyPEM
        let http = try Self.makeHTTPClient(next, logger: logger)
        let old = state.withLock { state -> HTTPClient? in
            guard !state.shutDown else { return nil }
            let old = state.http
            state.configuration = next
            state.http = http
            return old
        }
        guard let old else {
            try? await http.shutdown()
            throw .configuration("the client has been shut down")
        }
        try? await old.shutdown()
    }

    private static func tlsConfiguration(_ configuration: Configuration) throws(KubeClientError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        // Closing a connection waits this long for the server's close_notify (NIO's default, 5 s, made every
        // client shutdown against a TLS API server take 5 s).
        tls.shutdownTimeout = .milliseconds(300)
        do {
            if configuration.insecureSkipTLSVerify {
                tls.certificateVerification = .none
            } else if let ca = configuration.certificateAuthority {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca)))
            }
            if let cert = configuration.clientCertificate {
                guard let key = configuration.clientKey else {
                    throw KubeClientError.configuration("a client certificate needs a client key")
                }
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(cert)).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key), format: .pem))
            }
        } catch let error as KubeClientError {
            throw error
        } catch {
            throw .configuration("invalid TLS material: \(error)")
        }
        return tls
    }

    // MARK: Requests

    /// A request to send: verb, path below the server URL, query and body.
    struct Request: Sendable, CustomStringConvertible {
        var method: HTTPMethod
        var path: String
        var query: [(String, String)] = []
        var body: Data?
        var contentType = "application/json"

        /// `GET /api/v1/namespaces/default/pods`, for logs and errors.
        var description: String { "\(method.rawValue) \(path)" }
    }

    /// The full URL: server base (which may carry a path prefix) + path + encoded query.
    func url(for request: Request) -> String {
        var base = configuration.server.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        guard !request.query.isEmpty else { return base + request.path }
        let query = request.query.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return base + request.path + "?" + query
    }

    private static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    static func encode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: unreserved) ?? s
    }

    /// The HTTP request with authentication and content headers.
    func httpRequest(_ request: Request, accept: String = "application/json") -> HTTPClientRequest {
        var http = HTTPClientRequest(url: url(for: request))
        http.method = request.method
        http.headers.add(name: "Accept", value: accept)
        http.headers.add(name: "User-Agent", value: configuration.userAgent)
        if let token = configuration.bearerToken { http.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body = request.body {
            http.headers.add(name: "Content-Type", value: request.contentType)
            http.body = .bytes(ByteBuffer(bytes: body))
        }
        return http
    }

    /// Sends a request and returns the body of a 2xx response; anything else throws with the server's `Status`.
    func send(_ request: Request) async throws(KubeClientError) -> Data {
        let deadline = NIODeadline.now() + configuration.requestTimeout.timeAmount
        let start = ContinuousClock.now
        let code: Int
        let body: ByteBuffer
        do {
            let response = try await http.execute(httpRequest(request), deadline: deadline, logger: logger)
            code = Int(response.status.code)
            body = try await response.body.collect(upTo: 256 << 20)
        } catch {
            logger.debug("request failed", metadata: ["request": "\(request)", "error": "\(error)"])
            throw .transport(request: request.description, cause: KubeClientError.naming(error, server: configuration.server))
        }
        logger.trace("request", metadata: ["request": "\(request)", "code": "\(code)",
                                           "duration": "\(ContinuousClock.now - start)"])
        let bytes = Array(body.readableBytesView)
        guard (200..<300).contains(code) else {
            throw KubeClientError.fromResponse(code: code, body: bytes, request: request.description)
        }
        return Data(bytes)
    }

    /// Sends a request and decodes a 2xx body as `T`.
    func send<T: Decodable>(_ request: Request, as type: T.Type) async throws(KubeClientError) -> T {
        let data = try await send(request)
        do {
            return try KubeJSON.decode(T.self, from: data, omittingManagedFields: configuration.omitsManagedFields)
        } catch {
            throw .serialization(request: request.description, cause: error)
        }
    }

    /// Encodes a request body.
    static func body<T: Encodable>(_ value: T, for request: String) throws(KubeClientError) -> Data {
        do {
            return try KubeJSON.encode(value)
        } catch {
            throw .serialization(request: request, cause: error)
        }
    }
}

extension Duration {
    /// The same span as NIO's `TimeAmount`.
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

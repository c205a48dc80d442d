import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Images

/// A minimal registry that demands a bearer token, for the token flow the real loopback registry cannot do
/// without a JWT signing setup: `/v2/…` answers 401 with `WWW-Authenticate: Bearer realm=…/token`, `/token`
/// issues a token for basic credentials (GET) or an OAuth2 refresh token (POST), and manifests and blobs come
/// from the OCI layout `make-test-images.sh` caches (tag `v1` of `swiftlet-test/<name>` is the `<name>-v1`
/// entry). Blob requests are redirected to `http://localhost:<port>/direct/<digest>` (another host name), as registries
/// do to their storage, and
/// `/v2/<repo>/manifests/docker-v1` serves the shell manifest relabeled as Docker schema 2.
final class TokenRegistryStub: Sendable {
    static let token = "stub-token-4711"
    static let refreshToken = "stub-refresh-0815"
    let layout: String
    let user: String
    let password: String
    private let channel: Mutex<(any Channel)?> = Mutex(nil)
    private let port: Mutex<Int> = Mutex(0)
    /// `METHOD path authorization-scheme` of every request, for assertions about the flow.
    let requests: Mutex<[String]> = Mutex([])

    var host: String { "127.0.0.1:\(port.withLock { $0 })" }

    init(layout: String, user: String, password: String) {
        self.layout = layout
        self.user = user
        self.password = password
    }

    func start() async throws {
        let stub = self
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                do {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(stub: stub))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        let bound = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        channel.withLock { $0 = bound }
        port.withLock { $0 = bound.localAddress?.port ?? 0 }
    }

    func stop() async {
        let bound = channel.withLock { channel in
            defer { channel = nil }
            return channel
        }
        try? await bound?.close()
    }

    /// The answer to one request: status, headers, body.
    func respond(method: String, uri: String, headers: HTTPHeaders, body: [UInt8]) -> (HTTPResponseStatus, HTTPHeaders, [UInt8]) {
        let authorization = headers.first(name: "Authorization") ?? ""
        let path = String(uri.split(separator: "?", maxSplits: 1).first ?? "")
        requests.withLock { $0.append("\(method) \(uri) \(authorization.split(separator: " ").first ?? "-")") }
        func json(_ status: HTTPResponseStatus, _ object: String, _ extra: [(String, String)] = []) -> (HTTPResponseStatus, HTTPHeaders, [UInt8]) {
            (status, HTTPHeaders([("Content-Type", "application/json")] + extra), Array(object.utf8))
        }
        if path == "/token" {
            if method == "POST" {
                let form = String(decoding: body, as: UTF8.self)
                guard form.contains("grant_type=refresh_token"), form.contains("refresh_token=\(TokenRegistryStub.refreshToken)") else {
                    return json(.unauthorized, #"{"error":"invalid refresh token"}"#)
                }
                return json(.ok, #"{"access_token":"\#(TokenRegistryStub.token)"}"#)
            }
            let expected = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
            guard authorization == expected, uri.contains("scope=repository") else {
                return json(.unauthorized, #"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials for token"}]}"#)
            }
            return json(.ok, #"{"token":"\#(TokenRegistryStub.token)","expires_in":300}"#)
        }
        if path.hasPrefix("/direct/"), let digest = Digest(String(path.dropFirst(8))),
           let data = FileManager.default.contents(atPath: layout + "/blobs/sha256/" + digest.hex) {
            return (.ok, HTTPHeaders([("Content-Type", "application/octet-stream")]), Array(data))
        }
        guard path.hasPrefix("/v2/") else { return json(.notFound, #"{"errors":[{"code":"NOT_FOUND","message":"not found"}]}"#) }
        guard authorization == "Bearer \(TokenRegistryStub.token)" else {
            let repository = path.dropFirst(4).components(separatedBy: "/manifests/").first?.components(separatedBy: "/blobs/").first ?? ""
            return json(.unauthorized, #"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
                        [("WWW-Authenticate", #"Bearer realm="http://\#(host)/token",service="stub",scope="repository:\#(repository):pull""#)])
        }
        let parts = path.dropFirst(4).components(separatedBy: "/")
        guard parts.count >= 4 else { return json(.notFound, #"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#) }
        let name = parts[parts.count - 3], kind = parts[parts.count - 2], reference = parts[parts.count - 1]
        if kind == "blobs" {
            // Another host name for the same server: the client must not send the token there.
            return (.temporaryRedirect, HTTPHeaders([("Location", "http://localhost:\(port.withLock { $0 })/direct/\(reference)")]), [])
        }
        if reference == "docker-v1", let converted = dockerSchema2(of: "shell-v1") {
            return (.ok, HTTPHeaders([("Content-Type", MediaType.dockerManifest), ("Docker-Content-Digest", Digest(of: converted).description)]), converted)
        }
        let digest: Digest?
        if let pinned = Digest(reference) { digest = pinned } else { digest = taggedManifest("\(name)-\(reference)") }
        guard let digest, let data = FileManager.default.contents(atPath: layout + "/blobs/sha256/" + digest.hex) else {
            return json(.notFound, #"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#)
        }
        struct Probe: Decodable { var mediaType: String? }
        let mediaType = (try? JSONDecoder().decode(Probe.self, from: data))?.mediaType ?? MediaType.ociManifest
        return (.ok, HTTPHeaders([("Content-Type", mediaType), ("Docker-Content-Digest", digest.description)]), Array(data))
    }

    private func taggedManifest(_ refName: String) -> Digest? {
        guard let data = FileManager.default.contents(atPath: layout + "/index.json"),
              let index = try? JSONDecoder().decode(ImageIndex.self, from: data) else { return nil }
        return index.manifests.first { $0.annotations?["org.opencontainers.image.ref.name"] == refName }?.digest
    }

    /// The OCI manifest of `refName` with Docker schema-2 media types (the blobs are the same bytes).
    private func dockerSchema2(of refName: String) -> [UInt8]? {
        guard let digest = taggedManifest(refName),
              let data = FileManager.default.contents(atPath: layout + "/blobs/sha256/" + digest.hex),
              var manifest = try? JSONDecoder().decode(ImageManifest.self, from: data) else { return nil }
        manifest.mediaType = MediaType.dockerManifest
        manifest.config.mediaType = MediaType.dockerConfig
        for index in manifest.layers.indices { manifest.layers[index].mediaType = MediaType.dockerLayerGzip }
        return (try? JSONEncoder().encode(manifest)).map(Array.init)
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let stub: TokenRegistryStub
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(stub: TokenRegistryStub) { self.stub = stub }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else { return }
                let (status, headers, bytes) = stub.respond(method: head.method.rawValue, uri: head.uri, headers: head.headers, body: body)
                var responseHeaders = headers
                responseHeaders.add(name: "Content-Length", value: "\(bytes.count)")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: responseHeaders))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}

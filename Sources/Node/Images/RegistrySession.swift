import AsyncHTTPClient
import Crypto
import Foundation
import GoNet
import LinuxSystem
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
#if canImport(Glibc)
import Glibc
#endif

/// One repository on one registry, for the length of a pull: speaks the distribution API
/// (`/v2/<name>/manifests/<ref>`, `/v2/<name>/blobs/<digest>`) over the configured endpoints (mirrors first),
/// answers auth challenges (basic, bearer token from the realm, identity/registry tokens as containerd does),
/// follows redirects itself so credentials never leave the registry's host, and verifies every digest.
actor RegistrySession: ContentProvider {
    private let endpoints: [RegistryConfiguration.Endpoint]
    private let repository: String
    private let credentials: RegistryCredentials?
    private let logger: Logger
    private var clients: [String: HTTPClient] = [:]
    /// `Authorization` values that worked (or were issued) per endpoint host.
    private var authorizations: [String: String] = [:]

    static let manifestLimit = 8 << 20
    static let userAgent = "swiftlet/1.0"

    init(endpoints: [RegistryConfiguration.Endpoint], repository: String, credentials: RegistryCredentials?, logger: Logger) {
        self.endpoints = endpoints
        self.repository = repository
        self.credentials = credentials
        self.logger = logger
    }

    /// Shuts down the HTTP clients; call once done.
    func close() async {
        for client in clients.values { try? await client.shutdown() }
        clients = [:]
    }

    // MARK: - ContentProvider

    func manifest(_ reference: String) async throws -> FetchedManifest {
        let expected = Digest(reference)
        return try await withEndpoints { endpoint in
            let response = try await self.send(endpoint, path: "/v2/\(self.repository)/manifests/\(reference)",
                                               accept: MediaType.manifestAccept.joined(separator: ", "), timeout: .seconds(60))
            let what = "manifest \(self.repository):\(reference) from \(endpoint)"
            let body: ByteBuffer
            do { body = try await response.body.collect(upTo: RegistrySession.manifestLimit) } catch {
                throw ImageError(.network, "cannot read \(what)", cause: error)
            }
            let bytes = Array(buffer: body)
            let digest = Digest(of: bytes)
            if let expected, expected != digest {
                throw ImageError(.digestMismatch, "\(what): content has digest \(digest), expected \(expected)")
            }
            if let header = response.headers.first(name: "Docker-Content-Digest"), let claimed = Digest(header), claimed != digest {
                throw ImageError(.digestMismatch, "\(what): content has digest \(digest), registry says \(claimed)")
            }
            var mediaType = response.headers.first(name: "Content-Type")?.split(separator: ";").first
                .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if let declared = (try? JSONDecoder().decode(MediaTypeProbe.self, from: Data(bytes)))?.mediaType {
                mediaType = declared
            } else if !MediaType.isIndex(mediaType), !MediaType.isManifest(mediaType) {
                // OCI manifests may omit mediaType; the shape tells.
                if let probe = try? JSONDecoder().decode(MediaTypeProbe.self, from: Data(bytes)) {
                    mediaType = probe.manifests != nil ? MediaType.ociIndex : probe.config != nil ? MediaType.ociManifest : mediaType
                }
            }
            guard MediaType.isIndex(mediaType) || MediaType.isManifest(mediaType) else {
                throw ImageError(.unsupportedMediaType, "\(what) has unsupported media type \"\(mediaType)\"")
            }
            return FetchedManifest(bytes: bytes, mediaType: mediaType, digest: digest)
        }
    }

    func blob(_ descriptor: Descriptor, to path: String, progress: @Sendable (Int64) -> Void) async throws {
        try await withEndpoints { endpoint in
            let response = try await self.send(endpoint, path: "/v2/\(self.repository)/blobs/\(descriptor.digest)",
                                               accept: "*/*", timeout: .hours(2))
            try await self.write(response, descriptor: descriptor, to: path, from: endpoint, progress: progress)
        }
    }

    private struct MediaTypeProbe: Decodable {
        var mediaType: String?
        var manifests: [Descriptor]?
        var config: Descriptor?
    }

    // MARK: - Blob streaming

    private func write(_ response: HTTPClientResponse, descriptor: Descriptor, to path: String,
                       from endpoint: RegistryConfiguration.Endpoint, progress: @Sendable (Int64) -> Void) async throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ImageError(.io, "cannot create \(path)", cause: SystemError(errno: errno, operation: "open", context: path)) }
        var hasher = SHA256()
        var written: Int64 = 0
        var lastReport: Int64 = 0
        do {
            defer { Glibc.close(fd) }
            for try await chunk in response.body {
                try chunk.withUnsafeReadableBytes { bytes in
                    hasher.update(bufferPointer: bytes)
                    var offset = 0
                    while offset < bytes.count {
                        let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                        if n < 0 {
                            if errno == EINTR { continue }
                            throw ImageError(.io, "cannot write \(path)", cause: SystemError(errno: errno, operation: "write", context: path))
                        }
                        offset += n
                    }
                }
                written += Int64(chunk.readableBytes)
                if written > descriptor.size {
                    throw ImageError(.digestMismatch, "blob \(descriptor.digest) from \(endpoint) is larger than its \(descriptor.size) bytes")
                }
                if written - lastReport >= 4 << 20 { lastReport = written; progress(written) }
            }
        } catch let error as ImageError {
            throw error
        } catch {
            throw ImageError(.network, "download of blob \(descriptor.digest) from \(endpoint) failed after \(written) bytes", cause: error)
        }
        progress(written)
        let digest = Digest(hasher.finalize())
        guard written == descriptor.size, digest == descriptor.digest else {
            throw ImageError(.digestMismatch, "blob from \(endpoint) has digest \(digest) (\(written) bytes), expected \(descriptor.digest) (\(descriptor.size) bytes)")
        }
    }

    // MARK: - Requests

    /// Tries each endpoint in turn; the first success wins, otherwise the error of the last endpoint (the
    /// registry itself) is thrown. Any failure of a mirror falls through to the next endpoint, as in containerd.
    private func withEndpoints<T: Sendable>(_ body: (RegistryConfiguration.Endpoint) async throws -> T) async throws -> T {
        var lastError: (any Error)?
        for endpoint in endpoints {
            do { return try await body(endpoint) } catch {
                lastError = error
                logger.debug("registry endpoint failed", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
            }
        }
        throw lastError ?? ImageError(.notFound, "no registry endpoint configured for \(repository)")
    }

    /// GET `path` on `endpoint` with authentication and redirects; returns a 2xx response (its body unread) or
    /// throws the registry's error.
    private func send(_ endpoint: RegistryConfiguration.Endpoint, path: String, accept: String,
                      timeout: TimeAmount) async throws -> HTTPClientResponse {
        var url = endpoint.baseURL + path
        var sameHost = true
        var retriedAuth = false
        var redirects = 0
        while true {
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            request.headers.add(name: "Accept", value: accept)
            request.headers.add(name: "User-Agent", value: RegistrySession.userAgent)
            if sameHost, let authorization = authorizations[endpoint.host] {
                request.headers.add(name: "Authorization", value: authorization)
            }
            let response: HTTPClientResponse
            do {
                response = try await client(for: endpoint).execute(request, timeout: timeout)
            } catch {
                // containerd's words when the registry cannot be reached (`failed to do request: Head "…": dial tcp:
                // lookup registry.example: no such host`), the dial failure Go's way.
                if let components = URLComponents(string: url), let host = components.host,
                   let dial = DialError(error, host: host, port: components.port ?? (components.scheme == "http" ? 80 : 443)) {
                    throw ImageError(.network, "failed to do request: Get \"\(url)\": \(dial)")
                }
                throw ImageError(.network, "GET \(url) failed", cause: error)
            }
            let status = Int(response.status.code)
            switch status {
            case 200..<300:
                return response
            case 301, 302, 303, 307, 308:
                guard redirects < 10, let location = response.headers.first(name: "Location"),
                      let next = URL(string: location, relativeTo: URL(string: url))?.absoluteURL else {
                    throw ImageError(.registry(status: status), "GET \(url): bad or too many redirects")
                }
                _ = try? await response.body.collect(upTo: 1 << 20)
                redirects += 1
                sameHost = sameHost && next.host == URL(string: url)?.host && next.port == URL(string: url)?.port
                url = next.absoluteString
                continue
            case 401 where !retriedAuth && sameHost:
                let body = try? await response.body.collect(upTo: 1 << 20)
                let challenges = response.headers["WWW-Authenticate"].compactMap(AuthChallenge.init(header:))
                guard let authorization = try await authorize(endpoint, challenges: challenges) else {
                    throw registryError(status: status, url: url, body: body, hint: credentialsHint(endpoint))
                }
                authorizations[endpoint.host] = authorization
                retriedAuth = true
                continue
            default:
                let body = try? await response.body.collect(upTo: 1 << 20)
                throw registryError(status: status, url: url, body: body, hint: status == 401 ? credentialsHint(endpoint) : "")
            }
        }
    }

    private func credentialsHint(_ endpoint: RegistryConfiguration.Endpoint) -> String {
        (credentials ?? endpoint.credentials).map { $0.isEmpty ? " (no credentials given)" : " (credentials refused)" }
            ?? " (no credentials given)"
    }

    /// The `Authorization` header answering the challenges, or nil when there is nothing to answer with.
    private func authorize(_ endpoint: RegistryConfiguration.Endpoint, challenges: [AuthChallenge]) async throws -> String? {
        let credentials = self.credentials ?? endpoint.credentials
        if let bearer = challenges.first(where: { $0.scheme == "bearer" }) {
            if let token = credentials?.registryToken, !token.isEmpty { return "Bearer " + token }
            return "Bearer " + (try await fetchToken(endpoint, challenge: bearer, credentials: credentials))
        }
        if challenges.contains(where: { $0.scheme == "basic" }), let basic = credentials?.basic {
            return "Basic " + Data("\(basic.user):\(basic.password)".utf8).base64EncodedString()
        }
        return nil
    }

    private struct TokenAnswer: Decodable {
        var token: String?
        var accessToken: String?
        enum CodingKeys: String, CodingKey {
            case token
            case accessToken = "access_token"
        }
    }

    /// The bearer token flow: GET the realm with `service` and `scope` (basic auth when there are credentials),
    /// or, with an identity token, the OAuth2 refresh-token POST.
    private func fetchToken(_ endpoint: RegistryConfiguration.Endpoint, challenge: AuthChallenge,
                            credentials: RegistryCredentials?) async throws -> String {
        guard let realm = challenge.parameters["realm"], var components = URLComponents(string: realm) else {
            throw ImageError(.unauthorized, "bearer challenge from \(endpoint) has no realm")
        }
        let scope = challenge.parameters["scope"] ?? "repository:\(repository):pull"
        let service = challenge.parameters["service"]
        var request: HTTPClientRequest
        if let identity = credentials?.identityToken, !identity.isEmpty {
            request = HTTPClientRequest(url: realm)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            var form = URLComponents()
            form.queryItems = [URLQueryItem(name: "grant_type", value: "refresh_token"),
                               URLQueryItem(name: "refresh_token", value: identity),
                               URLQueryItem(name: "client_id", value: "swiftlet"),
                               URLQueryItem(name: "scope", value: scope)] + (service.map { [URLQueryItem(name: "service", value: $0)] } ?? [])
            request.body = .bytes(ByteBuffer(string: form.percentEncodedQuery ?? ""))
        } else {
            components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "scope", value: scope)]
                + (service.map { [URLQueryItem(name: "service", value: $0)] } ?? [])
            guard let url = components.url?.absoluteString else { throw ImageError(.unauthorized, "bad token realm \(realm)") }
            request = HTTPClientRequest(url: url)
            request.method = .GET
            if let basic = credentials?.basic {
                request.headers.add(name: "Authorization", value: "Basic " + Data("\(basic.user):\(basic.password)".utf8).base64EncodedString())
            }
        }
        request.headers.add(name: "User-Agent", value: RegistrySession.userAgent)
        let response: HTTPClientResponse
        do { response = try await client(for: endpoint).execute(request, timeout: .seconds(60)) } catch {
            throw ImageError(.network, "token request to \(realm) failed", cause: error)
        }
        let body = try? await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw registryError(status: Int(response.status.code), url: realm, body: body, hint: " (token request)")
        }
        guard let body, let answer = try? JSONDecoder().decode(TokenAnswer.self, from: Data(body.readableBytesView)),
              let token = answer.token ?? answer.accessToken, !token.isEmpty else {
            throw ImageError(.unauthorized, "token realm \(realm) answered without a token")
        }
        logger.debug("got registry token", metadata: ["realm": "\(realm)", "scope": "\(scope)"])
        return token
    }

    private func client(for endpoint: RegistryConfiguration.Endpoint) throws -> HTTPClient {
        let key = "\(endpoint.insecureSkipVerify)|\(endpoint.caFile ?? "")"
        if let client = clients[key] { return client }
        var tls = TLSConfiguration.makeClientConfiguration()
        if endpoint.insecureSkipVerify { tls.certificateVerification = .none }
        if let caFile = endpoint.caFile { tls.trustRoots = .file(caFile) }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(120)))
        // Fail fast on a refused connection, as containerd does: a dead mirror falls through to the next
        // endpoint at once, and the kubelet retries whole pulls with its own back-off.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        clients[key] = client
        return client
    }

    // MARK: - Errors

    private struct ErrorBody: Decodable {
        struct Entry: Decodable {
            var code: String?
            var message: String?
        }
        var errors: [Entry]?
    }

    /// Maps a status and the registry's JSON error body (`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`).
    private func registryError(status: Int, url: String, body: ByteBuffer?, hint: String) -> ImageError {
        var detail = ""
        if let body {
            if let parsed = try? JSONDecoder().decode(ErrorBody.self, from: Data(body.readableBytesView)), let errors = parsed.errors, !errors.isEmpty {
                detail = errors.map { [$0.message, $0.code.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ") }.joined(separator: "; ")
            } else {
                detail = String(buffer: body).prefix(200).trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        let message = "GET \(url): HTTP \(status)" + (detail.isEmpty ? "" : ": \(detail)") + hint
        switch status {
        case 404: return ImageError(.notFound, message)
        case 401, 403: return ImageError(.unauthorized, message)
        default: return ImageError(.registry(status: status), message)
        }
    }
}

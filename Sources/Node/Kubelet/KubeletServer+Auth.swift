import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOSSL
import RemoteCommand

extension KubeletAuth {
    /// Checks a request the HTTP stack parsed; throws the refusal as a response.
    func check(_ request: Request, channel: any Channel) async throws {
        if let refusal = await refusal(method: request.method.rawValue, path: request.uri.path,
                                       authorization: request.headers[.authorization],
                                       clientCertificate: await PeerCertificate.der(channel)) {
            throw refusal
        }
    }

    /// Checks a connection's first upgrade request before Hummingbird sees it (WebSocket or SPDY): the refusal as
    /// upstream's plain-text answer, or nil.
    func refusal(_ head: UpgradeRequestHead) async -> StreamUpgradeDecision? {
        let authorization = head.headers.first { $0.name.caseInsensitiveCompare("Authorization") == .orderedSame }?.value
        guard let refusal = await refusal(method: head.method, path: head.path, authorization: authorization,
                                          clientCertificate: head.clientCertificate) else { return nil }
        return .text(refusal.statusCode, refusal.message)
    }
}

/// A refusal answers with its status and upstream's plain-text message.
extension KubeletAuth.Refusal: HTTPResponseError {
    var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: message)))
    }
}

/// Authenticates and authorizes every request to the kubelet's HTTP routes (see `KubeletAuth`).
struct KubeletAuthMiddleware: RouterMiddleware {
    typealias Context = PeerRequestContext
    let auth: KubeletAuth

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await auth.check(request, channel: context.channel)
        return try await next(request, context)
    }
}

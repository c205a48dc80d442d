import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOSSL

/// A request context that keeps the connection, so the handler can read the client certificate the TLS layer
/// verified (x509 client authentication).
struct PeerRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The DER bytes of the verified client certificate, nil without TLS or when none was presented.
    func clientCertificate() async -> [UInt8]? {
        await PeerCertificate.der(channel)
    }
}

/// The same for the WebSocket routes (exec, port-forward).
struct StreamRequestContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }

    func clientCertificate() async -> [UInt8]? {
        await PeerCertificate.der(channel)
    }
}

enum PeerCertificate {
    static func der(_ channel: any Channel) async -> [UInt8]? {
        guard let certificate = try? await channel.nioSSL_peerCertificate().get() else { return nil }
        return try? certificate.toDERBytes()
    }
}

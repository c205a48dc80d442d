import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOSSL

/// A Hummingbird request context that keeps the connection, so a handler or middleware can read the client
/// certificate the TLS layer verified (x509 client authentication) — the API server's and the kubelet port's.
public struct PeerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The DER bytes of the verified client certificate, nil without TLS or when none was presented.
    public func clientCertificate() async -> [UInt8]? {
        await PeerCertificate.der(channel)
    }
}

/// The same for WebSocket routes (exec, attach, port-forward).
public struct PeerStreamRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }

    public func clientCertificate() async -> [UInt8]? {
        await PeerCertificate.der(channel)
    }
}

/// The client certificate of a connection, as the TLS layer verified it.
public enum PeerCertificate {
    /// DER bytes, nil without TLS or when the client presented none.
    public static func der(_ channel: any Channel) async -> [UInt8]? {
        guard let certificate = try? await channel.nioSSL_peerCertificate().get() else { return nil }
        return try? certificate.toDERBytes()
    }
}

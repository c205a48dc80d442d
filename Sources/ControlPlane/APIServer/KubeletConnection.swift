import AsyncHTTPClient
import ClusterPKI
import NIOCore
import NIOSSL
import Synchronization

/// How the API server reaches kubelets (`pods/log`, `exec`, `attach`, `portforward`): over HTTPS, presenting a
/// client certificate in `system:masters` (kubeadm's `apiserver-kubelet-client`), which the kubelet checks against
/// the cluster CA; the kubelet's self-signed serving certificate is not verified, as upstream without
/// `--kubelet-certificate-authority`. Plain HTTP when the server itself runs with `--insecure-http`.
///
/// The HTTPS client is made at first use and closed by ``shutdown()`` when the server stops. ``renew(_:)`` swaps in
/// a new client certificate (as upstream reloads `--kubelet-client-certificate`): new requests and streams use it,
/// the connections made with the old one are closed a minute later (upstream lets them run their course).
final class KubeletConnection: Sendable {
    private let state: Mutex<(tls: TLSConfiguration?, certificate: IssuedCertificate?, client: HTTPClient?)>

    static let plain = KubeletConnection(tls: nil)

    init(tls: TLSConfiguration?, certificate: IssuedCertificate? = nil) {
        state = Mutex((tls, certificate, nil))
    }

    convenience init(clientCertificate issued: IssuedCertificate) throws {
        self.init(tls: try Self.tlsConfiguration(issued), certificate: issued)
    }

    private static func tlsConfiguration(_ issued: IssuedCertificate) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(issued.certificatePEM.utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(issued.keyPEM.utf8), format: .pem))
        tls.shutdownTimeout = .milliseconds(300)
        return tls
    }

    /// TLS for kubelet connections (streams dial with it); nil over plain HTTP.
    var tls: TLSConfiguration? { state.withLock { $0.tls } }

    /// The client certificate presented to kubelets; nil over plain HTTP.
    var certificate: IssuedCertificate? { state.withLock { $0.certificate } }

    /// The HTTP client for kubelet requests: the shared one for plain HTTP, else this connection's own.
    var http: HTTPClient {
        state.withLock { state in
            guard let tls = state.tls else { return .shared }
            if let client = state.client { return client }
            var configuration = HTTPClient.Configuration()
            configuration.tlsConfiguration = tls
            let made = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            state.client = made
            return made
        }
    }

    /// Presents `issued` from now on; the previous client's connections are closed after `grace`.
    func renew(_ issued: IssuedCertificate, grace: Duration = .seconds(60)) throws {
        let tls = try Self.tlsConfiguration(issued)
        let old = state.withLock { state in
            defer { state = (tls, issued, nil) }
            return state.client
        }
        if let old {
            Task {
                try? await Task.sleep(for: grace)
                try? await old.shutdown()
            }
        }
    }

    /// Closes the HTTPS client's connections, if one was made.
    func shutdown() async {
        let made = state.withLock { state in
            defer { state.client = nil }
            return state.client
        }
        try? await made?.shutdown()
    }

    var scheme: String { tls == nil ? "http" : "https" }
    var webSocketScheme: String { tls == nil ? "ws" : "wss" }
}

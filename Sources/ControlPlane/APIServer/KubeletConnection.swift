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
/// The HTTPS client is made at first use and closed by ``shutdown()`` when the server stops.
final class KubeletConnection: Sendable {
    let tls: TLSConfiguration?
    private let client = Mutex<HTTPClient?>(nil)

    static let plain = KubeletConnection(tls: nil)

    init(tls: TLSConfiguration?) {
        self.tls = tls
    }

    convenience init(clientCertificate issued: IssuedCertificate) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(issued.certificatePEM.utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(issued.keyPEM.utf8), format: .pem))
        tls.shutdownTimeout = .milliseconds(300)
        self.init(tls: tls)
    }

    /// The HTTP client for kubelet requests: the shared one for plain HTTP, else this connection's own.
    var http: HTTPClient {
        guard let tls else { return .shared }
        return client.withLock { client in
            if let client { return client }
            var configuration = HTTPClient.Configuration()
            configuration.tlsConfiguration = tls
            let made = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            client = made
            return made
        }
    }

    /// Closes the HTTPS client's connections, if one was made.
    func shutdown() async {
        let made = client.withLock { client in
            defer { client = nil }
            return client
        }
        try? await made?.shutdown()
    }

    var scheme: String { tls == nil ? "http" : "https" }
    var webSocketScheme: String { tls == nil ? "ws" : "wss" }
}

import AsyncHTTPClient
import ClusterPKI
import NIOCore
import NIOSSL

/// How the API server reaches kubelets (`pods/log`, `exec`, `portforward`, `nodes/proxy`): over HTTPS, presenting a
/// client certificate in `system:masters` (kubeadm's `apiserver-kubelet-client`), which the kubelet checks against
/// the cluster CA; the kubelet's self-signed serving certificate is not verified, as upstream without
/// `--kubelet-certificate-authority`. Plain HTTP when the server itself runs with `--insecure-http`.
struct KubeletConnection: Sendable {
    let tls: TLSConfiguration?
    let http: HTTPClient

    static let plain = KubeletConnection(tls: nil, http: .shared)

    init(tls: TLSConfiguration?, http: HTTPClient) {
        self.tls = tls
        self.http = http
    }

    init(clientCertificate issued: IssuedCertificate) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(issued.certificatePEM.utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(issued.keyPEM.utf8), format: .pem))
        tls.shutdownTimeout = .milliseconds(300)
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        self.init(tls: tls, http: HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration))
    }

    var scheme: String { tls == nil ? "http" : "https" }
    var webSocketScheme: String { tls == nil ? "ws" : "wss" }
}

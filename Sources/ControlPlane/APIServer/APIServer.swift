import RemoteCommand
import ClusterPKI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import KubeAPI
import Logging
import NIOCore
import Prometheus
import ResourceMetrics
import ServiceLifecycle
import UnixSignals
import Store

/// The Kubernetes-compatible API server: serves every registered kind over HTTP from a `Store`.
///
/// ```swift
/// let server = try await APIServer(configuration: .init(dataDirectory: "/var/lib/swiftlet"), logger: logger)
/// try await server.run()
/// ```
public final class APIServer: Sendable {
    /// Where and how the server listens and keeps its state.
    public struct Configuration: Sendable {
        public var dataDirectory: String
        public var host: String
        public var port: Int
        /// The Service ClusterIP range.
        public var serviceCIDR: String
        public var nodePortRange: ClosedRange<Int>
        /// The store; nil: the embedded SQLite database `state.db` in `dataDirectory`.
        public var store: StoreLocation?
        /// How much watch history the store keeps and how often it compacts.
        public var retention: StoreRetention
        /// How long an Event lives after its last write (kube-apiserver's `--event-ttl`, 1 h); nil keeps Events.
        public var eventTTL: Duration?
        /// The cluster DNS server's address, when `swiftlet server` runs one: the server then keeps the
        /// `kube-system/kube-dns` Service and its EndpointSlice pointing there (see `KubeDNSObjects`).
        public var clusterDNS: ClusterDNSEndpoint?
        /// Where pods reach this server (`--advertise-address`): the address it keeps among the `kubernetes` Service's
        /// endpoints (see `KubernetesEndpointsReconciler`); nil: the listen host when that is a specific, non-loopback
        /// IPv4 address, otherwise none.
        public var advertiseAddress: String?
        /// HTTPS with the cluster's certificates and authentication; nil: plain HTTP where every request acts with
        /// full rights (`--insecure-http`, for labs and benchmarks only).
        public var tls: TLSOptions?
        /// How often the built-in metrics server scrapes every Ready node's kubelet (`/metrics/resource`) for the
        /// metrics.k8s.io API `kubectl top` reads (metrics-server's `--metric-resolution`, 15 s); nil serves no
        /// metrics.k8s.io.
        public var metricResolution: Duration?

        public init(dataDirectory: String, host: String = "127.0.0.1", port: Int = 6443,
                    serviceCIDR: String = "10.96.0.0/12", nodePortRange: ClosedRange<Int> = 30000...32767,
                    store: StoreLocation? = nil, retention: StoreRetention = .init(), clusterDNS: ClusterDNSEndpoint? = nil,
                    advertiseAddress: String? = nil, tls: TLSOptions? = TLSOptions(), eventTTL: Duration? = .seconds(3600),
                    metricResolution: Duration? = .seconds(15)) {
            self.metricResolution = metricResolution
            self.advertiseAddress = advertiseAddress
            self.dataDirectory = dataDirectory
            self.eventTTL = eventTTL
            self.store = store
            self.host = host
            self.port = port
            self.serviceCIDR = serviceCIDR
            self.nodePortRange = nodePortRange
            self.retention = retention
            self.clusterDNS = clusterDNS
            self.tls = tls
        }
    }

    /// How the server secures its port: the serving certificate's extra names and the cluster token that shares the
    /// CA between the servers of one store (see `ClusterSecrets`).
    public struct TLSOptions: Sendable {
        /// Extra DNS names or IP addresses for the serving certificate (`--tls-san`).
        public var subjectAlternativeNames: [String]
        /// The cluster token; nil: `DATA_DIR/token`, created on first start.
        public var token: String?
        /// For the `kubernetes.default.svc.<domain>` name.
        public var clusterDomain: String
        /// How long the certificates the server issues itself last: its serving certificate, the admin's and its own
        /// components' client certificates, the kubelet-client certificate (kubeadm's `certificateValidityPeriod`,
        /// a year). Each is re-issued when a fifth of its lifetime is left.
        public var certificateValidity: Duration
        /// How often those certificates' remaining lifetime is checked: hourly, or every twentieth of
        /// `certificateValidity` when that is shorter.
        public var rotationCheckInterval: Duration
        /// Requests without credentials act as `system:anonymous` (`--anonymous-auth`); otherwise they get 401.
        public var anonymousAuth: Bool
        /// Upstream's static token CSV (`--token-auth-file`).
        public var tokenAuthFile: String?
        /// Bootstrap tokens from `kube-system/bootstrap-token-<id>` Secrets authenticate (`--enable-bootstrap-token-auth`).
        public var bootstrapTokenAuth: Bool

        public init(subjectAlternativeNames: [String] = [], token: String? = nil, clusterDomain: String = "cluster.local",
                    certificateValidity: Duration = CertificateRequest.defaultValidity, anonymousAuth: Bool = false,
                    tokenAuthFile: String? = nil, bootstrapTokenAuth: Bool = false) {
            self.subjectAlternativeNames = subjectAlternativeNames
            self.token = token
            self.clusterDomain = clusterDomain
            self.certificateValidity = certificateValidity
            rotationCheckInterval = min(.seconds(3600), certificateValidity / 20)
            self.anonymousAuth = anonymousAuth
            self.tokenAuthFile = tokenAuthFile
            self.bootstrapTokenAuth = bootstrapTokenAuth
        }
    }

    /// Where cluster DNS is served: the address the `kube-dns` EndpointSlice names and the port it serves on.
    public struct ClusterDNSEndpoint: Sendable, Equatable {
        public var address: String
        public var port: Int

        public init(address: String, port: Int = 53) {
            self.address = address
            self.port = port
        }
    }

    public let configuration: Configuration
    let store: any ManagedStore
    let router: APIRouter
    let core: ServerCore
    let kubeDNS: KubeDNSObjects?
    let registry: ResourceRegistry
    let pki: ServerPKI?
    let rbac: RBACAuthorizer?
    let logger: Logger
    /// The built-in metrics server's usage, filled by its scraper (nil: off).
    let resourceMetrics: MetricsStorage?

    /// - Parameter metrics: the registry `/metrics` exports; pass the one swift-metrics was bootstrapped with to
    ///   export what the components running alongside record as well.
    public init(configuration: Configuration, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                logger: Logger) async throws {
        self.configuration = configuration
        self.logger = logger
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let location = configuration.store ?? .sqlite(path: configuration.dataDirectory + "/state.db")
        store = try await location.open(retention: configuration.retention, logger: logger)
        var admission = AdmissionContext(serviceIPs: try ServiceIPAllocator(cidr: configuration.serviceCIDR),
                                         nodePorts: NodePortAllocator(range: configuration.nodePortRange),
                                         priorities: PriorityAdmission(store: store),
                                         storageClasses: StorageClassAdmission(store: store),
                                         limitRanger: LimitRanger(store: store), quotas: QuotaAdmission(store: store, logger: logger))
        admission.ingressClasses = IngressClassAdmission(store: store)
        admission.runtimeClasses = RuntimeClassAdmission(store: store)
        if let tls = configuration.tls {
            let token = try tls.token ?? PKIFiles.token(at: configuration.dataDirectory + "/token")
            let directory = configuration.dataDirectory + "/pki"
            let secrets = try await ClusterSecrets.bootstrap(store: store, directory: directory, token: token, logger: logger)
            let serving = ServerPKI.servingRequest(listenHost: configuration.host, serviceIP: await admission.serviceIPs.firstAddress,
                                                   clusterDomain: tls.clusterDomain, extra: tls.subjectAlternativeNames,
                                                   validity: tls.certificateValidity)
            pki = try ServerPKI(secrets: secrets, directory: directory, serving: serving, clientValidity: tls.certificateValidity, logger: logger)
        } else {
            pki = nil
        }
        let kubelet = try pki.map { try KubeletConnection(clientCertificate: try $0.kubeletClientCertificate()) } ?? .plain
        var security: Security?
        if let pki, let tls = configuration.tls {
            let serviceAccounts = ServiceAccountTokens(key: pki.serviceAccountKey, issuer: "https://kubernetes.default.svc.\(tls.clusterDomain)")
            security = Security(
                authenticator: Authenticator(tokenFile: try tls.tokenAuthFile.map(StaticTokenFile.init(path:)),
                                             bootstrapTokens: tls.bootstrapTokenAuth ? BootstrapTokens(store: store) : nil,
                                             serviceAccounts: serviceAccounts, anonymous: tls.anonymousAuth, store: store, logger: logger,
                                             metrics: APIMetrics(registry: metrics)),
                rbac: RBACAuthorizer(store: store, logger: logger), nodes: NodeAuthorizer(graph: NodeGraph(store: store, logger: logger, metrics: APIMetrics(registry: metrics))),
                nodeRestriction: NodeRestriction(store: store),
                serviceAccounts: serviceAccounts)
            // Token volumes only where tokens can be issued and checked.
            admission.serviceAccounts = ServiceAccountAdmission(store: store)
        }
        let core = ServerCore(store: store, admission: admission, kubelet: kubelet, security: security, logger: logger)
        self.core = core
        let resourceMetrics = configuration.metricResolution.map { MetricsStorage(resolution: $0) }
        self.resourceMetrics = resourceMetrics
        let registry = ResourceRegistry(core: core, eventTTL: configuration.eventTTL, resourceMetrics: resourceMetrics)
        self.registry = registry
        kubeDNS = configuration.clusterDNS.map { KubeDNSObjects(endpoint: $0, core: core, registry: registry, logger: logger) }
        let store = self.store
        var router = APIRouter(registry: registry, discovery: Discovery(registry: registry), openAPI: try OpenAPIDocuments(registry: registry),
                               metrics: APIMetrics(registry: metrics), version: VersionInfo(),
                               readiness: { (try? await store.count(prefix: "/registry/namespaces/")) != nil })
        try await Bootstrap(core: core, registry: registry, logger: logger).run()
        try await PolicyBootstrap(core: core, registry: registry, logger: logger).run()
        try await admission.quotas?.load()
        if let security {
            try await security.rbac.load()
            try await security.nodes.graph.load()
            router.security = security
        }
        rbac = security?.rbac
        self.router = router
        await kubeDNS?.ensure()
    }

    /// The URL clients use.
    public var url: String { "\(scheme)://\(configuration.host):\(configuration.port)" }

    /// `https`, or `http` with `tls: nil`.
    public var scheme: String { pki == nil ? "http" : "https" }

    /// The cluster CA clients trust (PEM); nil over plain HTTP.
    public var certificateAuthorityPEM: String? { pki?.ca.certificatePEM }

    /// The cluster CA with its key, for the controller manager's `csrsigning` (nil over plain HTTP).
    public var signingAuthority: CertificateAuthority? { pki?.ca }

    /// How often the server checks the certificates it issued itself for renewal (nil over plain HTTP): the
    /// components running alongside it check theirs as often.
    public var certificateRotationCheckInterval: Duration? { pki == nil ? nil : configuration.tls?.rotationCheckInterval }

    /// A client certificate for `commonName` in groups `organizations`, signed by the cluster CA: how the server's own
    /// components (controllers, scheduler, cluster DNS) and the admin kubeconfig authenticate. nil over plain HTTP.
    public func issueClientCertificate(commonName: String, organizations: [String] = []) throws -> IssuedCertificate? {
        try pki?.clientCertificate(commonName: commonName, organizations: organizations)
    }

    /// Serves until the task is cancelled or the process gets SIGTERM/SIGINT. `services` run alongside (the
    /// controllers) and are shut down first, before the watches end and the HTTP server drains.
    public func run(services: [any ServiceLifecycle.Service] = [], onReady: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        await store.startCompactor()
        let router = self.router
        let responder = CallbackResponder<PeerRequestContext> { request, context in
            var body = Data()
            for try await chunk in request.body {
                body.append(contentsOf: chunk.readableBytesView)
                if body.count > ServerCore.maxRequestBodyBytes {
                    return HTTPBridge.response(.status(.requestEntityTooLarge(limit: ServerCore.maxRequestBodyBytes)))
                }
            }
            var headers: [String: String] = [:]
            var impersonation: [String: [String]] = [:]
            for field in request.headers {
                headers[field.name.canonicalName] = field.value
                if field.name.canonicalName.hasPrefix("impersonate-") { impersonation[field.name.canonicalName, default: []].append(field.value) }
            }
            let uri = request.uri
            // Form-decoded as Go's url.ParseQuery does (`+` is a space: the Python client sends `label_selector="a in
            // (x,y)"` as `a+in+%28x%2Cy%29`), the first of repeated values winning as with `url.Values.Get`.
            var query: [String: String] = [:]
            for item in FormQuery(encoded: uri.query ?? "").items where query[item.name] == nil { query[item.name] = item.value }
            var apiRequest = APIRequest(method: request.method.rawValue, path: uri.path, query: query, headers: headers,
                                        body: body, clientCertificate: await context.clientCertificate(), impersonation: impersonation)
            apiRequest.rawQuery = uri.query ?? ""
            return HTTPBridge.response(await router.route(apiRequest))
        }
        let (listening, listened) = AsyncStream<Int>.makeStream()
        let http: HTTPServerBuilder = .streaming(webSocketRouter: Self.streamRoutes(router, logger: logger)) { [logger] head in
            await Self.streamUpgrade(head, router: router, logger: logger)
        }
        let app = HTTPServerService(
            responder: responder, server: try pki.map { try .tls(http, tlsConfiguration: $0.serverTLSConfiguration()) } ?? http,
            address: .hostname(configuration.host, port: configuration.port),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                listened.yield(port)
                listened.finish()
                await onReady(port)
            },
            logger: logger)
        // Shut down in reverse order: the extra services, then the watches, so the HTTP server's drain waits for neither.
        var keepers: [any ServiceLifecycle.Service] = kubeDNS.map { [KubeDNSReconciler(objects: $0, store: store, logger: logger)] } ?? []
        if let pki, let interval = configuration.tls?.rotationCheckInterval {
            keepers.append(CertificateRenewal(every: interval, [
                .init("the serving certificate") { try pki.rotateIfNeeded() },
                .init("the kubelet-client certificate") { [kubelet = core.kubelet] in try pki.renewKubeletClient(kubelet) },
            ], logger: logger))
        }
        if let address = configuration.advertiseAddress ?? KubernetesEndpointsReconciler.advertisedAddress(listenHost: configuration.host) {
            keepers.append(KubernetesEndpointsReconciler(address: address, port: { [port = configuration.port] in
                for await actual in listening { return actual }
                return port
            }, core: core, registry: registry, logger: logger))
        }
        if let rbac { keepers.append(RBACFollower(authorizer: rbac)) }
        if let resourceMetrics, let resolution = configuration.metricResolution {
            keepers.append(Scraper(source: KubeletScrapeSource(core: core), storage: resourceMetrics, resolution: resolution,
                                   logger: logger))
        }
        if let quotas = core.admission.quotas { keepers.append(QuotaFollower(admission: quotas)) }
        if let graph = core.security?.nodes.graph { keepers.append(NodeGraphFollower(graph: graph)) }
        let group = ServiceGroup(configuration: .init(services: [app, WatchCloser(store: store)] + keepers + services,
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            await core.kubelet.shutdown()
            await store.close()
            throw error
        }
        await core.kubelet.shutdown()
        await store.close()
    }
}

/// Ends every open watch when graceful shutdown begins (it runs after the HTTP server in the service group, so
/// it is told first), so the server's drain does not wait for long-running watch responses.
struct WatchCloser: ServiceLifecycle.Service {
    let store: any ManagedStore

    func run() async throws {
        try? await gracefulShutdown()
        await store.close()
    }
}

/// Turns an `APIResponse` into a Hummingbird response.
enum HTTPBridge {
    static func response(_ response: APIResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in response.headers where name != "Transfer-Encoding" {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        let status = HTTPResponse.Status(code: response.status)
        switch response.body {
        case .data(let data):
            return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        case .stream(let stream):
            return Response(status: status, headers: fields, body: ResponseBody { writer in
                for await chunk in stream { try await writer.write(ByteBuffer(bytes: chunk)) }
                try await writer.finish(nil)
            })
        }
    }
}

import Foundation
import Logging
import ClusterPKI
import KubeAPI
import Store
import Testing
@testable import APIServer

/// Unit tests of the server's building blocks.
@Suite struct ServerPiecesTests {
    @Test func resourceVersionIsSplicedIntoTopLevelMetadataOnly() throws {
        let stored = try KubeJSON.encode(ConfigMap(metadata: ObjectMeta(name: "x", namespace: "d"), data: ["metadata": "{\"resourceVersion\":\"\"}"]))
        let out = try JSONValue(parsing: StoredObject.withResourceVersion(stored, 42))
        #expect(out[path: ["metadata", "resourceVersion"]] == "42")
        #expect(out[path: ["data", "metadata"]] == "{\"resourceVersion\":\"\"}")
        let empty = try JSONValue(parsing: StoredObject.withResourceVersion(Data(#"{"kind":"X","metadata":{}}"#.utf8), 7))
        #expect(empty[path: ["metadata", "resourceVersion"]] == "7")
    }

    @Test func unknownFieldsAreReportedWithUpstreamPaths() throws {
        let input = try JSONValue(parsing: #"{"spec":{"containers":[{"name":"a","bogus":1}],"nope":null,"extra":{"x":1}},"top":true}"#)
        let known = try JSONValue(parsing: #"{"spec":{"containers":[{"name":"a"}]}}"#)
        #expect(StoredObject.unknownFields(input: input, known: known) == ["spec.containers[0].bogus", "spec.extra", "top"])
    }

    static let ages: [(seconds: Double, printed: String)] = [
        (5, "5s"), (119, "119s"), (120, "2m"), (150, "2m30s"), (600, "10m"), (10_799, "179m"),
        (3 * 3600 + 60, "3h1m"), (9 * 3600, "9h"), (50 * 3600, "2d2h"), (10 * 86400, "10d"), (800 * 86400, "2y70d"),
    ]

    @Test func humanDurationMatchesUpstream() {
        for age in Self.ages { #expect(humanDuration(age.seconds) == age.printed, "\(age.seconds)") }
    }

    @Test func serviceIPAllocatorSkipsNetworkAndBroadcastAndRefusesOutOfRange() async throws {
        let allocator = try ServiceIPAllocator(cidr: "10.0.0.0/30")
        let first = try await allocator.allocate(nil)
        let second = try await allocator.allocate(nil)
        #expect(Set([first, second]) == ["10.0.0.1", "10.0.0.2"])
        await #expect(throws: ServiceIPAllocator.AllocationError.self) { _ = try await allocator.allocate(nil) }
        await #expect(throws: ServiceIPAllocator.AllocationError.self) { _ = try await allocator.allocate("10.0.0.3") }
        await allocator.release(first)
        #expect(try await allocator.allocate(first) == first)
    }

    @Test("NodePorts nobody asked for come from above the static band until it is full, then from the band, then the range is full")
    func nodePortAllocatorKeepsTheStaticBandForLast() async throws {
        #expect(NodePortAllocator.staticBandSize(rangeSize: 2768) == 86)
        #expect(NodePortAllocator.staticBandSize(rangeSize: 16) == 0)
        #expect(NodePortAllocator.staticBandSize(rangeSize: 100) == 16)
        #expect(NodePortAllocator.staticBandSize(rangeSize: 10000) == 128)
        for _ in 0..<200 {
            #expect(try await NodePortAllocator().allocate(nil) >= 30086)
        }
        // 100 ports: 16 static (40000-40015), 84 dynamic.
        let allocator = NodePortAllocator(range: 40000...40099)
        #expect(try await allocator.allocate(40003) == 40003)
        var dynamic: [Int] = []
        for _ in 0..<84 { dynamic.append(try await allocator.allocate(nil)) }
        #expect(dynamic.allSatisfy { $0 >= 40016 } && Set(dynamic).count == 84, "\(dynamic)")
        var spill: [Int] = []
        for _ in 0..<15 { spill.append(try await allocator.allocate(nil)) }
        #expect(Set(spill) == Set(40000...40015).subtracting([40003]), "\(spill)")
        await #expect(throws: NodePortAllocator.AllocationError.self) { _ = try await allocator.allocate(nil) }
        await allocator.release(40050)
        #expect(try await allocator.allocate(nil) == 40050)
    }

    @Test func continueTokensRoundTripAndRejectGarbage() throws {
        let token = ContinueToken(revision: 12, start: "default/web")
        let decoded = try ContinueToken(encoded: token.encoded)
        #expect(decoded.revision == 12 && decoded.start == "default/web")
        #expect(throws: Status.self) { _ = try ContinueToken(encoded: "not-a-token") }
    }

    @Test func pathsAreSplitLikeTheAPIServerDoes() {
        #expect(APIPath(path: "/api/v1/namespaces/default/pods/web/status") == .resource(ResourcePath(group: "", version: "v1", namespace: "default", plural: "pods", name: "web", subresource: "status")))
        #expect(APIPath(path: "/api/v1/namespaces/default") == .resource(ResourcePath(group: "", version: "v1", namespace: nil, plural: "namespaces", name: "default", subresource: nil)))
        #expect(APIPath(path: "/api/v1/namespaces/gone/finalize") == .resource(ResourcePath(group: "", version: "v1", namespace: nil, plural: "namespaces", name: "gone", subresource: "finalize")))
        #expect(APIPath(path: "/apis/apps/v1/deployments") == .resource(ResourcePath(group: "apps", version: "v1", namespace: nil, plural: "deployments", name: nil, subresource: nil)))
        #expect(APIPath(path: "/apis/apps") == .group("apps"))
        #expect(APIPath(path: "/version") == nil)
        #expect(APIPath(path: "/api/v1/pods/a/b/c") == nil)
    }

    @Test func nodeProxyPathsKeepTheRestAndTheNameItsPort() throws {
        func proxy(_ path: String) -> String? {
            guard case .resource(let p)? = APIPath(path: path), p.plural == "nodes", p.subresource == "proxy" else { return nil }
            return p.proxyPath
        }
        #expect(proxy("/api/v1/nodes/n1/proxy") == "/")
        #expect(proxy("/api/v1/nodes/n1/proxy/") == "/")
        #expect(proxy("/api/v1/nodes/n1/proxy/metrics") == "/metrics")
        #expect(proxy("/api/v1/nodes/n1/proxy/stats/summary") == "/stats/summary")
        #expect(proxy("/api/v1/nodes/n1/proxy/logs/") == "/logs/")
        #expect(proxy("/api/v1/nodes/n1/proxy/logs/apt/") == "/logs/apt/")
        #expect(try NodeProxyName("n1") == NodeProxyName("n1"))
        let withPort = try NodeProxyName("n1:10250"), withScheme = try NodeProxyName("https:n1:10250")
        #expect(withPort.node == "n1" && withPort.port == 10250 && withPort.scheme == nil)
        #expect(withScheme.node == "n1" && withScheme.port == 10250 && withScheme.scheme == "https")
        for bad in ["n1:x", "ftp:n1:1", ":10250", "n1:0", "a:b:c:d"] {
            #expect(throws: Status.self, "\(bad)") { try NodeProxyName(bad) }
        }
        // Pods and services: a port may be a name (a service port's), the error names the kind.
        let named = try ProxyName("https:web:http", kind: "service")
        #expect(named.scheme == "https" && named.name == "web" && named.port == "http")
        #expect(try ProxyName("web", kind: "pod") == ProxyName("web:", kind: "pod"))
        #expect(throws: Status(message: "invalid pod request \"ftp:web:80\"", reason: "BadRequest", code: 400)) { try ProxyName("ftp:web:80", kind: "pod") }
        #expect(ResourceHandler<PodStrategy>.isGlobalUnicast("10.88.0.4") && ResourceHandler<PodStrategy>.isGlobalUnicast("fd00::4"))
        for address in ["", "127.0.0.1", "0.0.0.0", "169.254.1.1", "224.0.0.1", "::1", "::", "fe80::1", "ff02::1", "web"] {
            #expect(!ResourceHandler<PodStrategy>.isGlobalUnicast(address), "\(address)")
        }
        let attributes = RequestAttributes(APIRequest(method: "GET", path: "/api/v1/nodes/n1/proxy/metrics", query: [:], headers: [:], body: Data()))
        #expect(attributes.verb == "get" && attributes.resource == "nodes" && attributes.subresource == "proxy" && attributes.name == "n1")
    }

    @Test func podStatusColumnFollowsUpstreamPrecedence() {
        var pod = Pod(metadata: ObjectMeta(name: "p"), spec: PodSpec(containers: [Container(name: "c")]), status: PodStatus(phase: "Running"))
        pod.status?.containerStatuses = [ContainerStatus(name: "c", state: ContainerState(waiting: ContainerStateWaiting(reason: "CrashLoopBackOff")), ready: false, restartCount: 3, image: "i", imageID: "")]
        #expect(Printers.podStatusReason(pod) == "CrashLoopBackOff")
        pod.metadata.deletionTimestamp = Time.now()
        #expect(Printers.podStatusReason(pod) == "Terminating")
    }

    @Test("a pod's READY, STATUS and RESTARTS count sidecars as upstream's printPod does")
    func podColumnsWithSidecars() {
        func status(_ name: String, running: Bool = true, exitCode: Int32? = nil, started: Bool, ready: Bool, restarts: Int32 = 0) -> ContainerStatus {
            var status = ContainerStatus(name: name, ready: ready, restartCount: restarts, image: "i", imageID: "")
            status.state = exitCode.map { ContainerState(terminated: ContainerStateTerminated(exitCode: $0)) }
                ?? ContainerState(running: running ? ContainerStateRunning() : nil)
            status.started = started
            return status
        }
        var pod = Pod(metadata: ObjectMeta(name: "p"),
                      spec: PodSpec(initContainers: [Container(name: "side", restartPolicy: "Always"), Container(name: "setup")],
                                    containers: [Container(name: "app")]),
                      status: PodStatus(phase: "Pending"))
        // The sidecar runs but has not started (startup probe pending): the pod is initializing.
        pod.status?.initContainerStatuses = [status("side", started: false, ready: false), status("setup", running: false, started: false, ready: false)]
        #expect(Printers.podSummary(pod).reason == "Init:0/2")
        #expect(Printers.podSummary(pod).total == 2)
        // Initialized: the sidecar counts among the ready containers; a regular init container's restarts no longer count.
        pod.status?.phase = "Running"
        pod.status?.conditions = [PodCondition(type: "Initialized", status: "True"), PodCondition(type: "Ready", status: "True")]
        pod.status?.initContainerStatuses = [status("side", started: true, ready: true, restarts: 2), status("setup", exitCode: 0, started: false, ready: true, restarts: 1)]
        pod.status?.containerStatuses = [status("app", started: true, ready: true)]
        let summary = Printers.podSummary(pod)
        #expect(summary.ready == 2 && summary.total == 2 && summary.reason == "Running" && summary.restarts == 2, "\(summary)")
    }

    @Test("the kubelet-client certificate is re-issued when a fifth of its life is left, and presented from then on")
    func kubeletClientCertificateRenewal() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pki-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pki = try ServerPKI(secrets: try ClusterSecrets.generate(), directory: directory,
                                serving: ServerPKI.servingRequest(listenHost: "127.0.0.1", serviceIP: "10.96.0.1", clusterDomain: "cluster.local", extra: []),
                                logger: Logger(label: "test"))
        let kubelet = try KubeletConnection(clientCertificate: try pki.kubeletClientCertificate())
        let first = try #require(kubelet.certificate)
        #expect(try !pki.renewKubeletClient(kubelet), "a fresh certificate is kept")
        #expect(kubelet.certificate == first)
        #expect(try pki.renewKubeletClient(kubelet, now: first.notAfter.addingTimeInterval(-86400)))
        let renewed = try #require(kubelet.certificate)
        #expect(renewed != first && pki.ca.signed(renewed.certificatePEM))
        #expect(IssuedCertificate.subject(ofPEM: renewed.certificatePEM)?.commonName == "kube-apiserver-kubelet-client")
    }

    /// NodeRestriction keeps a kubelet to the pod subresources upstream's lets it write, whatever RBAC grants: an
    /// ephemeral container added by a node is refused in upstream's words.
    @Test func nodeRestrictionRefusesEphemeralContainersFromANode() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("noderestriction-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let restriction = NodeRestriction(store: try SQLiteStore(path: directory + "/store.db"))
        let node = Identity(name: "system:node:n1", groups: ["system:nodes"])
        func attributes(_ method: String, _ subresource: String) -> RequestAttributes {
            RequestAttributes(APIRequest(method: method, path: "/api/v1/namespaces/default/pods/web/\(subresource)", query: [:], headers: [:], body: Data()))
        }
        for method in ["PATCH", "PUT"] {
            let denied = await restriction.admit(node, attributes(method, "ephemeralcontainers"), body: { .object([:]) })
            #expect(denied?.code == 403 && denied?.message == #"pods "web" is forbidden: unexpected pod subresource "ephemeralcontainers", only 'status' and 'eviction' are allowed"#,
                    "\(String(describing: denied))")
        }
        #expect(await restriction.admit(Identity(name: "admin", groups: ["system:masters"]), attributes("PATCH", "ephemeralcontainers"), body: { .object([:]) }) == nil)
    }
}

/// The selection cache the watches of one kind share.
@Suite struct SelectionCacheTests {
    static func configMap(_ app: String) -> ConfigMap {
        ConfigMap(metadata: ObjectMeta(name: "c", namespace: "ns", labels: ["app": app]))
    }

    @Test func versionsAreKnownByKeyAndRevisionAndTheOldestAreForgottenFirst() {
        let cache = SelectionCache(capacity: 2)
        cache.remember(SelectedValues(Self.configMap("a")), key: "/k", revision: 1)
        cache.remember(SelectedValues(Self.configMap("b")), key: "/k", revision: 2)
        #expect(cache.values(key: "/k", revision: 1)?.labels == ["app": "a"])
        #expect(cache.values(key: "/k", revision: 2)?.fields == ["metadata.name": "c", "metadata.namespace": "ns"])
        #expect(cache.values(key: "/other", revision: 1) == nil)
        // Remembering a known version again changes nothing; a third version pushes out the first.
        cache.remember(SelectedValues(Self.configMap("x")), key: "/k", revision: 2)
        cache.remember(SelectedValues(Self.configMap("c")), key: "/k", revision: 3)
        #expect(cache.values(key: "/k", revision: 1) == nil)
        #expect(cache.values(key: "/k", revision: 2)?.labels == ["app": "b"])
        #expect(cache.values(key: "/k", revision: 3)?.labels == ["app": "c"])
        #expect(cache.count == 2)
    }

    @Test func writesAreRememberedOnlyWhileAWatchWithASelectorIsOpen() {
        let cache = SelectionCache(capacity: 4)
        #expect(!cache.isWatched)
        cache.watchStarted()
        cache.watchStarted()
        cache.remember(SelectedValues(Self.configMap("a")), key: "/k", revision: 1)
        cache.watchEnded()
        #expect(cache.isWatched && cache.count == 1)
        // The last selecting watch to close forgets everything.
        cache.watchEnded()
        #expect(!cache.isWatched && cache.count == 0 && cache.values(key: "/k", revision: 1) == nil)
    }
}

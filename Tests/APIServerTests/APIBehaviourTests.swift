import Foundation
import KubeAPI
import KubeClient
import Logging
import Testing
import TestSupport

/// API semantics checked over HTTP against a real server process.
@Suite struct APIBehaviourTests {
    static func client(_ server: ServerProcess) throws -> KubeClient {
        try KubeClient(configuration: server.clientConfiguration(), logger: Logger(label: "test"))
    }

    /// `metadata.remainingItemCount` on a limited list, as upstream's store sets it: what follows the page, absent on
    /// the last page and whenever a selector filters the list (a count could not know what it drops).
    @Test func limitedListsSayHowManyItemsRemain() async throws {
        let server = try await ServerProcess(controllers: false)
        defer { server.stop() }
        let client = try Self.client(server)
        defer { Task { try? await client.shutdown() } }
        _ = try await client.create(Namespace(metadata: ObjectMeta(name: "paged")))
        for i in 0..<5 { _ = try await client.create(ConfigMap(metadata: ObjectMeta(name: "c\(i)", namespace: "paged", labels: ["n": String(i)]))) }
        let first = try await client.listPage(ConfigMap.self, namespace: "paged", options: ListOptions(limit: 2))
        #expect(first.items.map(\.metadata.name) == ["c0", "c1"] && first.metadata.remainingItemCount == 3)
        let second = try await client.listPage(ConfigMap.self, namespace: "paged", options: ListOptions(limit: 2), continue: first.metadata.continue)
        #expect(second.items.map(\.metadata.name) == ["c2", "c3"] && second.metadata.remainingItemCount == 1)
        let last = try await client.listPage(ConfigMap.self, namespace: "paged", options: ListOptions(limit: 2), continue: second.metadata.continue)
        #expect(last.items.map(\.metadata.name) == ["c4"] && last.metadata.remainingItemCount == nil && last.metadata.continue == nil)
        let selected = try await client.listPage(ConfigMap.self, namespace: "paged", options: ListOptions(labelSelector: "n", limit: 2))
        #expect(selected.items.count == 2 && selected.metadata.continue != nil && selected.metadata.remainingItemCount == nil)
        let whole = try await client.listPage(ConfigMap.self, namespace: "paged", options: ListOptions(limit: 5))
        #expect(whole.items.count == 5 && whole.metadata.remainingItemCount == nil)
    }

    /// `metadata.generation` only where upstream's strategy keeps it: 1 on create and +1 per spec change for a
    /// Deployment or an EndpointSlice; none on a ConfigMap or a Pod, not even after an update.
    @Test func generationOnlyOnKindsThatTrackIt() async throws {
        let server = try await ServerProcess(controllers: false)
        defer { server.stop() }
        let client = try Self.client(server)
        defer { Task { try? await client.shutdown() } }
        var map = try await client.create(ConfigMap(metadata: ObjectMeta(name: "plain", namespace: "default"), data: ["a": "1"]))
        #expect(map.metadata.generation == nil)
        map.data = ["a": "2"]
        #expect(try await client.update(map).metadata.generation == nil)
        let pod = try await client.create(Pod(metadata: ObjectMeta(name: "p", namespace: "default"),
                                              spec: PodSpec(containers: [Container(name: "c", image: "busybox")])))
        #expect(pod.metadata.generation == nil)
        let labels = ["app": "web"]
        let template = PodTemplateSpec(metadata: ObjectMeta(labels: labels), spec: PodSpec(containers: [Container(name: "c", image: "busybox")]))
        var deployment = try await client.create(Deployment(metadata: ObjectMeta(name: "web", namespace: "default"),
                                                            spec: DeploymentSpec(replicas: 1, selector: LabelSelector(matchLabels: labels), template: template)))
        #expect(deployment.metadata.generation == 1)
        deployment.spec?.replicas = 2
        deployment = try await client.update(deployment)
        #expect(deployment.metadata.generation == 2)
        deployment.metadata.labels = ["touched": "yes"]
        #expect(try await client.update(deployment).metadata.generation == 2, "a metadata change bumped generation")
        let slice = try await client.create(EndpointSlice(metadata: ObjectMeta(name: "web-1", namespace: "default"), addressType: "IPv4"))
        #expect(slice.metadata.generation == 1)
    }

    @Test func compactedRevisionsAnswer410ForWatchesAndContinueTokens() async throws {
        let server = try await ServerProcess(extraArguments: ["--history-revisions", "5", "--history-seconds", "0", "--compaction-interval", "1"])
        defer { server.stop() }
        let client = try Self.client(server)
        defer { Task { try? await client.shutdown() } }
        for i in 0..<12 { _ = try await client.create(ConfigMap(metadata: ObjectMeta(name: "c\(i)"))) }
        let page = try await client.listPage(ConfigMap.self, namespace: "default", options: ListOptions(limit: 2))
        let token = try #require(page.metadata.continue)
        for i in 12..<30 { _ = try await client.create(ConfigMap(metadata: ObjectMeta(name: "c\(i)"))) }
        try await Task.sleep(for: .seconds(2.5))
        var expired: KubeClientError?
        do throws(KubeClientError) {
            _ = try await client.listPage(ConfigMap.self, namespace: "default", options: ListOptions(limit: 2), continue: token)
        } catch {
            expired = error
        }
        #expect(expired?.code == 410 && expired?.reason == "Expired", "\(String(describing: expired))")
        // As upstream, the 410 carries a token for the rest of the list at the latest revision.
        let rest = try #require(expired?.status?.metadata?.continue, "\(String(describing: expired))")
        let remainder = try await client.listPage(ConfigMap.self, namespace: "default", options: ListOptions(limit: 100), continue: rest)
        #expect(remainder.items.count == 28 && remainder.items.first?.metadata.name == "c10")
        await #expect { for try await _ in client.watch(ConfigMap.self, namespace: "default", resourceVersion: "3") {} }
            throws: { error in (error as? KubeClientError)?.isGone == true }
        // A watch from a retained revision still works and ends with the change made after it.
        let current = try await client.listPage(ConfigMap.self, namespace: "default", options: ListOptions(limit: 1)).metadata.resourceVersion
        let stream = client.watch(ConfigMap.self, namespace: "default", resourceVersion: current)
        _ = try await client.create(ConfigMap(metadata: ObjectMeta(name: "late")))
        for try await event in stream {
            #expect(event.object?.metadata.name == "late")
            break
        }
    }

    @Test func concurrentServiceCreatesNeverShareAClusterIPOrNodePort() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let client = try Self.client(server)
        let services = try await withThrowingTaskGroup(of: Service.self) { group in
            for i in 0..<60 {
                group.addTask {
                    try await client.create(Service(metadata: ObjectMeta(name: "s\(i)"), spec: ServiceSpec(
                        ports: [ServicePort(port: 80)], selector: ["app": "s\(i)"], type: "NodePort")))
                }
            }
            var all: [Service] = []
            for try await service in group { all.append(service) }
            return all
        }
        let ips = services.compactMap { $0.spec?.clusterIP }
        let ports = services.compactMap { $0.spec?.ports?.first?.nodePort }
        #expect(Set(ips).count == 60 && !ips.contains("10.96.0.1"))
        #expect(Set(ports).count == 60 && ports.allSatisfy { (30000...32767).contains($0) })
        // A requested address that is taken is refused with upstream's wording; deleting frees it.
        let taken = ips[0]
        await #expect { try await client.create(Service(metadata: ObjectMeta(name: "dup"), spec: ServiceSpec(ports: [ServicePort(port: 80)], clusterIP: taken))) }
            throws: { error in (error as? KubeClientError)?.status?.message?.contains("provided IP is already allocated") == true }
        let owner = try #require(services.first { $0.spec?.clusterIP == taken })
        try await client.delete(Service.self, name: owner.metadata.name!, namespace: "default")
        let reused = try await client.create(Service(metadata: ObjectMeta(name: "dup"), spec: ServiceSpec(ports: [ServicePort(port: 80)], clusterIP: taken)))
        #expect(reused.spec?.clusterIP == taken)
        try await client.shutdown()
    }

    @Test func healthReadinessMetricsAndVersion() async throws {
        let k = try await KubectlHarness()
        for path in ["/healthz", "/livez", "/readyz"] {
            let answer = try await k.curl("GET", path)
            #expect(answer.code == 200 && answer.body == "ok", "\(path): \(answer)")
        }
        _ = try await k.ok("get", "pods")
        let metrics = try await k.curl("GET", "/metrics")
        #expect(metrics.code == 200)
        #expect(metrics.body.contains(#"apiserver_request_total{verb="LIST",resource="pods",code="200"}"#)
                || metrics.body.contains(#"apiserver_request_total{verb="GET",resource="pods",code="200"}"#), "\(metrics.body.prefix(2000))")
        #expect(metrics.body.contains("apiserver_request_duration_seconds_bucket"))
        let version = try await k.ok("version", "-o", "json")
        #expect(version.contains("\"serverVersion\"") && version.contains("\"minor\": \"32\""), "\(version)")
    }
}

import Foundation
import KubeAPI
import KubeClient
import Logging
import TestSupport
import Testing

/// CRUD, errors, paging, selectors, patch and subresources against a real `swiftlet server`.
@Suite struct KubeClientCRUDTests {
    @Test func createGetUpdateDelete() async throws {
        try await withTestServer { server in
            let client = try server.client()
            let created = try await client.create(configMap("one", rv: "", data: ["a": "1"]).withoutResourceVersion)
            #expect(created.metadata.uid != nil)
            #expect(created.metadata.resourceVersion?.isEmpty == false)

            var fetched = try await client.get(ConfigMap.self, name: "one", namespace: "default")
            #expect(fetched.data == ["a": "1"])
            fetched.data = ["a": "2"]
            let updated = try await client.update(fetched)
            #expect(updated.data == ["a": "2"])
            #expect(updated.metadata.resourceVersion != created.metadata.resourceVersion)

            try await client.delete(ConfigMap.self, name: "one", namespace: "default")
            await #expect(throws: KubeClientError.self) { _ = try await client.get(ConfigMap.self, name: "one", namespace: "default") }
            try await client.shutdown()
        }
    }

    @Test func typedErrorsCarryTheServerStatus() async throws {
        try await withTestServer { server in
            let client = try server.client()
            let notFound = try #require(await failure {
                _ = try await client.get(ConfigMap.self, name: "missing", namespace: "default")
            }, "expected 404")
            #expect(notFound.isNotFound)
            #expect(notFound.code == 404)
            #expect(notFound.status?.details?.name == "missing")
            #expect(notFound.status?.message == #"configmaps "missing" not found"#)

            let first = try await client.create(configMap("cm", rv: "").withoutResourceVersion)
            let exists = try #require(await failure {
                _ = try await client.create(configMap("cm", rv: "").withoutResourceVersion)
            }, "expected 409 AlreadyExists")
            #expect(exists.isAlreadyExists)
            #expect(!exists.isConflict)

            var stale = first
            stale.data = ["x": "1"]
            _ = try await client.update(stale)       // moves the resourceVersion on
            stale.data = ["x": "2"]
            let conflict = try #require(await failure {
                _ = try await client.update(stale)   // still based on `first`
            }, "expected 409 Conflict")
            #expect(conflict.isConflict)
            #expect(conflict.code == 409)
            #expect(conflict.reason == "Conflict")

            let precondition = try #require(await failure {
                try await client.delete(ConfigMap.self, name: "cm", namespace: "default",
                                        options: DeleteOptions(preconditions: .init(uid: "not-the-uid")))
            }, "expected a precondition conflict")
            #expect(precondition.isConflict)

            let badRequest = try #require(await failure {
                _ = try await client.list(ConfigMap.self, options: ListOptions(labelSelector: "a in (b"))
            }, "expected 400")
            #expect(badRequest.code == 400)
            try await client.shutdown()
        }
    }

    @Test func transportErrorsSayWhichRequestFailed() async throws {
        let client = try KubeClient(configuration: .init(server: URL(string: "http://127.0.0.1:1")!, connectTimeout: .milliseconds(500)),
                                    logger: .init(label: "t"))
        let error = try #require(await failure {
            _ = try await client.get(Namespace.self, name: "default")
        }, "expected a transport error")
        guard case .transport(let request, _) = error else { Issue.record("unexpected \(error)"); return }
        #expect(request == "GET /api/v1/namespaces/default")
        try await client.shutdown()
    }

    @Test("a refused connection fails at once with the dial's error (client-go's \"connect: connection refused\"), not after the connect timeout")
    func refusedConnectionFailsAtOnce() async throws {
        // A loopback port nothing listens on (bound to port 0, then released), and a connect timeout far beyond the
        // wait below: a client that retried the dial until the timeout would lose the race against the sleep.
        let port = try #require(try freeLoopbackPorts(1).first)
        let client = try KubeClient(configuration: .init(server: URL(string: "http://127.0.0.1:\(port)")!, connectTimeout: .seconds(300)),
                                    logger: .init(label: "t"))
        for request in ["GET /api/v1/namespaces/default", "GET /api/v1/namespaces/kube-system"] {
            let error = try await withThrowingTaskGroup(of: KubeClientError?.self, returning: KubeClientError?.self) { group in
                group.addTask { await failure { _ = try await client.get(Namespace.self, name: String(request.split(separator: "/").last!)) } }
                group.addTask {
                    try await Task.sleep(for: .seconds(60))
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            let refused = try #require(error, "no answer within 60 s: the refused dial was retried")
            #expect(refused.isConnectionRefused, "\(refused)")
            #expect(refused.description == "\(request): dial tcp 127.0.0.1:\(port): connect: connection refused")
        }
        try await client.shutdown()
    }

    @Test func listFollowsContinueTokensAndFiltersByLabel() async throws {
        try await withTestServer { server in
            let client = try server.client()
            for i in 0..<7 {
                _ = try await client.create(configMap("cm-\(i)", rv: "", labels: ["parity": i % 2 == 0 ? "even" : "odd"]).withoutResourceVersion)
            }
            let page = try await client.listPage(ConfigMap.self, namespace: "default", options: ListOptions(limit: 2))
            #expect(page.items.count == 2)
            #expect(page.metadata.continue?.isEmpty == false)

            let all = try await client.list(ConfigMap.self, namespace: "default", options: ListOptions(limit: 2))
            let names = all.items.compactMap(\.metadata.name).filter { $0.hasPrefix("cm-") }
            #expect(names == (0..<7).map { "cm-\($0)" })
            #expect(all.metadata.resourceVersion?.isEmpty == false)
            #expect(all.metadata.continue == nil)

            let odd = try await client.list(ConfigMap.self, namespace: "default",
                                            options: ListOptions(labelSelector: "parity=odd", limit: 2))
            #expect(odd.items.compactMap(\.metadata.name) == ["cm-1", "cm-3", "cm-5"])

            let everywhere = try await client.list(ConfigMap.self, options: ListOptions(labelSelector: "parity in (even)"))
            #expect(everywhere.items.count == 4)
            try await client.shutdown()
        }
    }

    @Test func patchAndServerSideApply() async throws {
        try await withTestServer { server in
            let client = try server.client()
            _ = try await client.create(configMap("p", rv: "", data: ["a": "1"]).withoutResourceVersion)
            let merged = try await client.patch(ConfigMap.self, name: "p", namespace: "default", patchType: .merge,
                                                ["data": ["b": "2"]])
            #expect(merged.data == ["a": "1", "b": "2"])
            let jsonPatched = try await client.patch(ConfigMap.self, name: "p", namespace: "default", patchType: .json,
                                                     [["op": "remove", "path": "/data/a"]])
            #expect(jsonPatched.data == ["b": "2"])
            let strategic = try await client.patch(ConfigMap.self, name: "p", namespace: "default",
                                                   patchType: .strategicMerge, ["metadata": ["labels": ["l": "v"]]])
            #expect(strategic.metadata.labels == ["l": "v"])

            let applied = try await client.apply(ConfigMap(metadata: ObjectMeta(name: "applied", namespace: "default"),
                                                           data: ["k": "mine"]), fieldManager: "tests")
            #expect(applied.data == ["k": "mine"])
            #expect(applied.metadata.managedFields?.contains { $0.manager == "tests" && $0.operation == "Apply" } == true)
            let error = try #require(await failure {
                _ = try await client.apply(ConfigMap(metadata: ObjectMeta(name: "applied", namespace: "default"),
                                                     data: ["k": "theirs"]), fieldManager: "other")
            }, "expected an apply conflict")
            #expect(error.code == 409)
            let forced = try await client.apply(ConfigMap(metadata: ObjectMeta(name: "applied", namespace: "default"),
                                                          data: ["k": "theirs"]), fieldManager: "other", force: true)
            #expect(forced.data == ["k": "theirs"])
            try await client.shutdown()
        }
    }

    @Test func bindStatusAndScale() async throws {
        try await withTestServer { server in
            let client = try server.client()
            let pod = Pod(metadata: ObjectMeta(name: "web", namespace: "default"),
                          spec: PodSpec(containers: [Container(name: "c", image: "busybox")]))
            var created = try await client.create(pod)
            try await client.bind(pod: "web", namespace: "default", to: "node-1")
            let bound = try await client.get(Pod.self, name: "web", namespace: "default")
            #expect(bound.spec?.nodeName == "node-1")
            let error = try #require(await failure {
                try await client.bind(pod: "web", namespace: "default", to: "node-2")
            }, "expected a conflict for a second binding")
            #expect(error.isConflict)

            created = bound
            created.status = PodStatus(phase: "Running")
            let withStatus = try await client.updateStatus(created)
            #expect(withStatus.status?.phase == "Running")

            let labels = ["app": "web"]
            let deployment = Deployment(metadata: ObjectMeta(name: "web", namespace: "default"), spec: DeploymentSpec(
                replicas: 1, selector: LabelSelector(matchLabels: labels),
                template: PodTemplateSpec(metadata: ObjectMeta(labels: labels),
                                          spec: PodSpec(containers: [Container(name: "c", image: "busybox")]))))
            _ = try await client.create(deployment)
            var scale = try await client.scale(Deployment.self, name: "web", namespace: "default")
            #expect(scale.spec?.replicas == 1)
            #expect(scale.status?.selector == "app=web")
            scale.spec = ScaleSpec(replicas: 3)
            let scaled = try await client.updateScale(Deployment.self, scale)
            #expect(scaled.spec?.replicas == 3)
            #expect(try await client.get(Deployment.self, name: "web", namespace: "default").spec?.replicas == 3)
            try await client.shutdown()
        }
    }
}

/// The `KubeClientError` `body` fails with, or `nil` if it succeeds (or fails otherwise, which is recorded).
func failure(_ body: () async throws -> Void) async -> KubeClientError? {
    do {
        try await body()
        return nil
    } catch let error as KubeClientError {
        return error
    } catch {
        Issue.record("not a KubeClientError: \(error)")
        return nil
    }
}

extension ConfigMap {
    /// The object as a create body (no resourceVersion).
    var withoutResourceVersion: ConfigMap {
        var copy = self
        copy.metadata.resourceVersion = nil
        return copy
    }

    /// The Scale's `status.selector` is upstream's `LabelSelectorAsSelector(...).String()` for every kind with a
    /// LabelSelector: matchLabels and matchExpressions, by key, values sorted (what an HPA lists pods with).
    @Test func scaleSelectorCarriesMatchExpressions() async throws {
        try await withTestServer { server in
            let client = try server.client()
            let selector = LabelSelector(matchLabels: ["app": "web"], matchExpressions: [
                LabelSelectorRequirement(key: "tier", operator: "In", values: ["b", "a"]),
                LabelSelectorRequirement(key: "legacy", operator: "DoesNotExist"),
                LabelSelectorRequirement(key: "track", operator: "Exists"),
                LabelSelectorRequirement(key: "env", operator: "NotIn", values: ["prod"]),
            ])
            let template = PodTemplateSpec(metadata: ObjectMeta(labels: ["app": "web", "tier": "a", "track": "stable"]),
                                           spec: PodSpec(containers: [Container(name: "c", image: "busybox")]))
            let expected = "app=web,env notin (prod),!legacy,tier in (a,b),track"
            _ = try await client.create(Deployment(metadata: ObjectMeta(name: "web", namespace: "default"),
                                                   spec: DeploymentSpec(replicas: 1, selector: selector, template: template)))
            #expect(try await client.scale(Deployment.self, name: "web", namespace: "default").status?.selector == expected)
            _ = try await client.create(ReplicaSet(metadata: ObjectMeta(name: "web", namespace: "default"),
                                                   spec: ReplicaSetSpec(replicas: 1, selector: selector, template: template)))
            #expect(try await client.scale(ReplicaSet.self, name: "web", namespace: "default").status?.selector == expected)
            _ = try await client.create(StatefulSet(metadata: ObjectMeta(name: "web", namespace: "default"),
                                                    spec: StatefulSetSpec(replicas: 1, selector: selector, template: template, serviceName: "web")))
            var scale = try await client.scale(StatefulSet.self, name: "web", namespace: "default")
            #expect(scale.status?.selector == expected)
            // A write through /scale answers with the same selector.
            scale.spec = ScaleSpec(replicas: 2)
            #expect(try await client.updateScale(StatefulSet.self, scale).status?.selector == expected)
            try await client.shutdown()
        }
    }
}

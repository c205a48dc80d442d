import Foundation
import KubeAPI
import KubeClient
import NodeSimulator
import Testing
import TestSupport

/// Workload controllers end to end on simulated nodes: `swiftlet server` (controllers and scheduler inside) and
/// `NodeSimulator` kubelets, so pods are really scheduled, started, made ready and deleted.
@Suite("simulated cluster: workloads", .serialized, .timeLimit(.minutes(5)))
struct WorkloadTests {
    static func deployment(replicas: Int, image: String = "nginx:1.25", gracePeriod: Int = 1) -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: default}
        spec:
          replicas: \(replicas)
          selector: {matchLabels: {app: web}}
          strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}
          template:
            metadata: {labels: {app: web}}
            spec:
              terminationGracePeriodSeconds: \(gracePeriod)
              containers: [{name: web, image: "\(image)", ports: [{name: http, containerPort: 8080}], resources: {requests: {cpu: 100m, memory: 64Mi}}}]
        """
    }

    @Test("a Deployment scales up and down, rolls out within maxSurge/maxUnavailable at every moment, rollout status and undo work")
    func deploymentLifecycle() async throws {
        try await SimulatedCluster.with(nodes: 3) { cluster in
            try await cluster.apply(Self.deployment(replicas: 4))
            try await eventually("4 pods running and ready on simulated nodes") {
                let pods = try await cluster.pods("app=web")
                return pods.count == 4 && pods.allSatisfy { $0.isRunningAndReady && ($0.spec?.nodeName ?? "").hasPrefix("sim-") }
            }
            #expect(try await cluster.kubectl("scale", "deployment/web", "--replicas=6").status == 0)
            try await eventually("6 available replicas") {
                try await cluster.client.get(Deployment.self, name: "web", namespace: "default").status?.availableReplicas == 6
            }
            #expect(try await cluster.kubectl("scale", "deployment/web", "--replicas=2").status == 0)
            try await eventually("2 pods left, the others deleted by their kubelets") {
                try await cluster.client.list(Pod.self, namespace: "default", options: ListOptions(labelSelector: "app=web")).items.count == 2
            }
            #expect(try await cluster.kubectl("scale", "deployment/web", "--replicas=4").status == 0)
            try await eventually("4 ready again") { try await cluster.pods("app=web").filter(\.isReady).count == 4 }

            // Watch pods and ReplicaSets through the rollout: ready, not terminating pods never below 4 − 1,
            // ReplicaSets' desired replicas never above 4 + 1.
            let recorder = Recorder()
            let podList = try await cluster.client.list(Pod.self, namespace: "default", options: ListOptions(labelSelector: "app=web"))
            let rsList = try await cluster.client.list(ReplicaSet.self, namespace: "default")
            let client = cluster.client
            let podWatch = Task {
                var pods = Dictionary(uniqueKeysWithValues: podList.items.map { ($0.metadata.name ?? "", $0) })
                for try await event in client.watch(Pod.self, namespace: "default", labelSelector: "app=web",
                                                    resourceVersion: podList.metadata.resourceVersion) {
                    guard let pod = event.object, let name = pod.metadata.name else { continue }
                    if case .deleted = event { pods[name] = nil } else { pods[name] = pod }
                    let available = pods.values.filter { $0.metadata.deletionTimestamp == nil && $0.isReady }.count
                    if available < 3 { await recorder.violation("only \(available) available pods") }
                }
            }
            let rsWatch = Task {
                var sets = Dictionary(uniqueKeysWithValues: rsList.items.map { ($0.metadata.name ?? "", $0) })
                for try await event in client.watch(ReplicaSet.self, namespace: "default", resourceVersion: rsList.metadata.resourceVersion) {
                    guard let set = event.object, let name = set.metadata.name else { continue }
                    if case .deleted = event { sets[name] = nil } else { sets[name] = set }
                    let desired = sets.values.reduce(0) { $0 + Int($1.spec?.replicas ?? 0) }
                    if desired > 5 { await recorder.violation("ReplicaSets want \(desired) pods") }
                }
            }
            #expect(try await cluster.kubectl("set", "image", "deployment/web", "web=nginx:1.26").status == 0)
            let status = try await cluster.kubectl("rollout", "status", "deployment/web", "--timeout=120s")
            #expect(status.status == 0, "\(status)")
            #expect(status.stdout.contains("successfully rolled out"))
            try await eventually("only new pods left") {
                let pods = try await cluster.client.list(Pod.self, namespace: "default", options: ListOptions(labelSelector: "app=web")).items
                return pods.count == 4 && pods.allSatisfy { $0.spec?.containers.first?.image == "nginx:1.26" && $0.isReady }
            }
            podWatch.cancel()
            rsWatch.cancel()
            #expect(await recorder.violations == [])

            #expect(try await cluster.kubectl("rollout", "undo", "deployment/web").status == 0)
            #expect(try await cluster.kubectl("rollout", "status", "deployment/web", "--timeout=120s").status == 0)
            let template = try await cluster.client.get(Deployment.self, name: "web", namespace: "default").spec?.template.spec?.containers.first?.image
            #expect(template == "nginx:1.25")
            try await eventually("the old image back on every pod") {
                try await cluster.pods("app=web").filter { $0.spec?.containers.first?.image == "nginx:1.25" && $0.isReady }.count == 4
            }
        }
    }

    @Test("a DaemonSet lands one pod per node and skips tainted ones; a Job completes; EndpointSlices track ready pods")
    func daemonSetJobAndEndpoints() async throws {
        try await SimulatedCluster.with(nodes: 3) { cluster in
            var tainted = SimulatedCluster.fastNodes(prefix: "tainted-", nodes: 1)
            tainted.taints = [Taint(key: "dedicated", value: "infra", effect: "NoSchedule")]
            try await cluster.simulate(tainted)
            try await cluster.apply("""
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: agent, namespace: default}
                spec:
                  selector: {matchLabels: {app: agent}}
                  template:
                    metadata: {labels: {app: agent}}
                    spec: {containers: [{name: agent, image: "busybox:1.35"}]}
                ---
                apiVersion: batch/v1
                kind: Job
                metadata: {name: batch, namespace: default}
                spec:
                  completions: 3
                  parallelism: 2
                  template:
                    spec: {restartPolicy: Never, containers: [{name: work, image: "busybox:1.35"}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: default}
                spec:
                  selector: {app: web}
                  ports: [{name: http, port: 80, targetPort: http}]
                """)
            try await cluster.apply(Self.deployment(replicas: 3))
            try await eventually("one DaemonSet pod on each untainted node, all ready") {
                let ds = try await cluster.client.get(DaemonSet.self, name: "agent", namespace: "default")
                let nodes = try await cluster.pods("app=agent").compactMap(\.spec?.nodeName).sorted()
                return ds.status?.numberReady == 3 && ds.status?.desiredNumberScheduled == 3 && nodes == ["sim-0", "sim-1", "sim-2"]
            }
            let wait = try await cluster.kubectl("wait", "--for=condition=complete", "job/batch", "--timeout=60s")
            #expect(wait.status == 0, "\(wait)")
            #expect(try await cluster.client.get(Job.self, name: "batch", namespace: "default").status?.succeeded == 3)

            func endpoints() async throws -> (ready: Set<String>, pods: Set<String>) {
                let slices = try await cluster.client.list(EndpointSlice.self, namespace: "default",
                                                           options: ListOptions(labelSelector: "kubernetes.io/service-name=web")).items
                let ready = slices.flatMap(\.endpoints).filter { $0.conditions?.ready == true }.flatMap(\.addresses)
                let pods = try await cluster.pods("app=web").filter(\.isReady).compactMap(\.status?.podIP)
                return (Set(ready), Set(pods))
            }
            try await eventually("the EndpointSlice lists the 3 ready pods' IPs") {
                let (ready, pods) = try await endpoints()
                return ready.count == 3 && ready == pods
            }
            #expect(try await cluster.kubectl("scale", "deployment/web", "--replicas=1").status == 0)
            try await eventually("the EndpointSlice follows the scale-down to 1 ready endpoint") {
                let (ready, pods) = try await endpoints()
                return ready.count == 1 && ready == pods
            }
        }
    }

    @Test("deleting a namespace removes everything in it; foreground deletion waits for the dependents")
    func namespaceAndForegroundDeletion() async throws {
        var nodes = SimulatedCluster.fastNodes()
        nodes.maximumTerminationDelay = .seconds(5)
        try await SimulatedCluster.with(nodes: 2, simulator: nodes) { cluster in
            #expect(try await cluster.kubectl("create", "namespace", "doomed").status == 0)
            try await cluster.apply(Self.deployment(replicas: 3).replacingOccurrences(of: "namespace: default", with: "namespace: doomed") + """

                ---
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: doomed}
                spec: {selector: {app: web}, ports: [{port: 80}]}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings, namespace: doomed}
                data: {a: b}
                """)
            try await eventually("3 pods running in doomed") {
                try await cluster.pods("app=web", namespace: "doomed").filter(\.isRunningAndReady).count == 3
            }
            #expect(try await cluster.kubectl("delete", "namespace", "doomed", "--wait=false").status == 0)
            try await eventually("the namespace is gone") {
                do {
                    _ = try await cluster.client.get(Namespace.self, name: "doomed")
                    return false
                } catch { return (error as? KubeClientError)?.isNotFound == true }
            }
            #expect(try await cluster.client.list(Pod.self, namespace: "doomed").items.isEmpty)
            #expect(try await cluster.client.list(ConfigMap.self, namespace: "doomed").items.isEmpty)
            #expect(try await cluster.client.list(ReplicaSet.self, namespace: "doomed").items.isEmpty)

            // Pods that take 5 s to terminate, so the checks below run while they still exist (with 1 s, a slow kubectl
            // could outlast them).
            try await cluster.apply(Self.deployment(replicas: 2, gracePeriod: 5))
            try await eventually("2 pods running in default") { try await cluster.pods("app=web").filter(\.isRunningAndReady).count == 2 }
            #expect(try await cluster.kubectl("delete", "deployment/web", "--cascade=foreground", "--wait=false").status == 0)
            // While pods are still terminating, the Deployment stays with its finalizer.
            let waiting = try await cluster.client.get(Deployment.self, name: "web", namespace: "default")
            #expect(waiting.metadata.deletionTimestamp != nil)
            #expect(waiting.metadata.finalizers?.contains("foregroundDeletion") == true)
            #expect(try await !cluster.client.list(Pod.self, namespace: "default", options: ListOptions(labelSelector: "app=web")).items.isEmpty)
            try await eventually("the Deployment is gone after its pods and ReplicaSet") {
                do {
                    _ = try await cluster.client.get(Deployment.self, name: "web", namespace: "default")
                    return false
                } catch {
                    guard (error as? KubeClientError)?.isNotFound == true else { return false }
                    let pods = try await cluster.client.list(Pod.self, namespace: "default", options: ListOptions(labelSelector: "app=web")).items
                    return pods.isEmpty
                }
            }
        }
    }

    @Test("a node whose lease stops goes Unknown, is tainted, and its pods are evicted after their toleration")
    func silentNodeIsEvicted() async throws {
        try await SimulatedCluster.with(nodes: 3, serverArguments: ["--node-monitor-grace-period", "4s", "--node-monitor-period", "1s"]) { cluster in
            try await cluster.apply("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: default}
                spec:
                  replicas: 3
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec:
                      terminationGracePeriodSeconds: 1
                      tolerations:
                      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
                      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
                      containers: [{name: web, image: "nginx:1.25", resources: {requests: {cpu: "8"}}}]
                """)
            // Least-allocated scoring on 32-cpu nodes spreads the 8-cpu pods one per node.
            try await eventually("one ready pod per node") {
                Set(try await cluster.pods("app=web").filter(\.isRunningAndReady).compactMap(\.spec?.nodeName)).count == 3
            }
            let victim = try #require(try await cluster.pods("app=web").first { $0.spec?.nodeName == "sim-2" })
            let simulator = try #require(cluster.simulator(for: "sim-2"))
            simulator.pause("sim-2")
            try await eventually("sim-2 Unknown and tainted unreachable:NoExecute", timeout: .seconds(60)) {
                let node = try await cluster.client.get(Node.self, name: "sim-2")
                return node.status?.conditions?.first { $0.type == "Ready" }?.status == "Unknown"
                    && node.spec?.taints?.contains { $0.key == Taint.unreachableKey && $0.effect == "NoExecute" } == true
            }
            try await eventually("the pod on sim-2 evicted after its 2 s toleration") {
                let pod = try await cluster.client.get(Pod.self, name: victim.metadata.name ?? "", namespace: "default")
                return pod.metadata.deletionTimestamp != nil
            }
            // Its replacement cannot go to sim-2 (untolerated unreachable:NoSchedule).
            try await eventually("a replacement runs on a healthy node") {
                let pods = try await cluster.pods("app=web").filter(\.isRunningAndReady)
                return pods.count == 3 && pods.allSatisfy { $0.spec?.nodeName != "sim-2" }
            }
            #expect(try await cluster.client.get(Node.self, name: "sim-0").status?.conditions?.first { $0.type == "Ready" }?.status == "True")
        }
    }
}

extension WorkloadTests {
    @Test("a StatefulSet starts in order, rolls out and scales down inside swiftlet server; a CronJob's Job completes")
    func statefulSetAndCronJob() async throws {
        try await SimulatedCluster.with(nodes: 3) { cluster in
            // Three classless volumes for the claims (no default StorageClass, no provisioner): the binder binds
            // each claim to one, and the scheduler places a pod only once its claim is bound.
            for i in 0..<3 {
                try await cluster.apply("""
                    apiVersion: v1
                    kind: PersistentVolume
                    metadata: {name: disk-\(i)}
                    spec: {capacity: {storage: 2Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /tmp/disk-\(i)}}
                    """)
            }
            try await cluster.apply("""
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: db, namespace: default}
                spec:
                  replicas: 3
                  serviceName: db
                  selector: {matchLabels: {app: db}}
                  template:
                    metadata: {labels: {app: db}}
                    spec:
                      terminationGracePeriodSeconds: 1
                      containers: [{name: db, image: "postgres:16", resources: {requests: {cpu: 100m, memory: 64Mi}}}]
                  volumeClaimTemplates:
                  - metadata: {name: data}
                    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
                """)
            let status = try await cluster.kubectl("rollout", "status", "sts/db", "--timeout=90s")
            #expect(status.status == 0 && status.stdout.contains("partitioned roll out complete: 3 new pods have been updated"), "\(status.stdout)\(status.stderr)")
            let pods = try await cluster.pods("app=db").sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
            #expect(pods.map { $0.metadata.name ?? "" } == ["db-0", "db-1", "db-2"])
            #expect(pods.allSatisfy { $0.isRunningAndReady && ($0.spec?.nodeName ?? "").hasPrefix("sim-") })
            // OrderedReady: each pod was created only after its predecessor was ready.
            for (earlier, later) in zip(pods, pods.dropFirst()) {
                let ready = earlier.status?.conditions?.first { $0.type == "Ready" }?.lastTransitionTime?.date ?? .distantFuture
                #expect((later.metadata.creationTimestamp?.date ?? .distantPast) >= ready.addingTimeInterval(-1))
            }
            let claims = try await cluster.client.list(PersistentVolumeClaim.self, namespace: "default").items
            #expect(claims.count == 3 && claims.allSatisfy { $0.status?.phase == "Bound" && ($0.spec?.volumeName ?? "").hasPrefix("disk-") })

            #expect(try await cluster.kubectl("set", "image", "sts/db", "db=postgres:17").status == 0)
            let rolled = try await cluster.kubectl("rollout", "status", "sts/db", "--timeout=90s")
            #expect(rolled.status == 0, "\(rolled.stdout)\(rolled.stderr)")
            try await eventually("every pod on the new image") {
                let pods = try await cluster.pods("app=db")
                return pods.count == 3 && pods.allSatisfy { $0.spec?.containers.first?.image == "postgres:17" && $0.isRunningAndReady }
            }
            #expect(try await cluster.kubectl("scale", "sts/db", "--replicas=1").status == 0)
            try await eventually("scaled down to db-0") {
                try await cluster.client.list(Pod.self, namespace: "default", options: ListOptions(labelSelector: "app=db")).items
                    .compactMap(\.metadata.name) == ["db-0"]
            }

            try await cluster.apply("""
                apiVersion: batch/v1
                kind: CronJob
                metadata: {name: nightly, namespace: default}
                spec:
                  schedule: "0 3 * * *"
                  timeZone: Europe/Berlin
                  jobTemplate:
                    spec:
                      template:
                        spec:
                          restartPolicy: Never
                          containers: [{name: main, image: "busybox:1.36", command: [date]}]
                """)
            #expect(try await cluster.kubectl("create", "job", "nightly-manual", "--from=cronjob/nightly").status == 0)
            let done = try await cluster.kubectl("wait", "--for=condition=complete", "job/nightly-manual", "--timeout=60s")
            #expect(done.status == 0, "\(done.stdout)\(done.stderr)")
        }
    }
}

extension SimulatedCluster {
    /// The simulator running `node`.
    func simulator(for node: String) -> NodeSimulator? {
        simulatorsRunning.first { $0.configuration.nodeNames.contains(node) }
    }
}

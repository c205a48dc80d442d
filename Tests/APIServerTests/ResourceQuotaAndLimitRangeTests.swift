import Foundation
import KubeAPI
import KubeClient
import Logging
import Testing
import TestSupport

/// ResourceQuotas with the quota admission plugin and the resource quota controller, and LimitRanges with the
/// LimitRanger admission plugin, all through the real kubectl against `swiftlet server`.
@Suite struct ResourceQuotaAndLimitRangeTests {
    static func pod(_ name: String, namespace: String = "default", resources: String? = nil) -> String {
        let resources = resources.map { #","resources":\#($0)"# } ?? ""
        return #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"\#(name)","namespace":"\#(namespace)"},"spec":{"containers":[{"name":"c","image":"x"\#(resources)}]}}"#
    }

    /// Polls a jsonpath until it reads `expected` (the controller writes quota status asynchronously).
    static func waitFor(_ k: KubectlHarness, _ arguments: [String], _ expected: String) async throws -> String {
        var last = ""
        for _ in 0..<100 {
            let result = try await k.kubectl(arguments)
            last = result.stdout
            if result.status == 0, last == expected { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return last
    }

    @Test func quotaRefusesTheThirdPodAndAdmitsItOnceOneIsDeleted() async throws {
        let k = try await KubectlHarness()
        #expect(try await k.ok("create", "quota", "q", "--hard=pods=2").contains("resourcequota/q created"))
        let counted = try await Self.waitFor(k, ["get", "quota", "q", "-o", "jsonpath={.status.hard.pods} {.status.used.pods}"], "2 0")
        #expect(counted == "2 0")
        _ = try await k.ok("create", "-f", "-", stdin: Self.pod("p1"))
        _ = try await k.ok("create", "-f", "-", stdin: Self.pod("p2"))
        let third = try await k.kubectl(["create", "-f", "-"], stdin: Self.pod("p3"))
        #expect(third.status != 0 && third.stderr.contains(#"pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2"#), "\(third)")
        let table = try await k.ok("get", "quota")
        #expect(table.contains("NAME   AGE") && table.contains("REQUEST") && table.contains("LIMIT") && table.contains("pods: 2/2"), "\(table)")
        let described = try await k.ok("describe", "quota", "q")
        #expect(described.range(of: #"Resource\s+Used\s+Hard"#, options: .regularExpression) != nil && described.range(of: #"pods\s+2\s+2"#, options: .regularExpression) != nil, "\(described)")

        // Deleting a pod frees its share once the controller recounts; the refused pod then fits.
        _ = try await k.ok("delete", "pod", "p1")
        var admitted = third
        for _ in 0..<100 where admitted.status != 0 {
            try await Task.sleep(for: .milliseconds(100))
            admitted = try await k.kubectl(["create", "-f", "-"], stdin: Self.pod("p3"))
        }
        #expect(admitted.status == 0, "\(admitted)")
        #expect(try await Self.waitFor(k, ["get", "quota", "q", "-o", "jsonpath={.status.used.pods}"], "2") == "2")
        // A finished pod no longer counts against `pods`.
        _ = try await k.ok("patch", "pod", "p2", "--subresource=status", "--type=merge", "-p", #"{"status":{"phase":"Succeeded"}}"#)
        #expect(try await Self.waitFor(k, ["get", "quota", "q", "-o", "jsonpath={.status.used.pods}"], "1") == "1")

        // Compute quotas: every container must name what is constrained, and the sums are charged.
        _ = try await k.ok("create", "namespace", "compute")
        _ = try await k.ok("create", "quota", "cpu", "-n", "compute", "--hard=requests.cpu=1,limits.cpu=2,requests.memory=1Gi")
        #expect(try await Self.waitFor(k, ["get", "quota", "cpu", "-n", "compute", "-o", "jsonpath={.status.used.requests\\.cpu}"], "0") == "0")
        let bare = try await k.kubectl(["create", "-f", "-"], stdin: Self.pod("bare", namespace: "compute"))
        #expect(bare.status != 0 && bare.stderr.contains(#"pods "bare" is forbidden: failed quota: cpu: must specify limits.cpu for: c; requests.cpu for: c; requests.memory for: c"#), "\(bare)")
        let sized = #"{"requests":{"cpu":"600m","memory":"256Mi"},"limits":{"cpu":"1"}}"#
        _ = try await k.ok("create", "-f", "-", stdin: Self.pod("a", namespace: "compute", resources: sized))
        let over = try await k.kubectl(["create", "-f", "-"], stdin: Self.pod("b", namespace: "compute", resources: sized))
        #expect(over.status != 0 && over.stderr.contains(#"pods "b" is forbidden: exceeded quota: cpu, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1"#), "\(over)")
        let computeTable = try await k.ok("get", "quota", "-n", "compute")
        #expect(computeTable.contains("requests.cpu: 600m/1, requests.memory: 256Mi/1Gi") && computeTable.contains("limits.cpu: 1/2"), "\(computeTable)")

        // Object counts of any kind, and upstream's validation of the names and amounts.
        _ = try await k.ok("create", "quota", "objects", "-n", "compute", "--hard=count/deployments.apps=1")
        #expect(try await Self.waitFor(k, ["get", "quota", "objects", "-n", "compute", "-o", "jsonpath={.status.used.count/deployments\\.apps}"], "0") == "0")
        _ = try await k.ok("create", "deployment", "d1", "-n", "compute", "--image=x")
        let second = try await k.kubectl("create", "deployment", "d2", "-n", "compute", "--image=x")
        #expect(second.status != 0 && second.stderr.contains(#"deployments.apps "d2" is forbidden: exceeded quota: objects, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1"#), "\(second)")
        // Services count under `services` and, for NodePort and LoadBalancer ones, their node ports.
        _ = try await k.ok("create", "quota", "svc", "-n", "compute", "--hard=services=2,services.nodeports=0")
        #expect(try await Self.waitFor(k, ["get", "quota", "svc", "-n", "compute", "-o", "jsonpath={.status.used.services}"], "0") == "0")
        let nodePort = try await k.kubectl("create", "service", "nodeport", "web", "-n", "compute", "--tcp=80:80")
        #expect(nodePort.status != 0 && nodePort.stderr.contains(#"services "web" is forbidden: exceeded quota: svc, requested: services.nodeports=1, used: services.nodeports=0, limited: services.nodeports=0"#), "\(nodePort)")
        _ = try await k.ok("create", "service", "clusterip", "api", "-n", "compute", "--tcp=80:80")
        #expect(try await k.ok("get", "quota", "svc", "-n", "compute", "-o", "jsonpath={.status.used.services}") == "1")
        let invalid = try await k.kubectl("create", "quota", "bad", "--hard=pods=-1,foo=1")
        #expect(invalid.status != 0 && invalid.stderr.contains(#"spec.hard[pods]: Invalid value: "-1": must be greater than or equal to 0"#)
                && invalid.stderr.contains(#"spec.hard[foo]: Invalid value: "foo": must be a standard resource type or fully qualified"#), "\(invalid)")
    }

    /// Updates of Services and PersistentVolumeClaims are charged what they add: a Service turned NodePort its ports,
    /// a bound claim its storage growth. Over the quota, the update is refused with the create's message and nothing is stored.
    @Test func updatesAreChargedWhatTheyAdd() async throws {
        let k = try await KubectlHarness()
        _ = try await k.ok("create", "quota", "q", "--hard=services.nodeports=1,requests.storage=3Gi")
        #expect(try await Self.waitFor(k, ["get", "quota", "q", "-o", "jsonpath={.status.used.services\\.nodeports} {.status.used.requests\\.storage}"], "0 0")
                == "0 0")
        _ = try await k.ok("create", "service", "clusterip", "web", "--tcp=80:80", "--tcp=443:443")
        let web = try await k.kubectl("patch", "service", "web", "-p", #"{"spec":{"type":"NodePort"}}"#)
        #expect(web.status != 0 && web.stderr.contains(#"services "web" is forbidden: exceeded quota: q, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1"#), "\(web)")
        #expect(try await k.ok("get", "service", "web", "-o", "jsonpath={.spec.type}") == "ClusterIP")
        _ = try await k.ok("create", "service", "clusterip", "api", "--tcp=80:80")
        _ = try await k.ok("patch", "service", "api", "-p", #"{"spec":{"type":"NodePort"}}"#)
        #expect(try await k.ok("get", "quota", "q", "-o", "jsonpath={.status.used.services\\.nodeports}") == "1")

        // Only a bound claim's request may change: the binder binds this one to the volume.
        _ = try await k.ok("create", "-f", "-", stdin: #"{"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pv-data"},"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"hostPath":{"path":"/tmp/pv-data"}}}"#)
        let claim = #"{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"storageClassName":"","resources":{"requests":{"storage":"1Gi"}}}}"#
        _ = try await k.ok("create", "-f", "-", stdin: claim)
        #expect(try await Self.waitFor(k, ["get", "pvc", "data", "-o", "jsonpath={.status.phase}"], "Bound") == "Bound")
        #expect(try await k.ok("get", "quota", "q", "-o", "jsonpath={.status.used.requests\\.storage}") == "1Gi")
        let grown = try await k.kubectl("patch", "pvc", "data", "-p", #"{"spec":{"resources":{"requests":{"storage":"5Gi"}}}}"#)
        #expect(grown.status != 0 && grown.stderr.contains(#"persistentvolumeclaims "data" is forbidden: exceeded quota: q, requested: requests.storage=4Gi, used: requests.storage=1Gi, limited: requests.storage=3Gi"#), "\(grown)")
        #expect(try await k.ok("get", "pvc", "data", "-o", "jsonpath={.spec.resources.requests.storage}") == "1Gi")
        _ = try await k.ok("patch", "pvc", "data", "-p", #"{"spec":{"resources":{"requests":{"storage":"3Gi"}}}}"#)
        #expect(try await k.ok("get", "quota", "q", "-o", "jsonpath={.status.used.requests\\.storage}") == "3Gi")
    }

    @Test func concurrentCreatesDoNotSlipPastTheLimit() async throws {
        let k = try await KubectlHarness()
        _ = try await k.ok("create", "quota", "q", "--hard=pods=3")
        #expect(try await Self.waitFor(k, ["get", "quota", "q", "-o", "jsonpath={.status.used.pods}"], "0") == "0")
        let results = try await withThrowingTaskGroup(of: CommandResult.self) { group in
            for i in 0..<10 { group.addTask { try await k.kubectl(["create", "-f", "-"], stdin: Self.pod("p\(i)")) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter { $0.status == 0 }.count == 3, "\(results)")
        let refused = results.filter { $0.status != 0 }
        #expect(refused.count == 7 && refused.allSatisfy { $0.stderr.contains("exceeded quota: q, requested: pods=1, used: pods=3, limited: pods=3") }, "\(refused)")
        let pods = try await k.ok("get", "pods", "-o", "name")
        #expect(pods.split(separator: "\n").count == 3, "\(pods)")
        #expect(try await k.ok("get", "quota", "q", "-o", "jsonpath={.status.used.pods}") == "3")

        // Forty creates at once over the client's connections, in another namespace: exactly the limit gets in.
        _ = try await k.ok("create", "namespace", "burst")
        _ = try await k.ok("create", "quota", "q", "-n", "burst", "--hard=pods=5")
        #expect(try await Self.waitFor(k, ["get", "quota", "q", "-n", "burst", "-o", "jsonpath={.status.used.pods}"], "0") == "0")
        let client = try KubeClient(configuration: k.server.clientConfiguration(), logger: Logger(label: "test"))
        let codes = await withTaskGroup(of: Int.self) { group in
            for i in 0..<40 {
                group.addTask {
                    let pod = Pod(metadata: ObjectMeta(name: "b\(i)", namespace: "burst"), spec: PodSpec(containers: [Container(name: "c", image: "x")]))
                    do {
                        _ = try await client.create(pod)
                        return 201
                    } catch {
                        return (error as? KubeClientError)?.code ?? 0
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(codes.filter { $0 == 201 }.count == 5 && codes.filter { $0 == 403 }.count == 35, "\(codes)")
        #expect(try await client.list(Pod.self, namespace: "burst").items.count == 5)
        #expect(try await k.ok("get", "quota", "q", "-n", "burst", "-o", "jsonpath={.status.used.pods}") == "5")
    }

    @Test func limitRangeDefaultsAndBoundsContainers() async throws {
        let k = try await KubectlHarness(controllers: false)
        let limits = #"{"apiVersion":"v1","kind":"LimitRange","metadata":{"name":"lr"},"spec":{"limits":[{"type":"Container","#
            + #""max":{"cpu":"1","memory":"512Mi"},"min":{"memory":"64Mi"},"default":{"cpu":"500m","memory":"256Mi"},"#
            + #""defaultRequest":{"cpu":"100m","memory":"128Mi"}}]}}"#
        #expect(try await k.ok("create", "-f", "-", stdin: limits).contains("limitrange/lr created"))
        let table = try await k.ok("get", "limits")
        #expect(table.contains("NAME   CREATED AT") && table.contains("lr "), "\(table)")
        let described = try await k.ok("describe", "limitrange", "lr")
        #expect(described.contains("Default Request") && described.range(of: #"Container\s+cpu\s+-\s+1\s+100m\s+500m"#, options: .regularExpression) != nil
                && described.range(of: #"Container\s+memory\s+64Mi\s+512Mi\s+128Mi\s+256Mi"#, options: .regularExpression) != nil, "\(described)")

        _ = try await k.ok("create", "-f", "-", stdin: Self.pod("plain"))
        let resources = try await k.ok("get", "pod", "plain", "-o",
                                       "jsonpath={.spec.containers[0].resources.requests.cpu} {.spec.containers[0].resources.limits.cpu} {.spec.containers[0].resources.requests.memory} {.spec.containers[0].resources.limits.memory} {.status.qosClass}")
        #expect(resources == "100m 500m 128Mi 256Mi Burstable")
        #expect(try await k.ok("get", "pod", "plain", "-o", #"jsonpath={.metadata.annotations.kubernetes\.io/limit-ranger}"#)
                == "LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c")

        let big = try await k.kubectl(["create", "-f", "-"], stdin: Self.pod("big", resources: #"{"limits":{"cpu":"2"}}"#))
        #expect(big.status != 0 && big.stderr.contains(#"pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2"#), "\(big)")
        let small = try await k.kubectl(["create", "-f", "-"], stdin: Self.pod("small", resources: #"{"requests":{"memory":"32Mi"}}"#))
        #expect(small.status != 0 && small.stderr.contains(#"pods "small" is forbidden: minimum memory usage per Container is 64Mi, but request is 32Mi"#), "\(small)")
        // A limit without a request requests the limit (pod defaulting), so no defaultRequest is applied to it.
        _ = try await k.ok("create", "-f", "-", stdin: Self.pod("capped", resources: #"{"limits":{"cpu":"800m"}}"#))
        #expect(try await k.ok("get", "pod", "capped", "-o", "jsonpath={.spec.containers[0].resources.requests.cpu}") == "800m")

        // Pod items bound the sum over the containers; claim items the storage a claim requests.
        _ = try await k.ok("create", "namespace", "bounded")
        _ = try await k.ok("create", "-f", "-", stdin: #"{"apiVersion":"v1","kind":"LimitRange","metadata":{"name":"lr","namespace":"bounded"},"spec":{"limits":[{"type":"Pod","max":{"cpu":"1"}},{"type":"PersistentVolumeClaim","max":{"storage":"1Gi"}}]}}"#)
        let pair = #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"pair","namespace":"bounded"},"spec":{"containers":[{"name":"a","image":"x","resources":{"limits":{"cpu":"600m"}}},{"name":"b","image":"x","resources":{"limits":{"cpu":"600m"}}}]}}"#
        let summed = try await k.kubectl(["create", "-f", "-"], stdin: pair)
        #expect(summed.status != 0 && summed.stderr.contains(#"pods "pair" is forbidden: maximum cpu usage per Pod is 1, but limit is 1200m"#), "\(summed)")
        let claim = try await k.kubectl(["create", "-f", "-"], stdin: #"{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"big","namespace":"bounded"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"2Gi"}}}}"#)
        #expect(claim.status != 0 && claim.stderr.contains(#"persistentvolumeclaims "big" is forbidden: maximum storage usage per PersistentVolumeClaim is 1Gi, but request is 2Gi"#), "\(claim)")

        let inverted = try await k.kubectl(["create", "-f", "-"], stdin: #"{"apiVersion":"v1","kind":"LimitRange","metadata":{"name":"bad"},"spec":{"limits":[{"type":"Container","min":{"cpu":"2"},"max":{"cpu":"1"}}]}}"#)
        #expect(inverted.status != 0 && inverted.stderr.contains("min value 2 is greater than max value 1"), "\(inverted)")
        let podDefaults = try await k.kubectl(["create", "-f", "-"], stdin: #"{"apiVersion":"v1","kind":"LimitRange","metadata":{"name":"bad"},"spec":{"limits":[{"type":"Pod","default":{"cpu":"1"}}]}}"#)
        #expect(podDefaults.status != 0 && podDefaults.stderr.contains("spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'"), "\(podDefaults)")
    }
}

import Foundation
import Testing
import TestSupport

/// PriorityClasses with the Priority admission plugin, PodDisruptionBudgets with the disruption controller, and
/// evictions through `kubectl drain`, all with the real kubectl.
@Suite struct PriorityAndDisruptionTests {
    @Test func priorityClassesAndPriorityAdmission() async throws {
        let k = try await KubectlHarness(controllers: false)
        let listed = try await k.ok("get", "priorityclass")
        #expect(listed.contains("NAME") && listed.contains("VALUE") && listed.contains("GLOBAL-DEFAULT") && listed.contains("PREEMPTIONPOLICY"), "\(listed)")
        #expect(listed.contains("system-cluster-critical   2000000000   false") && listed.contains("system-node-critical      2000001000   false"), "\(listed)")
        #expect(try await k.ok("create", "priorityclass", "high", "--value=1000", "--description=important").contains("priorityclass.scheduling.k8s.io/high created"))
        #expect(try await k.ok("create", "priorityclass", "fallback", "--value=10", "--global-default").contains("created"))
        #expect(try await k.ok("get", "pc", "high", "-o", "jsonpath={.value} {.preemptionPolicy}") == "1000 PreemptLowerPriority")
        let describedClass = try await k.ok("describe", "priorityclass", "high")
        #expect(describedClass.contains("Value:") && describedClass.contains("1000") && describedClass.contains("important"), "\(describedClass)")
        let second = try await k.kubectl("create", "priorityclass", "another", "--value=5", "--global-default")
        #expect(second.status != 0 && second.stderr.contains("priorityclasses.scheduling.k8s.io \"another\" is forbidden: PriorityClass fallback is marked as default. Only one default can exist"), "\(second)")
        let reserved = try await k.kubectl("create", "priorityclass", "system-mine", "--value=5")
        #expect(reserved.status != 0 && reserved.stderr.contains("priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"), "\(reserved)")
        let tooHigh = try await k.kubectl("create", "priorityclass", "huge", "--value=1000000001")
        #expect(tooHigh.status != 0 && tooHigh.stderr.contains("maximum allowed value of a user defined priority is 1000000000"), "\(tooHigh)")
        let builtIn = try await k.kubectl("delete", "priorityclass", "system-node-critical")
        #expect(builtIn.status != 0 && builtIn.stderr.contains("priorityclasses.scheduling.k8s.io \"system-node-critical\" is forbidden: this is a system priority class and cannot be deleted"), "\(builtIn)")
        let changed = try await k.kubectl("patch", "priorityclass", "high", "--type=merge", "-p", #"{"value":7}"#)
        #expect(changed.status != 0 && changed.stderr.contains("value: Forbidden: may not be changed in an update."), "\(changed)")

        func pod(_ name: String, _ extra: String) -> String {
            #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"\#(name)"},"spec":{\#(extra)"containers":[{"name":"c","image":"x"}]}}"#
        }
        _ = try await k.ok("create", "-f", "-", stdin: pod("important", #""priorityClassName":"high","#))
        #expect(try await k.ok("get", "pod", "important", "-o", "jsonpath={.spec.priority} {.spec.preemptionPolicy}") == "1000 PreemptLowerPriority")
        _ = try await k.ok("create", "-f", "-", stdin: pod("plain", ""))
        #expect(try await k.ok("get", "pod", "plain", "-o", "jsonpath={.spec.priorityClassName} {.spec.priority}") == "fallback 10")
        let unknown = try await k.kubectl(["create", "-f", "-"], stdin: pod("lost", #""priorityClassName":"nope","#))
        #expect(unknown.status != 0 && unknown.stderr.contains("pods \"lost\" is forbidden: no PriorityClass with name nope was found"), "\(unknown)")
        let forged = try await k.kubectl(["create", "-f", "-"], stdin: pod("forged", #""priority":5,"#))
        #expect(forged.status != 0 && forged.stderr.contains("pods \"forged\" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 10 from the given PriorityClass name"), "\(forged)")
    }

    @Test func disruptionBudgetsGuardEvictionsAndDrain() async throws {
        let k = try await KubectlHarness()
        _ = try await k.ok("create", "-f", "-", stdin: #"{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}"#)
        for name in ["web-1", "web-2"] {
            _ = try await k.ok("create", "-f", "-", stdin: #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"\#(name)","labels":{"app":"web"}},"spec":{"nodeName":"n1","terminationGracePeriodSeconds":0,"containers":[{"name":"c","image":"x"}]}}"#)
            _ = try await k.ok("patch", "pod", name, "--subresource=status", "--type=merge", "-p",
                               #"{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}"#)
        }
        #expect(try await k.ok("create", "pdb", "web", "--selector=app=web", "--min-available=1").contains("poddisruptionbudget.policy/web created"))
        var status = ""
        for _ in 0..<100 {
            status = try await k.ok("get", "pdb", "web", "-o", "jsonpath={.status.currentHealthy} {.status.desiredHealthy} {.status.expectedPods} {.status.disruptionsAllowed} {.status.conditions[0].reason}")
            if status == "2 1 2 1 SufficientPods" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(status == "2 1 2 1 SufficientPods")
        let described = try await k.ok("describe", "pdb", "web")
        #expect(described.contains("Min available:  1") && described.contains("Allowed disruptions:  1"), "\(described)")
        let table = try await k.ok("get", "pdb")
        #expect(table.contains("MIN AVAILABLE   MAX UNAVAILABLE   ALLOWED DISRUPTIONS") && table.contains("web    1               N/A               1"), "\(table)")
        // The first eviction spends the budget; the second is refused until a pod is healthy again.
        let drain = try await k.kubectl("drain", "n1", "--force", "--grace-period=0", "--timeout=8s")
        #expect(drain.status != 0, "\(drain)")
        #expect(drain.stdout.contains("node/n1 cordoned") || drain.stderr.contains("node/n1 cordoned"), "\(drain)")
        #expect(drain.stderr.contains("Cannot evict pod as it would violate the pod's disruption budget."), "\(drain)")
        #expect(try await k.ok("get", "node", "n1", "-o", "jsonpath={.spec.unschedulable}") == "true")
        let left = try await k.ok("get", "pods", "-l", "app=web", "-o", "name")
        #expect(left.split(separator: "\n").count == 1, "\(left)")
        let evicted = try await k.curl("POST", "/api/v1/namespaces/default/pods/\(left.split(separator: "/").last.map(String.init)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")/eviction",
                                       body: #"{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"\#(left.split(separator: "/").last.map(String.init)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")"}}"#)
        #expect(evicted.code == 429 && evicted.body.contains("needs 1 healthy pods and has 1 currently"), "\(evicted)")
        _ = try await k.ok("delete", "pdb", "web")
        let second = try await k.kubectl("drain", "n1", "--force", "--grace-period=0", "--timeout=20s")
        #expect(second.status == 0 && second.stdout.contains("node/n1 drained"), "\(second)")
        #expect(try await k.ok("get", "pods", "-l", "app=web", "-o", "name").isEmpty)
        // maxUnavailable and percentages count against the controllers' scale (a Deployment through its ReplicaSet).
        _ = try await k.ok("create", "deployment", "api", "--image=x", "--replicas=3")
        _ = try await k.ok("create", "pdb", "api", "--selector=app=api", "--max-unavailable=1")
        _ = try await k.ok("create", "pdb", "api-half", "--selector=app=nothing-yet", "--min-available=50%")
        for _ in 0..<100 {
            status = try await k.ok("get", "pdb", "api", "-o", "jsonpath={.status.expectedPods} {.status.desiredHealthy} {.status.currentHealthy} {.status.disruptionsAllowed} {.status.conditions[0].reason}")
            if status == "3 2 0 0 InsufficientPods" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(status == "3 2 0 0 InsufficientPods")
        let invalid = try await k.kubectl(["create", "-f", "-"], stdin: #"{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"bad"},"spec":{"minAvailable":1,"maxUnavailable":"150%","selector":{}}}"#)
        #expect(invalid.status != 0 && invalid.stderr.contains("minAvailable and maxUnavailable cannot be both set") && invalid.stderr.contains("must not be greater than 100%"), "\(invalid)")
    }
}

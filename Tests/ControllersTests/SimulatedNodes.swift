import Foundation
import KubeAPI
import KubeClient
import TestSupport

/// Nodes and kubelets simulated through the API, as kwok does: a Node with a Ready status and a Lease in
/// `kube-node-lease` that the test renews (or stops renewing), and pod phases and deletions a kubelet would report.
extension ControllerHarness {
    /// Registers a Ready node with allocatable cpu, memory and pods, and its heartbeat Lease.
    @discardableResult
    func createNode(_ name: String, labels: [String: String] = [:], taints: [Taint]? = nil) async throws -> Node {
        var nodeLabels = ["kubernetes.io/hostname": name, "kubernetes.io/os": "linux"]
        nodeLabels.merge(labels) { _, new in new }
        _ = try await client.create(Node(metadata: ObjectMeta(name: name, labels: nodeLabels), spec: NodeSpec(taints: taints)))
        try await renewLease(name)
        return try await postNodeStatus(name)
    }

    /// Posts the node's status as its kubelet would: Ready with the given status, no pressure, a fresh heartbeat.
    @discardableResult
    func postNodeStatus(_ name: String, ready: String = "True") async throws -> Node {
        let now = JSONValue.string(Time.now().description)
        func condition(_ type: String, _ status: String, _ reason: String) -> JSONValue {
            ["type": .string(type), "status": .string(status), "reason": .string(reason), "message": .string(reason),
             "lastHeartbeatTime": now, "lastTransitionTime": now]
        }
        let resources: JSONValue = ["cpu": "4", "memory": "8Gi", "pods": "110"]
        let patch: JSONValue = ["status": [
            "capacity": resources, "allocatable": resources,
            "conditions": [
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID"),
                condition("Ready", ready, ready == "True" ? "KubeletReady" : "KubeletNotReady"),
            ],
        ]]
        return try await client.patch(Node.self, name: name, patchType: .merge, patch, subresource: "status")
    }

    /// Renews (creating it the first time) the node's Lease, as the kubelet does every 10 s.
    func renewLease(_ name: String) async throws {
        let now = MicroTime.now()
        do {
            _ = try await client.patch(Lease.self, name: name, namespace: "kube-node-lease", patchType: .merge,
                                       ["spec": ["renewTime": .string(now.description)]])
        } catch let error where error.isNotFound {
            _ = try await client.create(Lease(metadata: ObjectMeta(name: name, namespace: "kube-node-lease"),
                                              spec: LeaseSpec(holderIdentity: name, leaseDurationSeconds: 40, renewTime: now)))
        }
    }

    /// Runs `body` while a background task renews these nodes' Leases every 500 ms.
    func keepingLeasesRenewed(_ names: [String], _ body: () async throws -> Void) async throws {
        let renewer = Task {
            while !Task.isCancelled {
                for name in names { try? await renewLease(name) }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        do {
            try await body()
        } catch {
            renewer.cancel()
            throw error
        }
        renewer.cancel()
    }

    /// Runs `body` while a background task finishes the deletion of terminating pods in `namespace` (the kubelet's
    /// final `DELETE` with grace period 0 once the containers have stopped).
    func finalizingTerminatingPods(namespace: String = "default", _ body: () async throws -> Void) async throws {
        let finalizer = Task {
            while !Task.isCancelled {
                let pods = (try? await client.list(Pod.self, namespace: namespace).items) ?? []
                for pod in pods where pod.metadata.deletionTimestamp != nil {
                    try? await client.delete(Pod.self, name: pod.metadata.name ?? "", namespace: namespace,
                                             options: DeleteOptions(gracePeriodSeconds: 0, preconditions: .init(uid: pod.metadata.uid)))
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        do {
            try await body()
        } catch {
            finalizer.cancel()
            throw error
        }
        finalizer.cancel()
    }

    /// Reports the pod finished, as the kubelet does when its containers exit: phase Succeeded or Failed, the
    /// container terminated with `exitCode`, Ready False.
    @discardableResult
    func markFinished(_ pod: Pod, exitCode: Int32) async throws -> Pod {
        let now = JSONValue.string(Time.now().description)
        let container = pod.spec?.containers.first?.name ?? "main"
        let patch: JSONValue = ["status": [
            "phase": .string(exitCode == 0 ? "Succeeded" : "Failed"),
            "conditions": [
                ["type": "Ready", "status": "False", "reason": "PodCompleted", "lastTransitionTime": now],
                ["type": "ContainersReady", "status": "False", "reason": "PodCompleted", "lastTransitionTime": now],
            ],
            "containerStatuses": [[
                "name": .string(container), "image": .string(pod.spec?.containers.first?.image ?? ""), "imageID": "",
                "ready": false, "restartCount": 0,
                "state": ["terminated": ["exitCode": .int(Int64(exitCode)), "reason": .string(exitCode == 0 ? "Completed" : "Error"),
                                         "startedAt": now, "finishedAt": now]],
            ]],
        ]]
        return try await client.patch(Pod.self, name: pod.metadata.name ?? "", namespace: pod.metadata.namespace,
                                      patchType: .merge, patch, subresource: "status")
    }
}

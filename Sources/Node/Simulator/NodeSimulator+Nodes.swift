import Foundation
import Logging
import Metrics
import Synchronization
import KubeAPI
import KubeClient

/// Registration, status and heartbeat of the simulated nodes.
extension NodeSimulator {
    /// The version the simulated kubelets report.
    static let kubeletVersion = "v1.32.0-swiftlet-sim"

    /// Creates every node (taking over one that exists), posts its status and creates its Lease.
    func registerNodes() async throws {
        let failures = Failures()
        await forEachConcurrently(configuration.nodeNames) { name in
            do {
                try await self.register(name)
                try await self.postNodeStatus(name)
                try await self.renewLease(name)
                _ = self.state.withLock { $0.registeredNodes.insert(name) }
            } catch {
                await failures.add("\(name): \(error)")
            }
        }
        if let first = await failures.first { throw SimulatorError("registering simulated nodes failed (\(await failures.count) nodes), first: \(first)") }
    }

    private func register(_ name: String) async throws {
        var labels = ["kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                      "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64", "node.swiftlet.dev/simulated": "true"]
        labels.merge(configuration.labels) { _, new in new }
        let index = nodeIndex[name] ?? 0
        let cidr = PodAddresses.podCIDR(node: index)
        let node = Node(metadata: ObjectMeta(name: name, labels: labels,
                                             annotations: ["node.alpha.kubernetes.io/ttl": "0"]),
                        spec: NodeSpec(podCIDR: cidr, podCIDRs: [cidr], taints: configuration.taints.isEmpty ? nil : configuration.taints))
        do {
            _ = try await client.create(node)
        } catch {
            guard error.isAlreadyExists else { throw error }
            logger.debug("node exists; taking it over", metadata: ["node": "\(name)"])
        }
    }

    /// Writes the node's status as a kubelet does: capacity, allocatable, addresses, the four conditions (Ready),
    /// daemon endpoints and nodeInfo.
    func postNodeStatus(_ name: String) async throws {
        let now = Time.now()
        func condition(_ type: String, _ status: String, _ reason: String, _ message: String) -> NodeCondition {
            NodeCondition(type: type, status: status, lastHeartbeatTime: now, lastTransitionTime: now, reason: reason, message: message)
        }
        let resources: [String: Quantity] = [
            "cpu": Quantity(stringLiteral: configuration.cpu), "memory": Quantity(stringLiteral: configuration.memory),
            "ephemeral-storage": Quantity(stringLiteral: configuration.ephemeralStorage),
            "pods": Quantity(stringLiteral: String(configuration.podsPerNode)),
        ]
        var status = NodeStatus(capacity: resources, allocatable: resources, conditions: [
            condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ], addresses: [NodeAddress(type: "InternalIP", address: PodAddresses.nodeIP(node: nodeIndex[name] ?? 0)),
                       NodeAddress(type: "Hostname", address: name)])
        // No kubelet API is served for a simulated node (its address leads nowhere): port 0 says so, and the API
        // server's metrics scraper leaves it alone instead of sending thousands of connection attempts into the void.
        status.daemonEndpoints = NodeDaemonEndpoints(kubeletEndpoint: DaemonEndpoint(port: 0))
        status.nodeInfo = NodeSystemInfo(machineID: name, systemUUID: name, bootID: name, kernelVersion: "simulated",
                                         osImage: "Swiftlet simulated node", containerRuntimeVersion: "sim://1.0.0",
                                         kubeletVersion: Self.kubeletVersion, kubeProxyVersion: Self.kubeletVersion,
                                         operatingSystem: "linux", architecture: "amd64")
        status.phase = nil
        let body = try JSONEncoder().encode(StatusPatch(status: status))
        _ = try await client.patch(Node.self, name: name, patchType: .merge, body: body, subresource: "status")
        metrics.nodeStatusUpdates.increment()
    }

    /// Re-posts every node's status once per `nodeStatusReportFrequency`, spread over the period, so
    /// `lastHeartbeatTime` moves as the kubelet's does.
    func reportNodeStatus() async {
        await spreadOverPeriods(configuration.nodeStatusReportFrequency) { name in
            do {
                try await self.postNodeStatus(name)
            } catch {
                self.logger.warning("node status update failed", metadata: ["node": "\(name)", "error": "\(error)"])
            }
        }
    }

    /// Watches the nodes and posts the status of a simulated one again at once when the control plane marked it
    /// not Ready (the node lifecycle controller's Unknown after a late lease), as a kubelet does on its next status
    /// check instead of waiting for `nodeStatusReportFrequency`.
    func watchNodes() async {
        await Reflector(ListWatch<Node>(client: client), logger: logger).run { delta in
            let nodes: [Node]
            switch delta {
            case .replace(let all, _): nodes = all
            case .event(let event): nodes = event.object.map { [$0] } ?? []
            }
            for node in nodes {
                guard let name = node.metadata.name, self.nodeIndex[name] != nil, self.isActive(name),
                      node.status?.conditions?.first(where: { $0.type == "Ready" })?.status != "True",
                      self.state.withLock({ $0.reposting.insert(name).inserted }) else { continue }
                Task {
                    defer { _ = self.state.withLock { $0.reposting.remove(name) } }
                    do {
                        try await self.postNodeStatus(name)
                    } catch {
                        self.logger.warning("node status update failed", metadata: ["node": "\(name)", "error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Renews every node's Lease once per `leaseRenewInterval`, spread evenly over it.
    func renewLeases() async {
        await spreadOverPeriods(configuration.leaseRenewInterval) { name in
            let started = ContinuousClock.now
            do {
                try await self.renewLease(name)
                self.metrics.leaseRenewals.increment()
                self.metrics.leaseRenewalDuration.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
                self.state.withLock { $0.lastLeaseSuccess = .now }
            } catch {
                self.metrics.leaseRenewalErrors.increment()
                self.logger.warning("failed to renew the node lease", metadata: ["node": "\(name)", "error": "\(error)"])
            }
        }
    }

    /// Calls `body` for every unpaused node once per `period`: the nodes are split into 100 ms slots, each slot's
    /// nodes handled concurrently (up to `parallelism`), so the load is even.
    private func spreadOverPeriods(_ period: Duration, _ body: @escaping @Sendable (String) async -> Void) async {
        let names = configuration.nodeNames
        let slot = Duration.milliseconds(100)
        let slots = max(1, Int(period / slot))
        // The first round happened at registration.
        var start = ContinuousClock.now
        while !Task.isCancelled {
            guard (try? await Task.sleep(until: start + period, clock: .continuous)) != nil else { return }
            start = start + period
            for index in 0..<slots {
                let lower = names.count * index / slots, upper = names.count * (index + 1) / slots
                let batch = names[lower..<upper].filter { self.isActive($0) }
                if !batch.isEmpty { await forEachConcurrently(Array(batch), body) }
                guard (try? await Task.sleep(until: start + slot * (index + 1), clock: .continuous)) != nil else { return }
            }
        }
    }

    /// One renewal: a `PUT` of the cached Lease with a new renewTime; on conflict or a missing cache entry the
    /// Lease is read (or created) first.
    func renewLease(_ name: String) async throws {
        let now = MicroTime.now()
        if var lease = state.withLock({ $0.leases[name] }) {
            lease.spec?.renewTime = now
            do {
                let stored = try await client.update(lease)
                state.withLock { $0.leases[name] = Self.trimmed(stored) }
                return
            } catch {
                guard error.isConflict || error.isNotFound else { throw error }
                state.withLock { $0.leases[name] = nil }
            }
        }
        let existing: Lease?
        do {
            existing = try await client.get(Lease.self, name: name, namespace: "kube-node-lease")
        } catch {
            guard error.isNotFound else { throw error }
            existing = nil
        }
        let spec = LeaseSpec(holderIdentity: name, leaseDurationSeconds: configuration.leaseDurationSeconds, renewTime: now)
        let stored: Lease
        if var lease = existing {
            lease.spec = spec
            stored = try await client.update(lease)
        } else {
            // The Node owns its Lease, as the kubelet sets it, so deleting the node removes the lease.
            var metadata = ObjectMeta(name: name, namespace: "kube-node-lease")
            if let uid = try? await client.get(Node.self, name: name).metadata.uid {
                metadata.ownerReferences = [OwnerReference(apiVersion: "v1", kind: "Node", name: name, uid: uid)]
            }
            stored = try await client.create(Lease(metadata: metadata, spec: spec))
        }
        state.withLock { $0.leases[name] = Self.trimmed(stored) }
    }

    /// The Lease as it is cached and sent back: without managedFields, which the API server keeps from the stored
    /// object when a PUT omits them, so every renewal is a small body.
    static func trimmed(_ lease: Lease) -> Lease {
        var lease = lease
        lease.metadata.managedFields = nil
        return lease
    }
}

/// `{"status": …}` for a merge patch of the status subresource.
struct StatusPatch<S: Encodable>: Encodable {
    var status: S
}

/// Collects failures from concurrent tasks.
actor Failures {
    private var messages: [String] = []
    func add(_ message: String) { messages.append(message) }
    var first: String? { messages.first }
    var count: Int { messages.count }
}

/// A simulator failure with its reason.
public struct SimulatorError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}

import Foundation
import KubeAPI
import KubeClient
import Logging

/// The scheduler: kube-scheduler's default profile over KubeClient. Pods without a node whose `schedulerName` is
/// `default-scheduler` wait in a `SchedulingQueue`; each is filtered and scored against the nodes
/// (`SchedulingAlgorithm`), assumed on the best node in the cache at once (so the next pod already sees it there),
/// and bound through `pods/binding` in the background while the next pod is scheduled. A pod that fits nowhere gets
/// a `FailedScheduling` event and `PodScheduled=False/Unschedulable` worded as upstream words them, and waits until a
/// node is added or changes, or a placed pod goes away.
///
/// It keeps its own compact cache from its watches — pods (finished ones left out), nodes, namespaces, and the
/// selectors of Services, ReplicationControllers, ReplicaSets and StatefulSets (for the default topology spreading) —
/// rather than whole
/// objects.
///
/// ```swift
/// let scheduler = Scheduler(client: client, logger: logger)
/// try await scheduler.run()      // until the task is cancelled
/// ```
public actor Scheduler {
    public static let name = "default-scheduler"

    /// Tunables; the defaults are upstream's.
    public struct Configuration: Sendable {
        public var schedulerName: String
        /// Bindings in flight at once before scheduling waits for one to finish.
        public var parallelBindings: Int
        public var initialBackoff: Duration
        public var maximumBackoff: Duration
        /// How long binding waits for the persistentvolume-binder (or a provisioner) to bind the claims of a pod
        /// whose volumes it chose (upstream's VolumeBinding `bindTimeoutSeconds`, 600).
        public var volumeBindTimeout: Duration

        public init(schedulerName: String = Scheduler.name, parallelBindings: Int = 32,
                    initialBackoff: Duration = .seconds(1), maximumBackoff: Duration = .seconds(10),
                    volumeBindTimeout: Duration = .seconds(600)) {
            self.schedulerName = schedulerName
            self.parallelBindings = parallelBindings
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.volumeBindTimeout = volumeBindTimeout
        }
    }

    private let client: KubeClient
    private let configuration: Configuration
    private let logger: Logger
    private let events: EventRecorder
    private let metrics = SchedulerMetrics()

    private var cache = ClusterCache()
    private var queue: SchedulingQueue
    /// Pods held back by `schedulingGates`, by UID.
    private var gated: [String: PendingPod] = [:]
    /// Where the next cycle starts walking the nodes.
    private var nextStartNode = 0
    private var synced: Set<String> = []
    private var popWaiter: CheckedContinuation<Void, Never>?
    private var bindings = 0
    private var bindingWaiter: CheckedContinuation<Void, Never>?

    public init(client: KubeClient, configuration: Configuration = Configuration(), logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        events = EventRecorder(client: client, component: configuration.schedulerName, logger: logger)
        queue = SchedulingQueue(initialBackoff: configuration.initialBackoff, maximumBackoff: configuration.maximumBackoff)
    }

    /// Watches, schedules and binds until the calling task is cancelled.
    public func run() async throws {
        logger.info("starting scheduler", metadata: ["name": "\(configuration.schedulerName)"])
        let client = client, logger = logger
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                await Reflector(ListWatch<Node>(client: client), logger: logger).run { delta in await self.apply(delta) }
            }
            group.addTask {
                await Reflector(ListWatch<Namespace>(client: client), logger: logger).run { delta in await self.apply(delta) }
            }
            group.addTask {
                // Every pod, finished ones dropped here: upstream's `status.phase!=Succeeded,status.phase!=Failed` field
                // selector would make the API server decode every pod event for this watch.
                await Reflector(ListWatch<Pod>(client: client), logger: logger).run { delta in await self.apply(delta) }
            }
            group.addTask {
                await Reflector(ListWatch<Service>(client: client), logger: logger).run { delta in await self.apply(delta) }
            }
            group.addTask {
                await Reflector(ListWatch<ReplicationController>(client: client), logger: logger).run { delta in await self.apply(delta) }
            }
            group.addTask {
                await Reflector(ListWatch<ReplicaSet>(client: client), logger: logger).run { delta in await self.apply(delta) }
            }
            group.addTask {
                await Reflector(ListWatch<StatefulSet>(client: client), logger: logger).run { delta in await self.apply(delta) }
            }
            group.addTask {
                await Reflector(ListWatch<PodDisruptionBudget>(client: client), logger: logger).run { delta in await self.apply(delta) }
            }
            group.addTask {
                await Reflector(ListWatch<PersistentVolumeClaim>(client: client), logger: logger).run { delta in await self.apply(delta) }
            }
            group.addTask {
                await Reflector(ListWatch<PersistentVolume>(client: client), logger: logger).run { delta in await self.apply(delta) }
            }
            group.addTask {
                await Reflector(ListWatch<StorageClass>(client: client), logger: logger).run { delta in await self.apply(delta) }
            }
            while !isSynced { try await Task.sleep(for: .milliseconds(20)) }
            let nodes = cache.nodeCount
            logger.info("scheduler caches synced", metadata: ["nodes": "\(nodes)"])
            group.addTask { await self.scheduleLoop() }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    await self.flushQueues()
                }
            }
        }
    }

    private var isSynced: Bool { synced.count == 11 }

    // MARK: Watches

    private func apply(_ delta: ReflectorDelta<Node>) {
        switch delta {
        case .replace(let nodes, _):
            let names = Set(nodes.compactMap(\.metadata.name))
            for node in cache.nodes where !names.contains(node.name) { cache.removeNode(named: node.name) }
            var changed = false
            for node in nodes where cache.setNode(node) { changed = true }
            synced.insert("nodes")
            if changed { moveUnschedulable() }
        case .event(let event):
            guard let node = event.object, let name = node.metadata.name else { return }
            switch event {
            case .added, .modified:
                if cache.setNode(node) { moveUnschedulable() }
            case .deleted:
                cache.removeNode(named: name)
            case .bookmark:
                break
            }
        }
        metrics.nodes(cache.nodeCount)
    }

    private func apply(_ delta: ReflectorDelta<Namespace>) {
        switch delta {
        case .replace(let namespaces, _):
            for name in cache.namespaceLabels.keys { cache.removeNamespace(name) }
            for namespace in namespaces { cache.setNamespace(namespace.metadata.name ?? "", labels: namespace.metadata.labels) }
            synced.insert("namespaces")
        case .event(let event):
            guard let namespace = event.object, let name = namespace.metadata.name else { return }
            if case .deleted = event {
                cache.removeNamespace(name)
            } else {
                cache.setNamespace(name, labels: namespace.metadata.labels)
            }
        }
    }

    /// Services', ReplicationControllers', ReplicaSets' and StatefulSets' selectors, for the system default spreading.
    private func apply<K: PodGrouping>(_ delta: ReflectorDelta<K>) {
        switch delta {
        case .replace(let objects, _):
            cache.workloads.removeAll(K.self)
            for object in objects { cache.workloads.record(object) }
            synced.insert(K.resource.plural)
        case .event(let event):
            guard let object = event.object else { return }
            if case .deleted = event { cache.workloads.record(object, deleted: true) } else { cache.workloads.record(object) }
        }
    }

    private func apply(_ delta: ReflectorDelta<PodDisruptionBudget>) {
        func key(_ budget: PodDisruptionBudget) -> String { "\(budget.metadata.namespace ?? "")/\(budget.metadata.name ?? "")" }
        switch delta {
        case .replace(let budgets, _):
            cache.budgets = Dictionary(budgets.map { (key($0), DisruptionBudget($0)) }, uniquingKeysWith: { $1 })
            synced.insert("poddisruptionbudgets")
        case .event(let event):
            guard let budget = event.object else { return }
            switch event {
            case .added, .modified: cache.budgets[key(budget)] = DisruptionBudget(budget)
            case .deleted: cache.budgets[key(budget)] = nil
            case .bookmark: break
            }
        }
    }

    // Storage for the VolumeBinding filter: any change may make a pod that waited for its volumes schedulable.

    private func apply(_ delta: ReflectorDelta<PersistentVolumeClaim>) {
        switch delta {
        case .replace(let claims, _):
            cache.volumes.claims = Dictionary(claims.map { (VolumeCache.key($0), $0) }, uniquingKeysWith: { $1 })
            synced.insert("persistentvolumeclaims")
        case .event(let event):
            guard let claim = event.object else { return }
            switch event {
            case .added, .modified: cache.volumes.claims[VolumeCache.key(claim)] = claim
            case .deleted: cache.volumes.claims[VolumeCache.key(claim)] = nil
            case .bookmark: return
            }
        }
        moveUnschedulable()
    }

    private func apply(_ delta: ReflectorDelta<PersistentVolume>) {
        switch delta {
        case .replace(let volumes, _):
            let names = Set(volumes.compactMap(\.metadata.name))
            for name in cache.volumes.volumes.keys where !names.contains(name) { cache.volumes.removeVolume(named: name) }
            for volume in volumes { cache.volumes.setVolume(volume) }
            synced.insert("persistentvolumes")
        case .event(let event):
            guard let volume = event.object else { return }
            switch event {
            case .added, .modified: cache.volumes.setVolume(volume)
            case .deleted: cache.volumes.removeVolume(named: volume.metadata.name ?? "")
            case .bookmark: return
            }
        }
        moveUnschedulable()
    }

    private func apply(_ delta: ReflectorDelta<StorageClass>) {
        switch delta {
        case .replace(let classes, _):
            cache.volumes.classes = Dictionary(classes.map { ($0.metadata.name ?? "", $0) }, uniquingKeysWith: { $1 })
            synced.insert("storageclasses")
        case .event(let event):
            guard let storageClass = event.object else { return }
            switch event {
            case .added, .modified: cache.volumes.classes[storageClass.metadata.name ?? ""] = storageClass
            case .deleted: cache.volumes.classes[storageClass.metadata.name ?? ""] = nil
            case .bookmark: return
            }
        }
        moveUnschedulable()
    }

    /// UIDs of the pods this scheduler knows, to work out deletions when a LIST replaces its view.
    private var knownPods: Set<String> = []

    private func apply(_ delta: ReflectorDelta<Pod>) {
        switch delta {
        case .replace(let pods, _):
            let uids = Set(pods.compactMap(\.metadata.uid))
            for uid in knownPods where !uids.contains(uid) { podGone(uid: uid) }
            for pod in pods { podChanged(pod) }
            synced.insert("pods")
        case .event(let event):
            guard let pod = event.object else { return }
            switch event {
            case .added, .modified: podChanged(pod)
            case .deleted: podGone(uid: pod.metadata.uid ?? "")
            case .bookmark: break
            }
        }
        metrics.queue(queue.count, gated: gated.count)
        wakeScheduler()
    }

    private func podChanged(_ pod: Pod) {
        guard let uid = pod.metadata.uid else { return }
        let phase = pod.status?.phase
        if phase == "Succeeded" || phase == "Failed" {
            podGone(uid: uid)
            return
        }
        knownPods.insert(uid)
        if let nodeName = pod.spec?.nodeName, !nodeName.isEmpty {
            // Bound: by us (confirming the assumption) or anyone else.
            queue.remove(uid: uid)
            gated[uid] = nil
            cache.clearNomination(uid: uid)
            let wasAssumed = cache.assumed.contains(uid)
            let wasPlaced = cache.isPlaced(uid: uid)
            cache.place(PodInfo(pod))
            cache.confirm(uid: uid)
            // A pod placed by someone else may make room for affinity; one that changed may free its requests.
            if !wasAssumed, !wasPlaced { moveUnschedulable(onlyAffinity: true) }
            return
        }
        // Not bound (any more): it must not hold a place unless we are binding it right now.
        if cache.isPlaced(uid: uid), !cache.assumed.contains(uid) { cache.remove(uid: uid) }
        guard (pod.spec?.schedulerName ?? Scheduler.name) == configuration.schedulerName, pod.metadata.deletionTimestamp == nil else {
            queue.remove(uid: uid)
            gated[uid] = nil
            cache.clearNomination(uid: uid)
            return
        }
        if cache.assumed.contains(uid) { return }
        let pending = PendingPod(pod)
        if let node = pending.nominatedNodeName { cache.nominate(pending.info, on: node) }
        if !(pod.spec?.schedulingGates ?? []).isEmpty {
            queue.remove(uid: uid)
            if gated.updateValue(pending, forKey: uid) == nil { reportGated(pending) }
            return
        }
        gated[uid] = nil
        queue.addOrUpdate(pending)
    }

    private func podGone(uid: String) {
        knownPods.remove(uid)
        queue.remove(uid: uid)
        gated[uid] = nil
        cache.clearNomination(uid: uid)
        if cache.remove(uid: uid) != nil {
            // A placed pod went away: its node has room again.
            moveUnschedulable()
        }
    }

    private func moveUnschedulable(onlyAffinity: Bool = false) {
        if onlyAffinity {
            queue.moveAllToActiveOrBackoff { !$0.info.requiredAffinity.isEmpty || $0.spreadConstraints.contains(where: \.hardConstraint) }
        } else {
            queue.moveAllToActiveOrBackoff()
        }
        wakeScheduler()
    }

    private func flushQueues() {
        queue.flush()
        metrics.queue(queue.count, gated: gated.count)
        wakeScheduler()
    }

    // MARK: Scheduling

    private func wakeScheduler() {
        guard !queue.isEmpty, let waiter = popWaiter else { return }
        popWaiter = nil
        waiter.resume()
    }

    private func scheduleLoop() async {
        var sinceYield = 0
        while !Task.isCancelled {
            guard let item = queue.pop() else {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { popWaiter = $0 }
                } onCancel: {
                    Task { await self.resumeWaiters() }
                }
                continue
            }
            if bindings >= configuration.parallelBindings {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { bindingWaiter = $0 }
                } onCancel: {
                    Task { await self.resumeWaiters() }
                }
            }
            scheduleOne(item)
            sinceYield += 1
            if sinceYield >= 16 {
                sinceYield = 0
                await Task.yield()
            }
        }
        resumeWaiters()
    }

    /// Lets a waiting scheduling loop go on (to notice its cancellation).
    private func resumeWaiters() {
        popWaiter?.resume()
        popWaiter = nil
        bindingWaiter?.resume()
        bindingWaiter = nil
    }

    /// One scheduling cycle: filter, score, assume, and start the binding.
    private func scheduleOne(_ item: SchedulingQueue.Item) {
        let started = ContinuousClock.now
        let cycle = queue.schedulingCycle
        var item = item
        // A newer version of the pod may have arrived while it waited; a deleted one is dropped.
        let uid = item.pod.info.uid
        guard cache.nodeCount > 0 else {
            finishUnschedulable(item, cycle: cycle, message: "no nodes available to schedule pods", started: started)
            return
        }
        let nodeName: String
        var volumePlan: VolumePlan?
        switch decide(item.pod) {
        case .unschedulable(let message):
            finishUnschedulable(item, cycle: cycle, message: message, started: started)
            return
        case .preempt(let candidate, let message):
            preempt(for: item.pod, candidate)
            finishUnschedulable(item, cycle: cycle, message: message, started: started, nominatedNode: candidate.node)
            return
        case .node(let name, let plan):
            nodeName = name
            volumePlan = plan
        }
        // AssumePodVolumes: the chosen volumes are taken for these claims until the watch shows them bound.
        for binding in volumePlan?.bindings ?? [] { cache.volumes.assumed[binding.volume] = binding.claim }
        var info = item.pod.info
        info.nodeName = nodeName
        cache.clearNomination(uid: uid)
        cache.assume(info)
        // The queue forgets the pod; an update that came meanwhile is of no use any more (it is bound now).
        _ = queue.finish(uid: uid)
        item.pod.info = info
        metrics.attempt("scheduled", since: started)
        bindings += 1
        let client = client, pod = item.pod
        Task {
            let binding = Binding(metadata: ObjectMeta(name: pod.info.name, namespace: pod.info.namespace, uid: pod.info.uid),
                                  target: ObjectReference(kind: "Node", name: nodeName))
            if let volumePlan {
                do {
                    try await bindVolumes(volumePlan, node: nodeName, pod: pod)
                } catch {
                    volumeBindingFailed(item, plan: volumePlan, node: nodeName, error: error)
                    return
                }
            }
            do throws(KubeClientError) {
                try await client.bind(binding)
                bound(item, node: nodeName)
            } catch {
                bindingFailed(item, node: nodeName, error: error)
            }
        }
    }

    private enum Decision {
        /// The node, and for a pod with claims what VolumeBinding must do before the pod is bound.
        case node(String, VolumePlan?)
        case unschedulable(String)
        /// No node fits, but evicting the candidate's victims frees its node (the message has no preemption part).
        case preempt(PreemptionCandidate, message: String)
    }

    /// Filters and scores; the algorithm's view of the cache is released before the cache changes again (so
    /// assuming the pod does not copy the cache).
    private func decide(_ pod: PendingPod) -> Decision {
        let algorithm = SchedulingAlgorithm(pod: pod, cache: cache)
        if let message = algorithm.volumes?.preFilterFailure {
            return .unschedulable(algorithm.preFilterError(message).message)
        }
        func plan(_ node: NodeInfo) -> VolumePlan? {
            guard let volumes = algorithm.volumes, case .fits(let plan) = volumes.plan(for: node) else { return nil }
            return plan
        }
        // A pod a preemption made room for tries its nominated node first (upstream's evaluateNominatedNode).
        if let nominated = cache.nominatedNode(of: pod.info.uid), let node = cache.node(named: nominated), algorithm.filter(node) == nil {
            return .node(nominated, plan(node))
        }
        let found = algorithm.findFeasibleNodes(start: nextStartNode)
        nextStartNode = (nextStartNode + found.processed) % max(1, cache.nodeCount)
        guard !found.feasible.isEmpty else {
            switch algorithm.postFilter(found.failures, budgets: Array(cache.budgets.values)) {
            case .unschedulable(let error):
                return .unschedulable(error.message)
            case .preempt(let candidate):
                let failures = found.failures.sorted { $0.position < $1.position }.map(\.failure)
                return .preempt(candidate, message: FitError(nodeCount: cache.nodeCount, failures: failures, preemption: nil).message)
            }
        }
        var chosen = found.feasible[0]
        if found.feasible.count > 1 {
            // The highest total; ties broken at random as upstream's selectHost does.
            let scores = algorithm.score(found.feasible)
            var best = Int64.min, ties = 0
            for (i, score) in scores.enumerated() {
                if score > best {
                    best = score
                    chosen = found.feasible[i]
                    ties = 1
                } else if score == best {
                    ties += 1
                    if Int.random(in: 0..<ties) == 0 { chosen = found.feasible[i] }
                }
            }
        }
        let node = algorithm.cache.nodes[chosen]
        return .node(node.name, plan(node))
    }

    /// DefaultPreemption's PrepareCandidate: the preemptor is nominated to the candidate's node (so pods of lower or
    /// equal priority leave the room to it), lower-priority pods nominated there lose their nomination, and each
    /// victim gets the `DisruptionTarget` condition, is deleted, and gets a `Preempted` event.
    private func preempt(for preemptor: PendingPod, _ candidate: PreemptionCandidate) {
        cache.nominate(preemptor.info, on: candidate.node)
        metrics.preemption(victims: candidate.victims.count)
        logger.info("preempting", metadata: ["pod": "\(preemptor.key)", "node": "\(candidate.node)",
                                             "victims": "\(candidate.victims.map(\.key))"])
        let client = client, logger = logger, events = events, schedulerName = configuration.schedulerName
        let displaced = (cache.nominated[candidate.node] ?? [:]).values.filter { $0.priority < preemptor.info.priority }
        for pod in displaced {
            cache.clearNomination(uid: pod.uid)
            Task {
                do {
                    _ = try await client.patch(Pod.self, name: pod.name, namespace: pod.namespace, patchType: .merge,
                                               JSONValue.object(["status": ["nominatedNodeName": .null]]), subresource: "status")
                } catch {
                    logger.debug("nomination not cleared", metadata: ["pod": "\(pod.key)", "error": "\(error)"])
                }
            }
        }
        let condition = PodCondition(type: "DisruptionTarget", status: "True", lastTransitionTime: .now(), reason: "PreemptionByScheduler",
                                     message: "\(schedulerName): preempting to accommodate a higher priority pod")
        let preemptorUID = preemptor.info.uid, node = candidate.node
        for victim in candidate.victims {
            Task {
                do {
                    let body = try JSONEncoder().encode(ConditionPatch(status: .init(conditions: [condition])))
                    _ = try await client.patch(Pod.self, name: victim.name, namespace: victim.namespace, patchType: .strategicMerge,
                                               body: body, subresource: "status")
                    try await client.delete(Pod.self, name: victim.name, namespace: victim.namespace,
                                            options: DeleteOptions(preconditions: .init(uid: victim.uid)))
                    let reference = Pod(metadata: ObjectMeta(name: victim.name, namespace: victim.namespace, uid: victim.uid))
                    events.record(reference, reason: "Preempted", message: "Preempted by pod \(preemptorUID) on node \(node)")
                } catch {
                    logger.warning("preemption victim not deleted", metadata: ["pod": "\(victim.key)", "error": "\(error)"])
                }
            }
        }
    }

    private func finishUnschedulable(_ item: SchedulingQueue.Item, cycle: Int, message: String, started: ContinuousClock.Instant,
                                     nominatedNode: String? = nil) {
        var item = item
        metrics.attempt("unschedulable", since: started)
        guard let latest = queue.finish(uid: item.pod.info.uid), let pod = latest else { return }
        item.pod = pod
        if item.lastMessage != message {
            item.lastMessage = message
            events.record(item.pod.pod, "Warning", reason: "FailedScheduling", message: message)
            logger.debug("pod unschedulable", metadata: ["pod": "\(item.pod.key)", "reason": "\(message)"])
        }
        updateCondition(item.pod, reason: "Unschedulable", message: message, nominatedNode: nominatedNode)
        queue.addUnschedulable(item, cycle: cycle)
    }

    private func bound(_ item: SchedulingQueue.Item, node: String) {
        releaseBinding()
        metrics.scheduled(since: item.firstSeen, attempts: item.attempts)
        events.record(item.pod.pod, reason: "Scheduled", message: "Successfully assigned \(item.pod.key) to \(node)")
    }

    private func bindingFailed(_ item: SchedulingQueue.Item, node: String, error: KubeClientError) {
        releaseBinding()
        let uid = item.pod.info.uid
        // Forget the assumption unless the watch already shows the pod bound (someone else won the race).
        if cache.assumed.contains(uid) { cache.remove(uid: uid) }
        metrics.attempt("error", since: .now)
        logger.warning("binding failed", metadata: ["pod": "\(item.pod.key)", "node": "\(node)", "error": "\(error)"])
        if error.isNotFound || error.isConflict || cache.isPlaced(uid: uid) {
            // Gone, or bound by someone else meanwhile: the watch tells the rest.
            return
        }
        var retry = item
        retry.pod.info.nodeName = ""
        if knownPods.contains(uid) { queue.addBackoff(retry) }
        moveUnschedulable()
    }

    // MARK: Volume binding (VolumeBinding's PreBind)

    /// Upstream's `BindPodVolumes`: pre-binds each chosen volume to its claim (`claimRef`, bound-by-controller),
    /// marks claims to provision with the selected node, then waits until the persistentvolume-binder (or the
    /// provisioner) has bound every claim of the pod, at most `volumeBindTimeout`.
    private nonisolated func bindVolumes(_ plan: VolumePlan, node: String, pod: PendingPod) async throws {
        for binding in plan.bindings {
            let parts = binding.claim.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            let claim = try await client.get(PersistentVolumeClaim.self, name: parts[1], namespace: parts[0])
            var volume = try await client.get(PersistentVolume.self, name: binding.volume)
            if let ref = volume.spec?.claimRef, !volume.isBound(to: claim) {
                throw VolumeBindingError("volume \"\(binding.volume)\" is already bound to claim \"\(ref.namespace ?? "")/\(ref.name ?? "")\"")
            }
            var spec = volume.spec ?? PersistentVolumeSpec()
            if spec.claimRef == nil {
                volume.metadata.annotations = (volume.metadata.annotations ?? [:]).merging([VolumeBinding.boundByController: "yes"]) { $1 }
            }
            spec.claimRef = ObjectReference(kind: "PersistentVolumeClaim", namespace: claim.metadata.namespace, name: claim.metadata.name,
                                            uid: claim.metadata.uid, apiVersion: "v1", resourceVersion: claim.metadata.resourceVersion)
            volume.spec = spec
            _ = try await client.update(volume)
        }
        for key in plan.provisions {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            var claim = try await client.get(PersistentVolumeClaim.self, name: parts[1], namespace: parts[0])
            guard claim.metadata.annotations?[VolumeBinding.selectedNode] != node else { continue }
            claim.metadata.annotations = (claim.metadata.annotations ?? [:]).merging([VolumeBinding.selectedNode: node]) { $1 }
            _ = try await client.update(claim)
        }
        let deadline = ContinuousClock.now + configuration.volumeBindTimeout
        while await !claimsBound(plan.claims) {
            guard ContinuousClock.now < deadline else { throw VolumeBindingError("context deadline exceeded") }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    private func claimsBound(_ keys: [String]) -> Bool { keys.allSatisfy(cache.volumes.isFullyBound) }

    /// PreBind failed: the pod goes back to the queue (with the event upstream's failure handler records) and the
    /// volumes it had taken are free again.
    private func volumeBindingFailed(_ item: SchedulingQueue.Item, plan: VolumePlan, node: String, error: any Error) {
        releaseBinding()
        let uid = item.pod.info.uid
        for binding in plan.bindings where cache.volumes.assumed[binding.volume] == binding.claim { cache.volumes.assumed[binding.volume] = nil }
        if cache.assumed.contains(uid) { cache.remove(uid: uid) }
        metrics.attempt("error", since: .now)
        let message = "running PreBind plugin \"VolumeBinding\": binding volumes: \(error)"
        logger.warning("volume binding failed", metadata: ["pod": "\(item.pod.key)", "node": "\(node)", "error": "\(error)"])
        events.record(item.pod.pod, "Warning", reason: "FailedScheduling", message: message)
        var retry = item
        retry.pod.info.nodeName = ""
        if knownPods.contains(uid) { queue.addBackoff(retry) }
        moveUnschedulable()
    }

    private func releaseBinding() {
        bindings -= 1
        if let waiter = bindingWaiter {
            bindingWaiter = nil
            waiter.resume()
        }
    }

    // MARK: Status

    private func reportGated(_ pod: PendingPod) {
        updateCondition(pod, reason: "SchedulingGated", message: "Scheduling is blocked due to non-empty scheduling gates")
    }

    /// Sets `PodScheduled=False` with `reason`/`message` (and `status.nominatedNodeName` after a preemption) unless
    /// the pod already says exactly that.
    private func updateCondition(_ pod: PendingPod, reason: String, message: String, nominatedNode: String? = nil) {
        let current = pod.pod.status?.conditions?.first { $0.type == "PodScheduled" }
        if current?.status == "False", current?.reason == reason, current?.message == message,
           nominatedNode == nil || nominatedNode == pod.nominatedNodeName { return }
        let condition = PodCondition(type: "PodScheduled", status: "False", lastTransitionTime: .now(), reason: reason, message: message)
        let client = client, logger = logger
        Task {
            do {
                let body = try JSONEncoder().encode(ConditionPatch(status: .init(conditions: [condition], nominatedNodeName: nominatedNode)))
                _ = try await client.patch(Pod.self, name: pod.info.name, namespace: pod.info.namespace, patchType: .strategicMerge,
                                           body: body, subresource: "status")
            } catch {
                logger.debug("pod condition not updated", metadata: ["pod": "\(pod.key)", "error": "\(error)"])
            }
        }
    }
}

/// `{"status":{"conditions":[…]}}`: a strategic merge patch that sets one condition (merged by type).
struct ConditionPatch: Encodable {
    struct Status: Encodable {
        var conditions: [PodCondition]
        var nominatedNodeName: String?
    }
    var status: Status
}

/// Why VolumeBinding's PreBind failed, worded as upstream's errors.
struct VolumeBindingError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

import CRI
import Foundation
import GRPCCore
import KubeAPI
import KubeClient
import LinuxSystem
import Logging
import Metrics

/// One worker per pod, level-triggered: every change of the pod (from the informer) and every relist tick
/// marks the pod dirty, and its worker syncs it against what the runtime reports until nothing is
/// pending — sandbox, image pulls, init containers in order, app containers with the restart policy and
/// CrashLoopBackOff, status written back to the API server, graceful termination. Pods run in parallel;
/// one pod's syncs never overlap.
actor PodWorkers {
    let client: KubeClient
    let connection: RuntimeConnection
    let configuration: KubeletConfiguration
    let logger: Logger
    let volumes: VolumeManager
    let objects: PodObjects
    /// Resolves a pod's runtimeClassName to the CRI handler of its sandbox.
    let runtimeClasses: RuntimeClassManager
    let events: EventRecorder
    let nodeIP: String
    let memoryCapacity: Int64

    let metrics = KubeletMetrics()
    /// `prober_probe_total` for `/metrics/probes`.
    let probeMetrics = ProbeMetrics()
    /// Each new pod's start-up, from when it was first seen until all its containers ran
    /// (`kubelet_pod_start_duration_seconds`) and its status first said Running ("observed pod startup").
    private var startTraces: [String: PodStartTrace] = [:]
    /// Pods synced at least once (their next syncs are `update`s for `kubelet_pod_worker_duration_seconds`).
    private var synced: Set<String> = []

    /// The latest version of each pod bound here, by UID.
    var pods: [String: Pod] = [:]
    private var running: [String: Task<Void, Never>] = [:]
    /// The sync in progress of each pod not being deleted: a deletion (or the agent's shutdown) cancels it, as
    /// upstream's pod workers cancel a sync's context for a kill, so a slow image pull or start does not hold up
    /// the pod's termination.
    var inFlight: [String: Task<Void, Never>] = [:]
    private var dirty: Set<String> = []
    /// Why a container is not running right now (ErrImagePull, CrashLoopBackOff …), by pod UID and name.
    var waiting: [String: [String: (reason: String, message: String)]] = [:]
    var restartBackOff: BackOff
    var pullBackOff: BackOff
    /// Whose turn it is to pull, and the registry's rate limit.
    let imagePuller: ImagePuller
    /// A container that could not be created (CreateContainerConfigError, CreateContainerError) is tried again
    /// once per back-off period (`backOffInitial`, 10 s), as upstream's pod worker requeues a failed sync, not at
    /// every relist (which cost a runtime call and a Warning Event a second).
    var createRetry: BackOff
    /// A pod whose volumes could not be set up is tried again after 0.5 s, doubling to 2 min 2 s (upstream's back-off
    /// for volume operations), by pod UID.
    var mountRetry = BackOff(initial: .milliseconds(500), maximum: .seconds(122))
    /// Each pod's volumes once set up (their places on the node do not change while the pod lives).
    private var podVolumes: [String: [String: PodVolume]] = [:]
    /// The runtime's name, the scheme of container IDs in the status (`swiftlet://…`, `containerd://…`).
    var runtimeName = "cri"
    /// Probe loops by `uid/container`, with the container ID they probe.
    var probeWorkers: [String: (containerID: String, task: Task<Void, Never>)] = [:]
    /// What the probes concluded, by `uid/container`.
    var probeState: [String: ProbeState] = [:]
    /// When each pod's ConfigMap/Secret volumes were last re-read (they are refreshed every few seconds).
    private var volumesRefreshed: [String: ContinuousClock.Instant] = [:]
    /// Set by ``removeAllPods(grace:)``: no sync starts any more.
    private var shuttingDown = false
    /// Each sandbox's pod IP, asked once (it does not change while the sandbox lives).
    var sandboxIPs: [String: String] = [:]
    /// Each pod's sandbox and container states at the last relist, and when it was last synced.
    private var relisted: [String: [String]] = [:]
    private var lastSync: [String: ContinuousClock.Instant] = [:]
    /// Pods whose last status write failed (API server or runtime unreachable): synced at every relist until it lands.
    var statusPending: Set<String> = []
    /// What new pods are admitted against: the node as last seen and the eviction manager's pressure conditions.
    var admission: PodAdmission
    /// Terminal statuses decided here and not written yet, by pod UID: a refusal at admission, an eviction.
    var verdicts: [String: PodVerdict] = [:]
    /// How often a pod whose runtime state did not change is synced anyway (volumes, status drift, hooks).
    static let periodicSync: Duration = .seconds(5)
    /// When each pod that a sync left waiting for one of the ``requeuedWaitingReasons`` is synced again (unless its
    /// runtime state changes first): upstream's pod worker requeues a pod whose sync failed after its back-off period
    /// (10 s) with up to half of it again as jitter, and each of those syncs records BackOff (or Failed) anew.
    private var backOffRequeue: [String: ContinuousClock.Instant] = [:]
    /// The waiting reasons that are a sync's error and so requeue the pod after the back-off period: back-offs, and
    /// starts that failed and are tried again only then. Not ErrImagePull: the next relist finds that pull backing off
    /// and the pod goes on to ImagePullBackOff (with its BackOff Event) at once.
    static let requeuedWaitingReasons: Set<String> = ["CrashLoopBackOff", "ImagePullBackOff", "ErrImageNeverPull",
                                                      "CreateContainerError", "CreateContainerConfigError"]

    /// `node`: the Node as this kubelet registers it, what admission checks against until the API server's copy is known.
    init(client: KubeClient, connection: RuntimeConnection, configuration: KubeletConfiguration, nodeIP: String, node: Node,
         memoryCapacity: Int64, services: Informer<Service>? = nil, runtimeClasses: Informer<RuntimeClass>? = nil, logger: Logger) {
        admission = PodAdmission(node: node, pressures: [], sysctls: configuration.sysctls)
        self.client = client
        self.connection = connection
        self.configuration = configuration
        self.logger = logger
        self.nodeIP = nodeIP
        self.memoryCapacity = memoryCapacity
        objects = PodObjects(client: client, services: services, logger: logger)
        self.runtimeClasses = RuntimeClassManager(client: client, cache: runtimeClasses)
        volumes = VolumeManager(rootDirectory: configuration.rootDirectory, objects: objects, logger: logger,
                                nodeCapacity: ["cpu": Quantity(milliValue: Int64(ProcessInfo.processInfo.activeProcessorCount) * 1000),
                                               "memory": Quantity(milliValue: memoryCapacity * 1000)])
        events = EventRecorder(client: client, component: "kubelet", host: configuration.nodeName, logger: logger)
        restartBackOff = BackOff(initial: configuration.backOffInitial, maximum: configuration.backOffMaximum)
        pullBackOff = BackOff(initial: configuration.backOffInitial, maximum: configuration.backOffMaximum)
        imagePuller = ImagePuller(policy: configuration.imagePulls)
        createRetry = BackOff(initial: configuration.backOffInitial, maximum: configuration.backOffInitial)
    }

    // MARK: Intake

    func setRuntimeName(_ name: String) { runtimeName = name }

    /// A pod bound here, by namespace and name (for the kubelet server).
    func pod(namespace: String, name: String) -> Pod? {
        pods.values.first { ($0.metadata.namespace ?? "default") == namespace && $0.metadata.name == name }
    }

    /// Every pod bound here, static pods included (the kubelet server's `/pods`).
    func allPods() -> [Pod] { Array(pods.values) }

    /// A pod was added or changed in the informer (or, for a static pod, in its manifest directory).
    func update(_ pod: Pod) {
        guard let uid = pod.metadata.uid else { return }
        if pod.isMirror {
            mirrorChanged(pod)
            return
        }
        if pods[uid] == nil, let rejection = admit(pod) {
            reject(pod, rejection)
            return
        }
        if pods[uid] == nil, pod.status?.phase == nil || pod.status?.phase == "Pending" {
            if startTraces[uid] == nil { startTraces[uid] = PodStartTrace() }
        }
        // The informer's echo of our own status write (``remember(_:)`` kept that version) changes nothing; nor does the
        // late echo of an earlier one, older than what a later write returned.
        let echo = pod.metadata.resourceVersion != nil && pods[uid]?.metadata.resourceVersion == pod.metadata.resourceVersion
        if let cached = pods[uid]?.metadata.resourceVersion.flatMap(UInt64.init),
           let delivered = pod.metadata.resourceVersion.flatMap(UInt64.init), delivered < cached {
            return
        }
        pods[uid] = pod
        if pod.metadata.deletionTimestamp != nil { inFlight[uid]?.cancel() }
        if !echo { schedule(uid) }
    }

    /// Keeps the pod as the API server returned it after a status write, without another sync (the
    /// informer delivers the same version moments later).
    func remember(_ pod: Pod) {
        if pod.isMirror {
            mirrorChanged(pod)
            return
        }
        guard let uid = pod.metadata.uid, pods[uid] != nil else { return }
        pods[uid] = pod
    }

    /// A pod disappeared from the API (deleted by someone else, or force-deleted): its containers go. A
    /// mirror pod's going changes nothing: its static pod runs on and the mirror is recreated.
    func remove(_ pod: Pod) {
        guard let uid = pod.metadata.uid, !pod.isMirror else { return }
        pods[uid] = nil
        inFlight[uid]?.cancel()
        schedule(uid)
    }

    /// A static pod's manifest went away: the pod terminates gracefully, as a deleted pod does.
    func removeStatic(_ pod: Pod) {
        guard let uid = pod.metadata.uid, var current = pods[uid] else { return }
        current.metadata.deletionTimestamp = current.metadata.deletionTimestamp ?? .now()
        current.metadata.deletionGracePeriodSeconds = current.spec?.terminationGracePeriodSeconds ?? 30
        pods[uid] = current
        schedule(uid)
    }

    /// The API server's copy of a static pod changed: its status is what the next status write compares
    /// with; a deletion is carried out at once (the static pod keeps running; the source recreates the mirror).
    private func mirrorChanged(_ mirror: Pod) {
        guard let (uid, _) = pods.first(where: { $0.value.metadata.name == mirror.metadata.name
                && $0.value.metadata.namespace == mirror.metadata.namespace
                && $0.value.metadata.annotations?[StaticPodSource.hashAnnotation] == mirror.metadata.annotations?[StaticPodSource.mirrorAnnotation] })
        else { return }
        pods[uid]?.status = mirror.status
        guard mirror.metadata.deletionTimestamp != nil, let mirrorUID = mirror.metadata.uid else { return }
        let client = client, name = mirror.metadata.name ?? "", namespace = mirror.metadata.namespace
        Task {
            try? await client.delete(Pod.self, name: name, namespace: namespace,
                                     options: DeleteOptions(gracePeriodSeconds: 0, preconditions: .init(uid: mirrorUID)))
        }
    }

    /// The relist tick (the kubelet's PLEG): one list of sandboxes and containers; a pod whose sandboxes or
    /// containers changed state since the last tick is re-synced at once, every other pod at least every
    /// ``periodicSync`` (and at every tick while it is starting or waiting, except that a pod in CrashLoopBackOff or
    /// ImagePullBackOff waits for its ``backOffRequeue``), and sandboxes of pods the API no longer has are cleaned up. Re-syncing every pod every second would cost each pod's CRI calls every second.
    /// Pods past their active deadline are killed first.
    func resync() async {
        enforceActiveDeadlines()
        guard let sandboxes = try? await connection.runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest(), options: RuntimeConnection.options()).items
        else {
            for uid in pods.keys { schedule(uid) }
            return
        }
        metrics.runningPods.record(sandboxes.filter { $0.state == .sandboxReady }.count)
        let containers = try? await connection.runtime.listContainers(Runtime_V1_ListContainersRequest(), options: RuntimeConnection.options()).containers
        if let containers {
            for (state, name) in [(Runtime_V1_ContainerState.containerRunning, "running"), (.containerExited, "exited"),
                                  (.containerCreated, "created"), (.containerUnknown, "unknown")] {
                metrics.runningContainers(name).record(containers.filter { $0.state == state }.count)
            }
        }
        var fingerprints: [String: [String]] = [:]
        var owner: [String: String] = [:]
        for sandbox in sandboxes {
            guard let uid = sandbox.labels[PodLabels.podUID] else { continue }
            owner[sandbox.id] = uid
            fingerprints[uid, default: []].append(Self.fingerprint(sandbox))
        }
        for container in containers ?? [] {
            guard let uid = owner[container.podSandboxID] else { continue }
            fingerprints[uid, default: []].append(Self.fingerprint(container))
        }
        let now = ContinuousClock.now
        for uid in pods.keys {
            let fingerprint = (fingerprints[uid] ?? []).sorted()
            let changed = containers == nil || relisted[uid] != fingerprint
            relisted[uid] = fingerprint
            let due = lastSync[uid].map { now - $0 >= Self.periodicSync } ?? true
            // A pod whose worker is busy right now (thirty pods starting at once) gets another sync only for a change
            // of its runtime state: the running sync observes the runtime when it ends, and a second one right after
            // it would only repeat its List and Status calls while the other pods wait for the runtime.
            let starting = startTraces[uid].map { !$0.containersRunning } ?? false
            let pending = if let requeue = backOffRequeue[uid] {
                now >= requeue || statusPending.contains(uid)
            } else {
                due || starting || statusPending.contains(uid) || !(waiting[uid] ?? [:]).isEmpty
            }
            if changed || (pending && running[uid] == nil) { schedule(uid) }
        }
        relisted = relisted.filter { pods[$0.key] != nil }
        for sandbox in sandboxes {
            guard let uid = sandbox.labels[PodLabels.podUID], pods[uid] == nil, running[uid] == nil else { continue }
            schedule(uid)
        }
        // Pod cgroups of pods that are gone (the agent was down when they were deleted).
        let active = Set(sandboxes.compactMap { $0.labels[PodLabels.podUID] })
        for uid in PodCgroups.podUIDs(cgroupRoot: configuration.cgroupRoot) where pods[uid] == nil && running[uid] == nil && !active.contains(uid) {
            PodCgroups.remove(podUID: uid, cgroupRoot: configuration.cgroupRoot)
        }
    }

    /// Another sync of a pod whose probe results changed (its status must follow).
    func rescheduleForStatus(_ uid: String) {
        guard pods[uid] != nil else { return }
        schedule(uid)
    }

    func schedule(_ uid: String) {
        guard !shuttingDown else { return }
        dirty.insert(uid)
        guard running[uid] == nil else { return }
        running[uid] = Task { await self.work(uid) }
    }

    private func work(_ uid: String) async {
        while !shuttingDown, dirty.remove(uid) != nil {
            let start = ContinuousClock.now
            if let pod = pods[uid] {
                let operation = pod.metadata.deletionTimestamp != nil ? "kill" : synced.contains(uid) ? "update" : "create"
                if pod.metadata.deletionTimestamp == nil {
                    let task = Task { await self.sync(pod) }
                    inFlight[uid] = task
                    await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
                    inFlight[uid] = nil
                } else {
                    await sync(pod)
                }
                synced.insert(uid)
                lastSync[uid] = .now
                let backingOff = (waiting[uid] ?? [:]).values.contains { Self.requeuedWaitingReasons.contains($0.reason) }
                backOffRequeue[uid] = backingOff ? .now + configuration.backOffInitial * Double.random(in: 1...1.5) : nil
                metrics.podWorkerDuration(operation).recordInterval(since: start)
            } else {
                await cleanUp(uid: uid)
                synced.remove(uid)
                lastSync[uid] = nil
                backOffRequeue[uid] = nil
                statusPending.remove(uid)
                startTraces[uid] = nil
                metrics.podWorkerDuration("kill").recordInterval(since: start)
            }
        }
        running[uid] = nil
    }

    // MARK: Sync

    private func sync(_ pod: Pod) async {
        let uid = pod.metadata.uid ?? ""
        if pod.metadata.deletionTimestamp != nil {
            await terminate(pod)
            return
        }
        if let verdict = verdicts[uid] {
            await carryOut(verdict, pod: pod)
            return
        }
        if Self.isFinished(pod) {
            await stopAll(uid: uid, grace: 0)
            return
        }
        // What the runtime has for the pod is read once, and again only after the sync changed something: the
        // status below is computed from the same view (upstream's kubelet also syncs from one PodStatus).
        var view: PodRuntimeView?
        do {
            var current = try await observe(uid: uid)
            view = current
            // No sandbox before the volumes are there (upstream's WaitForAttachAndMount): the pod stays ContainerCreating.
            let (sandbox, created) = await mountVolumes(pod) == nil ? (nil, false) : try await ensureSandbox(pod, view: current)
            if let sandbox {
                let acted = try await syncContainers(pod, sandbox: sandbox, latest: current.sandbox?.id == sandbox.id ? current.latest : [:])
                if created || acted {
                    view = nil
                    current = try await observe(uid: uid)
                    view = current
                }
                recordStartIfRunning(pod, latest: current.latest)
                await refreshVolumes(pod)
            }
        } catch {
            logger.warning("pod sync failed", metadata: ["pod": "\(Self.name(pod))", "error": "\(error)"])
            view = nil
        }
        do {
            if view == nil { view = try await observe(uid: uid) }
            if let view {
                // What this sync saw is what the next relist compares with: only a change after it re-syncs the pod.
                relisted[uid] = (view.sandboxes.map(Self.fingerprint) + view.containers.map(Self.fingerprint)).sorted()
                try await writeStatus(pod, view: view)
                traceRunning(uid)
            }
            statusPending.remove(uid)
        } catch {
            statusPending.insert(uid)
            logger.warning("pod status update failed", metadata: ["pod": "\(Self.name(pod))", "error": "\(error)"])
        }
    }

    /// Re-projects ConfigMap, Secret, downwardAPI and projected volumes of a running pod so changes reach its
    /// containers (upstream checks about once a minute; here every five seconds); a failure is a FailedMount event.
    private func refreshVolumes(_ pod: Pod) async {
        let uid = pod.metadata.uid ?? ""
        let projected = (pod.spec?.volumes ?? []).contains { $0.configMap != nil || $0.secret != nil || $0.downwardAPI != nil || $0.projected != nil }
        guard projected, volumesRefreshed[uid].map({ ContinuousClock.now - $0 > .seconds(5) }) ?? true else { return }
        volumesRefreshed[uid] = .now
        do {
            _ = try await volumes.setUp(pod)
        } catch {
            events.record(pod, "Warning", reason: "FailedMount", message: Self.message(error))
        }
    }

    /// The pod's volumes, set up the first time (upstream's WaitForAttachAndMount before the sandbox); nil while they
    /// cannot be: each failed attempt is a FailedMount event in the volume plugin's words, and the next one waits
    /// for ``mountRetry``.
    private func mountVolumes(_ pod: Pod) async -> [String: PodVolume]? {
        let uid = pod.metadata.uid ?? ""
        if let mounted = podVolumes[uid] { return mounted }
        guard !mountRetry.isBackingOff(uid) else { return nil }
        do {
            let mounted = try await volumes.setUp(pod)
            mountRetry.reset(uid)
            podVolumes[uid] = mounted
            // Just projected: the first refresh is due a period from now, not in the same sync.
            volumesRefreshed[uid] = .now
            return mounted
        } catch {
            mountRetry.failed(uid)
            events.record(pod, "Warning", reason: "FailedMount", message: Self.message(error))
            return nil
        }
    }

    /// The ready sandbox of the pod, created when there is none (then `created`); nil when the pod has run to
    /// completion and must not start again, or while a failed sandbox start backs off.
    private func ensureSandbox(_ pod: Pod, view: PodRuntimeView) async throws -> (SandboxState?, created: Bool) {
        let uid = pod.metadata.uid ?? ""
        let sandboxes = view.sandboxes
        if let ready = view.ready {
            return (try await sandboxState(ready.id, attempt: ready.metadata.attempt, pod: pod), false)
        }
        if !sandboxes.isEmpty, pod.spec?.restartPolicy == "Never" { return (nil, false) }
        // A sandbox that failed to start is retried with the container back-off (10 s doubling to 5 min),
        // so a broken network config does not cost a CNI run and an Event every second.
        let backOffKey = "\(uid)/sandbox"
        if restartBackOff.isBackingOff(backOffKey) { return (nil, false) }
        let attempt = UInt32(sandboxes.map(\.metadata.attempt).max().map { $0 + 1 } ?? 0)
        for stale in sandboxes {
            var stop = Runtime_V1_StopPodSandboxRequest()
            stop.podSandboxID = stale.id
            _ = try? await connection.runtime.stopPodSandbox(stop, options: RuntimeConnection.options())
        }
        var request = Runtime_V1_RunPodSandboxRequest()
        request.config = SandboxConfigBuilder(configuration: configuration).build(pod, attempt: attempt)
        do {
            request.runtimeHandler = try await runtimeClasses.runtimeHandler(for: pod.spec?.runtimeClassName)
        } catch {
            // No sandbox without the class's handler (upstream's createPodSandbox): retried after the back-off.
            restartBackOff.failed(backOffKey)
            events.record(pod, "Warning", reason: "FailedCreatePodSandBox", message: "Failed to create pod sandbox: \(error)")
            throw error
        }
        if !request.runtimeHandler.isEmpty {
            logger.info("running pod with runtime handler", metadata: ["pod": "\(Self.name(pod))", "runtimeHandler": "\(request.runtimeHandler)"])
        }
        if configuration.podPidsLimit > 0 {
            // Upstream's pod container manager makes the pod's cgroup with its limits before the sandbox goes in it.
            do {
                try Cgroupfs.limitPids(request.config.linux.cgroupParent, to: configuration.podPidsLimit)
            } catch {
                restartBackOff.failed(backOffKey)
                events.record(pod, "Warning", reason: "FailedCreatePodContainer", message: "unable to ensure pod container exists: \(error)")
                throw error
            }
        }
        let id: String
        do {
            id = try await connection.lifecycle.runPodSandbox(request, options: RuntimeConnection.options()).podSandboxID
        } catch {
            // A lost connection to the runtime (the call's outcome unknown) is retried at the next relist — which
            // finds the sandbox if it was made after all; a refusal by the runtime backs off.
            if (error as? RPCError)?.code != .unavailable { restartBackOff.failed(backOffKey) }
            events.record(pod, "Warning", reason: "FailedCreatePodSandBox", message: "Failed to create pod sandbox: \(Self.goError(error))")
            throw error
        }
        restartBackOff.reset(backOffKey)
        startTraces[uid]?.mark(.sandbox)
        metrics.startedPods.increment()
        logger.info("sandbox started", metadata: ["pod": "\(Self.name(pod))", "sandbox": "\(id)"])
        return (try await sandboxState(id, attempt: attempt, pod: pod), true)
    }

    struct SandboxState: Sendable {
        var id: String
        var ip: String
        var config: Runtime_V1_PodSandboxConfig
    }

    /// The sandbox's IP (asked once per sandbox: it does not change) and config; the pod's /etc/hosts is written
    /// when the sandbox is first seen.
    private func sandboxState(_ id: String, attempt: UInt32, pod: Pod) async throws -> SandboxState {
        let ip: String
        if let known = sandboxIPs[id] {
            ip = known
        } else {
            ip = try await sandboxIP(id, pod: pod)
            try writeHostsFile(pod, ip: ip)
        }
        let config = SandboxConfigBuilder(configuration: configuration).build(pod, attempt: attempt)
        return SandboxState(id: id, ip: ip, config: config)
    }

    /// The pod's IP in sandbox `id` (the node's for a host-network pod), from `PodSandboxStatus` the first time.
    func sandboxIP(_ id: String, pod: Pod) async throws -> String {
        if let known = sandboxIPs[id] { return known }
        var request = Runtime_V1_PodSandboxStatusRequest()
        request.podSandboxID = id
        let status = try await connection.runtime.podSandboxStatus(request, options: RuntimeConnection.options()).status
        let ip = pod.spec?.hostNetwork == true ? nodeIP : status.network.ip
        if !ip.isEmpty || pod.spec?.hostNetwork == true { sandboxIPs[id] = ip }
        return ip
    }

    /// The kubelet-managed /etc/hosts: localhost, the pod's own name on its IP, then hostAliases.
    private func writeHostsFile(_ pod: Pod, ip: String) throws {
        let directory = volumes.podDirectory(pod.metadata.uid ?? "")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let hostname = pod.spec?.hostname ?? pod.metadata.name ?? ""
        var lines = ["# Kubernetes-managed hosts file.", "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback",
                     "fe00::0\tip6-localnet", "fe00::0\tip6-mcastprefix", "fe00::1\tip6-allnodes", "fe00::2\tip6-allrouters"]
        if let subdomain = pod.spec?.subdomain {
            let fqdn = "\(hostname).\(subdomain).\(pod.metadata.namespace ?? "default").svc.\(configuration.clusterDomain)"
            lines.append("\(ip)\t\(fqdn)\t\(hostname)")
        } else {
            lines.append("\(ip)\t\(hostname)")
        }
        for alias in pod.spec?.hostAliases ?? [] {
            lines.append("\n# Entries added by HostAliases.\n\(alias.ip)\t\((alias.hostnames ?? []).joined(separator: "\t"))")
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: directory + "/etc-hosts", atomically: true, encoding: .utf8)
    }

    /// Init containers in order — a regular one run to success, a sidecar (`restartPolicy: Always`) started and
    /// kept running — then every app container, each restarted per the restart policy with back-off; sidecars are
    /// restarted whatever the policy. `latest` is the newest container of each name in the sandbox; returns whether
    /// anything was started or stopped (the runtime's view changed). Follows upstream's `computePodActions` and
    /// `computeInitContainerActions`.
    private func syncContainers(_ pod: Pod, sandbox: SandboxState, latest: [String: Runtime_V1_ContainerStatus]) async throws -> Bool {
        let policy = pod.spec?.restartPolicy ?? "Always"
        let containers = pod.spec?.containers ?? []
        var acted = false
        // Ephemeral containers first, as upstream's SyncPod starts them: one that fails to start does not wait for a
        // broken init container. Each starts once and is never restarted.
        for ephemeral in pod.spec?.ephemeralContainers ?? [] where latest[ephemeral.name] == nil {
            if Task.isCancelled { return acted }
            await start(ephemeral.common, attempt: 0, pod: pod, sandbox: sandbox, ephemeral: ephemeral, latest: latest)
            acted = true
        }
        // Every app container ended for good under the restart policy: the pod is done, its sidecars are stopped and
        // not restarted (upstream kills the pod when it keeps no container running and starts none).
        let completed = policy != "Always" && !containers.isEmpty && containers.allSatisfy { container in
            guard let status = latest[container.name], status.state == .containerExited else { return false }
            return policy == "Never" || status.exitCode == 0
        }
        if completed { return await stopSidecars(pod, latest: latest) || acted }
        // An app container that runs (or was created) means the pod was initialized: from then on only sidecars are
        // kept running. Otherwise initialization has reached the last init container the runtime has (`current`;
        // the ones before it were initialized); it decides whether the next one starts.
        let initContainers = pod.spec?.initContainers ?? []
        let appRunning = containers.contains { latest[$0.name].map { $0.state == .containerRunning || $0.state == .containerCreated } ?? false }
        let current = appRunning ? nil : initContainers.lastIndex { latest[$0.name] != nil }
        var initialized = appRunning || initContainers.isEmpty
        var next: Int? = initialized || current != nil ? nil : 0
        for (index, container) in initContainers.enumerated() {
            if Task.isCancelled { return acted }
            let sidecar = container.isSidecar
            if index == current, let status = latest[container.name] {
                switch status.state {
                case .containerRunning where sidecar:
                    keepRunning(pod, container, status: status, sandbox: sandbox)
                    // The next init container starts once this sidecar has started (its postStart hook ran when it
                    // was started; its startup probe, if any, succeeded); a started one whose image changed restarts.
                    if sidecarStarted(pod, container, status: status) {
                        if index == initContainers.count - 1 { initialized = true } else { next = index + 1 }
                        if await restartIfChanged(container, status: status, pod: pod, sandbox: sandbox) { acted = true }
                    }
                case .containerExited where sidecar:
                    if await restart(container, after: status, pod: pod, sandbox: sandbox) { acted = true }
                case .containerExited where status.exitCode == 0:
                    if index == initContainers.count - 1 { initialized = true } else { next = index + 1 }
                case .containerExited:
                    // A regular init container failed: under restartPolicy Never the pod has failed, its sidecars stop.
                    if policy == "Never" { return await stopSidecars(pod, latest: latest) || acted }
                    if await restart(container, after: status, pod: pod, sandbox: sandbox) { acted = true }
                case .containerCreated:
                    try await startCreated(status.id)
                    acted = true
                default:
                    // A regular init container running: wait for it to finish.
                    break
                }
                continue
            }
            // Before `current` (or once app containers run), only sidecars are kept running: started when the runtime
            // lost them, restarted when they exited.
            guard sidecar, appRunning || index < (current ?? -1) else { continue }
            guard let status = latest[container.name] else {
                await start(container, attempt: 0, pod: pod, sandbox: sandbox)
                acted = true
                continue
            }
            switch status.state {
            case .containerRunning:
                keepRunning(pod, container, status: status, sandbox: sandbox)
                if sidecarStarted(pod, container, status: status), await restartIfChanged(container, status: status, pod: pod, sandbox: sandbox) {
                    acted = true
                }
            case .containerExited: if await restart(container, after: status, pod: pod, sandbox: sandbox) { acted = true }
            case .containerCreated:
                try await startCreated(status.id)
                acted = true
            default: break
            }
        }
        if let next, !Task.isCancelled {
            await start(initContainers[next], attempt: 0, pod: pod, sandbox: sandbox)
            return true
        }
        guard initialized else { return acted }
        for container in pod.spec?.containers ?? [] {
            // The pod is being deleted (the sync was cancelled): start nothing more.
            if Task.isCancelled { return acted }
            guard let status = latest[container.name] else {
                await start(container, attempt: 0, pod: pod, sandbox: sandbox)
                acted = true
                continue
            }
            switch status.state {
            case .containerRunning:
                if await restartIfChanged(container, status: status, pod: pod, sandbox: sandbox) {
                    acted = true
                } else {
                    keepRunning(pod, container, status: status, sandbox: sandbox)
                }
            case .containerCreated:
                try await startCreated(status.id)
                acted = true
            case .containerExited:
                let restart = policy == "Always" || (policy == "OnFailure" && status.exitCode != 0)
                if restart, await self.restart(container, after: status, pod: pod, sandbox: sandbox) { acted = true }
            default:
                break
            }
        }
        return acted
    }

    /// A running container (app container or sidecar): its probes run, and after ten minutes of running it has earned
    /// a fresh back-off.
    private func keepRunning(_ pod: Pod, _ container: Container, status: Runtime_V1_ContainerStatus, sandbox: SandboxState) {
        let uid = pod.metadata.uid ?? ""
        if Date().timeIntervalSince1970 - Double(status.startedAt) / 1e9 > 600 { restartBackOff.reset(Self.restartKey(uid: uid, container: container)) }
        waiting[uid]?[container.name] = nil
        ensureProbes(pod, container, containerID: status.id, podIP: sandbox.ip)
    }

    /// Kills and starts again a running app container or sidecar whose spec changed since it was created (its image:
    /// the ``ContainerHash`` differs), whatever the restart policy and without back-off, as upstream's
    /// `computePodActions` / `computeInitContainerActions`: a Killing Event in upstream's words (preStop and the pod's
    /// grace period as for any kill), then the new container with the next attempt (restartCount + 1, the old one its
    /// lastState). Returns whether it did.
    private func restartIfChanged(_ container: Container, status: Runtime_V1_ContainerStatus, pod: Pod, sandbox: SandboxState) async -> Bool {
        guard ContainerHash.changed(container, status) else { return false }
        // Upstream's words: a sidecar's is "Init container …" (no suffix), an app container's "…, will be restarted".
        let message = container.isSidecar ? "Init container \(container.name) definition changed"
            : "Container \(container.name) definition changed, will be restarted"
        events.record(pod, reason: "Killing", message: message, fieldPath: Self.fieldPath(ofContainer: container.name, in: pod))
        logger.info("restarting container whose definition changed", metadata: ["pod": "\(Self.name(pod))", "container": "\(container.name)",
                                                                               "image": "\(container.image ?? "")"])
        await kill(status.id, container: container, pod: pod, podIP: sandbox.ip, grace: pod.spec?.terminationGracePeriodSeconds ?? 30)
        // The pod is going (the sync was cancelled): nothing starts any more.
        if Task.isCancelled { return true }
        // Upstream keys the restart back-off by the container's hash: a changed container starts with none.
        restartBackOff.reset(Self.restartKey(uid: pod.metadata.uid ?? "", container: container))
        await start(container, attempt: status.metadata.attempt + 1, pod: pod, sandbox: sandbox)
        await pruneDeadContainers(sandboxID: sandbox.id, name: container.name)
        return true
    }

    /// Whether a running sidecar counts as started: it has no startup probe, or that probe succeeded for this very
    /// container.
    private func sidecarStarted(_ pod: Pod, _ container: Container, status: Runtime_V1_ContainerStatus) -> Bool {
        guard container.startupProbe != nil else { return true }
        let key = "\(pod.metadata.uid ?? "")/\(container.name)"
        return probeWorkers[key]?.containerID == status.id && probeState[key]?.started == true
    }

    /// Stops the running sidecars of a pod that has completed (its app containers ended for good, or a regular init
    /// container failed under restartPolicy Never) with the pod's grace period, the later-declared first, as
    /// upstream's kubelet kills such a pod; returns whether it stopped any.
    private func stopSidecars(_ pod: Pod, latest: [String: Runtime_V1_ContainerStatus]) async -> Bool {
        let sidecars = (pod.spec?.initContainers ?? []).filter(\.isSidecar).compactMap { container in
            latest[container.name].flatMap { $0.state == .containerRunning ? (container, $0) : nil }
        }
        guard !sidecars.isEmpty else { return false }
        let grace = pod.spec?.terminationGracePeriodSeconds ?? 30
        let ordering = TerminationOrdering(pod: pod, running: Set(sidecars.map(\.0.name)))
        await withTaskGroup(of: Void.self) { group in
            for (container, status) in sidecars {
                events.record(pod, reason: "Killing", message: "Stopping container \(container.name)", fieldPath: Self.fieldPath(ofContainer: container.name, in: pod))
                group.addTask {
                    await self.kill(status.id, container: container, pod: pod, podIP: pod.status?.podIP ?? "", grace: grace,
                                    ordering: (ordering, container.name))
                }
            }
        }
        return true
    }

    /// Logs a new pod's start-up milestones once the status this agent holds for it (the API server's answer to its
    /// status write) says Running; a pod that never runs (it fails, or is deleted first) leaves no line.
    private func traceRunning(_ uid: String) {
        guard var trace = startTraces[uid], !trace.logged, let pod = pods[uid], pod.status?.phase == "Running" else { return }
        trace.mark(.running)
        trace.logged = true
        startTraces[uid] = trace.isComplete ? nil : trace
        var metadata = trace.metadata
        metadata["pod"] = "\(Self.name(pod))"
        logger.info("observed pod startup", metadata: metadata)
    }

    /// Records `kubelet_pod_start_duration_seconds` once every app container of a newly seen pod runs.
    private func recordStartIfRunning(_ pod: Pod, latest: [String: Runtime_V1_ContainerStatus]) {
        guard let uid = pod.metadata.uid, var trace = startTraces[uid], !trace.containersRunning else { return }
        let names = (pod.spec?.containers ?? []).map(\.name)
        guard !names.isEmpty, names.allSatisfy({ latest[$0]?.state == .containerRunning }) else { return }
        metrics.podStartDuration.recordInterval(since: trace.seen)
        trace.containersRunning = true
        startTraces[uid] = trace.isComplete ? nil : trace
    }

    /// The key of a container's restart back-off (CrashLoopBackOff): one per pod and container name, reset after ten
    /// minutes running and when the container's definition changed.
    private static func restartKey(uid: String, container: Container) -> String { "\(uid)/\(container.name)" }

    /// Restarts an exited container unless its back-off has not passed yet (CrashLoopBackOff); returns whether it
    /// tried.
    @discardableResult
    private func restart(_ container: Container, after status: Runtime_V1_ContainerStatus, pod: Pod, sandbox: SandboxState) async -> Bool {
        let uid = pod.metadata.uid ?? "", key = Self.restartKey(uid: uid, container: container)
        // As upstream's doBackOff: the delay counts from the exit, and the message names the whole delay and the pod
        // as `name_namespace(uid)` (format.Pod).
        let exitedAgo = Duration.nanoseconds(max(0, Int64(Date().timeIntervalSince1970 * 1e9) - status.finishedAt))
        if restartBackOff.isBackingOff(key, eventAge: exitedAgo), let delay = restartBackOff.delay(key) {
            let podDescription = "\(pod.metadata.name ?? "")_\(pod.metadata.namespace ?? "default")(\(uid))"
            let message = "back-off \(GoDuration.string(delay)) restarting failed container=\(container.name) pod=\(podDescription)"
            // Every sync that finds the container backing off says so again; the recorder counts the repeats into one
            // Event (`x5 over 2m`).
            events.record(pod, "Warning", reason: "BackOff", message: "Back-off restarting failed container \(container.name) in pod \(podDescription)",
                          fieldPath: Self.fieldPath(ofContainer: container.name, in: pod))
            waiting[uid, default: [:]][container.name] = ("CrashLoopBackOff", message)
            return false
        }
        restartBackOff.failed(key)
        await start(container, attempt: status.metadata.attempt + 1, pod: pod, sandbox: sandbox)
        await pruneDeadContainers(sandboxID: sandbox.id, name: container.name)
        return true
    }

    /// Pulls the image if the policy asks, creates and starts the container; failures become the
    /// container's waiting reason. An `ephemeral` container (`kubectl debug`) joins the PID namespace of its target
    /// container, which must be running (`latest` is what the runtime has of the pod), as upstream's kubelet asks the
    /// runtime for with NamespaceMode TARGET.
    private func start(_ container: Container, attempt: UInt32, pod: Pod, sandbox: SandboxState,
                       ephemeral: EphemeralContainer? = nil, latest: [String: Runtime_V1_ContainerStatus] = [:]) async {
        let uid = pod.metadata.uid ?? ""
        let isInit = ephemeral == nil && (pod.spec?.initContainers ?? []).contains { $0.name == container.name }
        let fieldPath = Self.fieldPath(ofContainer: container.name, in: pod)
        let containerType = ephemeral != nil ? "ephemeral_container" : isInit ? "init_container" : "container"
        // A container whose creation failed is tried again once per back-off period; until then nothing is done for
        // it, image check and its "Pulled" Event included (upstream's kubelet reaches EnsureImageExists only when it
        // starts the container).
        let createKey = "\(uid)/\(container.name)/create"
        if createRetry.isBackingOff(createKey) { return }
        let imageRef: String
        do {
            imageRef = try await ensureImage(container, pod: pod, fieldPath: fieldPath)
        } catch is CancellationError {
            return
        } catch {
            let failure = error as? WaitingReason ?? WaitingReason(reason: "ErrImagePull", message: Self.message(error))
            waiting[uid, default: [:]][container.name] = (failure.reason, failure.message)
            // Upstream's startContainer reports the image manager's error by its name: "Error: ErrImagePull",
            // "Error: ImagePullBackOff", "Error: ErrImageNeverPull".
            events.record(pod, "Warning", reason: "Failed", message: "Error: \(failure.reason)", fieldPath: fieldPath)
            return
        }
        do {
            var pidTarget: String?
            if let target = ephemeral?.targetContainerName, !target.isEmpty {
                guard let running = latest[target], running.state == .containerRunning else {
                    throw ContainerConfigError(message: "unable to find target container \(target)")
                }
                pidTarget = running.id
            }
            // Set up by this sync before the sandbox (again here only if they went meanwhile).
            var podVolumes = self.podVolumes[uid] ?? [:]
            if self.podVolumes[uid] == nil {
                podVolumes = try await volumes.setUp(pod)
                self.podVolumes[uid] = podVolumes
            }
            let services = try await objects.services(namespace: pod.metadata.namespace ?? "default",
                                                      serviceLinks: pod.spec?.enableServiceLinks ?? true)
            let environment = try await EnvironmentResolver(pod: pod, podIP: sandbox.ip, hostIP: nodeIP, objects: objects,
                                                            serviceVariables: ServiceEnvironment.variables(for: services),
                                                            nodeCapacity: volumes.nodeCapacity).resolve(container)
            let hostsFile = pod.spec?.hostNetwork == true ? nil : volumes.podDirectory(uid) + "/etc-hosts"
            var builder = ContainerConfigBuilder(pod: pod, environment: environment, volumes: podVolumes, hostsFile: hostsFile,
                                                 memoryCapacity: memoryCapacity)
            builder.terminationMessageFile = try TerminationMessage.createFile(podDirectory: volumes.podDirectory(uid), container: container.name)
            let config = try builder.build(container, imageRef: imageRef, attempt: attempt, pidTarget: pidTarget)
            var create = Runtime_V1_CreateContainerRequest()
            create.podSandboxID = sandbox.id
            create.config = config
            create.sandboxConfig = sandbox.config
            let id = try await connection.lifecycle.createContainer(create, options: RuntimeConnection.options()).containerID
            startTraces[uid]?.mark(.created)
            events.record(pod, reason: "Created", message: "Created container \(container.name)", fieldPath: fieldPath)
            try await startCreated(id)
            startTraces[uid]?.mark(.started)
            events.record(pod, reason: "Started", message: "Started container \(container.name)", fieldPath: fieldPath)
            metrics.startedContainers(containerType).increment()
            waiting[uid]?[container.name] = nil
            createRetry.reset(createKey)
            _ = await runPostStart(container, containerID: id, pod: pod, podIP: sandbox.ip)
        } catch let error as ContainerConfigError {
            createRetry.failed(createKey)
            metrics.startedContainerErrors("CreateContainerConfigError", containerType).increment()
            waiting[uid, default: [:]][container.name] = ("CreateContainerConfigError", error.message)
            events.record(pod, "Warning", reason: "Failed", message: "Error: \(error.message)", fieldPath: fieldPath)
        } catch {
            createRetry.failed(createKey)
            metrics.startedContainerErrors("CreateContainerError", containerType).increment()
            waiting[uid, default: [:]][container.name] = ("CreateContainerError", Self.message(error))
            events.record(pod, "Warning", reason: "Failed", message: "Error: \(Self.message(error))", fieldPath: fieldPath)
        }
    }

    private func startCreated(_ id: String) async throws {
        var start = Runtime_V1_StartContainerRequest()
        start.containerID = id
        _ = try await connection.lifecycle.startContainer(start, options: RuntimeConnection.options())
    }

    /// A reason the kubelet reports as the container's waiting state.
    struct WaitingReason: Error {
        let reason: String
        let message: String
    }

    /// imagePullPolicy: Always (the default for `:latest` or no tag), IfNotPresent, Never; failed pulls
    /// back off (ErrImagePull, then ImagePullBackOff while waiting). Returns the image as the runtime resolved it (the
    /// ID its ImageStatus or PullImage answered), which the container is created from, as upstream's
    /// `EnsureImageExists`.
    private func ensureImage(_ container: Container, pod: Pod, fieldPath: String?) async throws -> String {
        let image = container.image ?? ""
        let lastComponent = image.split(separator: "/").last ?? ""
        let defaultPolicy = image.contains("@") || (lastComponent.contains(":") && !image.hasSuffix(":latest")) ? "IfNotPresent" : "Always"
        let policy = container.imagePullPolicy ?? defaultPolicy
        if policy != "Always" {
            var status = Runtime_V1_ImageStatusRequest()
            status.image.image = image
            // Upstream's image manager reports both outcomes as events on the container.
            let present = try await connection.images.imageStatus(status, options: RuntimeConnection.options())
            if present.hasImage {
                events.record(pod, reason: "Pulled", message: "Container image \"\(image)\" already present on machine", fieldPath: fieldPath)
                return present.image.id
            }
            if policy == "Never" {
                let message = "Container image \"\(image)\" is not present with pull policy of Never"
                // At every sync that meets it, as upstream's image manager; the recorder folds repeats into one Event's count.
                events.record(pod, "Warning", reason: "ErrImageNeverPull", message: message, fieldPath: fieldPath)
                throw WaitingReason(reason: "ErrImageNeverPull", message: message)
            }
        }
        // Keyed by pod and image, as upstream's image manager: one pod's failed pulls do not hold back another's.
        let backOffKey = "\(pod.metadata.uid ?? "")_\(image)"
        if pullBackOff.isBackingOff(backOffKey) {
            // Said again at every sync in back-off (every 10-15 s); the recorder counts the repeats into one Event.
            let message = "Back-off pulling image \"\(image)\""
            events.record(pod, reason: "BackOff", message: message, fieldPath: fieldPath)
            throw WaitingReason(reason: "ImagePullBackOff", message: message)
        }
        // A pull can take a while: the pod's status (ContainerCreating, its IP, start time) is out before it starts, as
        // upstream's kubelet writes a pod's status before it syncs the pod.
        if let uid = pod.metadata.uid, pods[uid]?.status?.containerStatuses == nil, let view = try? await observe(uid: uid) {
            try? await writeStatus(pods[uid] ?? pod, view: view)
        }
        events.record(pod, reason: "Pulling", message: "Pulling image \"\(image)\"", fieldPath: fieldPath)
        var pull = Runtime_V1_PullImageRequest()
        pull.image.image = image
        let credentials = await pullCredentials(pod, image: image)
        let clock = ContinuousClock(), started = clock.now
        let imageRef: String, waited: Duration
        do {
            let (connection, puller) = (connection, imagePuller)
            (imageRef, waited) = try await imagePuller.pull { [pull] in
                @Sendable func attempt(_ auth: Runtime_V1_AuthConfig?) async throws -> String {
                    var pull = pull
                    if let auth { pull.auth = auth } else { pull.clearAuth() }
                    try await puller.acquireRegistryToken()
                    return try await connection.images.pullImage(pull, options: RuntimeConnection.options(.seconds(600))).imageRef
                }
                // Each matching credential in turn (most specific first), as upstream's kubelet, the last one's failure
                // reported; none: anonymous.
                for auth in credentials.dropLast() {
                    if let imageRef = try? await attempt(auth) { return imageRef }
                }
                return try await attempt(credentials.last)
            }
        } catch {
            // Cancelled because the pod is going: not the image's failure.
            if Task.isCancelled { throw CancellationError() }
            pullBackOff.failed(backOffKey)
            // Upstream's image manager: the event names the image; the container's waiting message is the error alone.
            events.record(pod, "Warning", reason: "Failed", message: "Failed to pull image \"\(image)\": \(Self.goError(error))", fieldPath: fieldPath)
            throw WaitingReason(reason: "ErrImagePull", message: Self.goError(error))
        }
        pullBackOff.reset(backOffKey)
        // Upstream's words: the pull's time and with the wait for its turn, truncated to milliseconds, and the image's
        // size as the runtime reports it.
        let total = clock.now - started
        let took = GoDuration.string(.milliseconds((total - waited) / .milliseconds(1)))
        let includingWaiting = GoDuration.string(.milliseconds(total / .milliseconds(1)))
        var pulled = Runtime_V1_ImageStatusRequest()
        pulled.image.image = image
        let size = (try? await connection.images.imageStatus(pulled, options: RuntimeConnection.options()).image.size) ?? 0
        events.record(pod, reason: "Pulled", message: "Successfully pulled image \"\(image)\" in \(took) (\(includingWaiting) including waiting). Image size: \(size) bytes.",
                      fieldPath: fieldPath)
        return imageRef
    }

    /// The credentials the pod's `imagePullSecrets` hold for `image`; a Secret that cannot be read is a Warning
    /// event (upstream's `FailedToRetrieveImagePullSecret`) and the pull goes on without it.
    private func pullCredentials(_ pod: Pod, image: String) async -> [Runtime_V1_AuthConfig] {
        var secrets = PullSecrets(), missing: [String] = []
        for reference in pod.spec?.imagePullSecrets ?? [] {
            guard let name = reference.name, !name.isEmpty else { continue }
            if let data = try? await objects.secret(name, for: pod) {
                secrets.add(data)
            } else {
                missing.append(name)
            }
        }
        if !missing.isEmpty {
            events.record(pod, "Warning", reason: "FailedToRetrieveImagePullSecret",
                          message: "Unable to retrieve some image pull secrets (\(missing.joined(separator: ", "))); attempting to pull the image may not succeed.")
        }
        return secrets.credentials(for: image)
    }

    /// Keeps the latest two containers of a name (the current one and the previous, for `logs --previous`).
    private func pruneDeadContainers(sandboxID: String, name: String) async {
        guard let containers = try? await containers(sandboxID: sandboxID) else { return }
        let old = containers.filter { $0.metadata.name == name && $0.state == .containerExited }
            .sorted { $0.metadata.attempt > $1.metadata.attempt }.dropFirst(2)
        for container in old {
            var remove = Runtime_V1_RemoveContainerRequest()
            remove.containerID = container.id
            _ = try? await connection.runtime.removeContainer(remove, options: RuntimeConnection.options())
        }
    }

    // MARK: Termination

    /// The node going away for good (`removePodsOnShutdown`): no sync starts any more, the running ones finish,
    /// then every sandbox the runtime has goes as a deleted pod's would — containers stopped with `grace`
    /// seconds, sandboxes (network, mounts) removed, volumes and pod cgroups gone. The API objects stay.
    func removeAllPods(grace: Int64) async {
        shuttingDown = true
        for task in inFlight.values { task.cancel() }
        for task in running.values { await task.value }
        var removed: Set<String> = []
        // Each pass removes what the runtime lists; a sandbox that survives a pass (a call that failed) gets another.
        for _ in 0..<3 {
            let sandboxes: [Runtime_V1_PodSandbox]
            do {
                sandboxes = try await connection.runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest(), options: RuntimeConnection.options()).items
            } catch {
                logger.error("cannot list sandboxes to remove", metadata: ["error": "\(error)", "cancelled": "\(Task.isCancelled)"])
                continue
            }
            let uids = Set(sandboxes.compactMap { $0.labels[PodLabels.podUID] }).union(pods.keys).subtracting(removed)
            if sandboxes.isEmpty && uids.isEmpty { break }
            await withTaskGroup(of: Void.self) { group in
                for uid in uids { group.addTask { await self.cleanUp(uid: uid, grace: grace) } }
            }
            removed.formUnion(pods.keys)
            pods = [:]
            logger.info("removed pods from the node", metadata: ["pods": "\(uids.count)", "sandboxes": "\(sandboxes.count)"])
        }
        if let left = try? await connection.runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest(), options: RuntimeConnection.options()).items,
           !left.isEmpty {
            logger.error("sandboxes left on the node", metadata: ["sandboxes": "\(left.map(\.id))"])
        }
        PodCgroups.removeParents(cgroupRoot: configuration.cgroupRoot)
    }

    /// Graceful deletion: SIGTERM with the pod's grace period (the runtime sends SIGKILL after it), the
    /// sandbox stopped, the pod's last status written (terminated containers, a terminal phase, not ready: upstream's
    /// kubelet writes it before it deletes the object), the sandbox removed, volumes torn down, then the API object
    /// deleted for good.
    private func terminate(_ pod: Pod) async {
        let uid = pod.metadata.uid ?? ""
        let grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30
        await recordKilling(pod)
        await cleanUp(uid: uid, grace: grace, pod: pod, writingFinalStatus: true)
        do {
            try await client.delete(Pod.self, name: pod.metadata.name ?? "", namespace: pod.metadata.namespace,
                                    options: DeleteOptions(gracePeriodSeconds: 0, preconditions: .init(uid: uid)))
            logger.info("pod deleted", metadata: ["pod": "\(Self.name(pod))"])
        } catch {
            // Already gone, or replaced by a new pod of the same name (the UID precondition fails): done.
            if !error.isNotFound && error.code != 409 {
                logger.warning("pod deletion failed", metadata: ["pod": "\(Self.name(pod))", "error": "\(error)"])
                dirty.insert(uid)
            }
        }
        pods[uid] = nil
    }

    /// "Stopping container" for the containers that run, as upstream's kubelet kills the running pod's containers
    /// (none for a container still waiting for its image); every one when the runtime cannot say.
    func recordKilling(_ pod: Pod) async {
        var request = Runtime_V1_ListContainersRequest()
        request.filter.labelSelector = [PodLabels.podUID: pod.metadata.uid ?? ""]
        request.filter.state.state = .containerRunning
        let running = (try? await connection.runtime.listContainers(request, options: RuntimeConnection.options()))
            .map { Set($0.containers.map(\.metadata.name)) }
        for (field, containers) in [("initContainers", pod.spec?.initContainers ?? []), ("containers", pod.spec?.containers ?? []),
                                    ("ephemeralContainers", (pod.spec?.ephemeralContainers ?? []).map(\.common))] {
            for container in containers where running?.contains(container.name) ?? (field == "containers") {
                events.record(pod, reason: "Killing", message: "Stopping container \(container.name)", fieldPath: Self.fieldPath(ofContainer: container.name, in: pod))
            }
        }
    }

    /// Stops every container of the pod with `grace` seconds, leaving them for status and logs.
    func stopAll(uid: String, grace: Int64) async {
        guard let sandboxes = try? await sandboxes(uid: uid) else { return }
        for sandbox in sandboxes where sandbox.state == .sandboxReady {
            await stopContainers(sandboxID: sandbox.id, grace: grace)
            var stop = Runtime_V1_StopPodSandboxRequest()
            stop.podSandboxID = sandbox.id
            _ = try? await connection.runtime.stopPodSandbox(stop, options: RuntimeConnection.options())
        }
    }

    /// Everything of a pod off the node: containers stopped in parallel (with their preStop handlers when the
    /// pod is known), sandboxes stopped, the pod's last status written when `writingFinalStatus` (the stopped
    /// containers' ends are still in the runtime then), sandboxes removed, volumes and the pod's cgroup gone, its
    /// bookkeeping forgotten.
    private func cleanUp(uid: String, grace: Int64 = 0, pod: Pod? = nil, writingFinalStatus: Bool = false) async {
        guard let sandboxes = try? await sandboxes(uid: uid) else { return }
        for sandbox in sandboxes {
            await stopContainers(sandboxID: sandbox.id, grace: grace, pod: pod)
            var stop = Runtime_V1_StopPodSandboxRequest()
            stop.podSandboxID = sandbox.id
            _ = try? await connection.runtime.stopPodSandbox(stop, options: RuntimeConnection.options())
        }
        if writingFinalStatus, let pod = pods[uid] ?? pod {
            do {
                try await writeStatus(pod, view: observe(uid: uid), terminal: true)
            } catch {
                // The object may be gone already (a forced deletion); the deletion below goes ahead either way.
                if (error as? KubeClientError)?.isNotFound != true { logger.warning("final pod status update failed", metadata: ["pod": "\(Self.name(pod))", "error": "\(error)"]) }
            }
        }
        for sandbox in sandboxes {
            sandboxIPs[sandbox.id] = nil
            var remove = Runtime_V1_RemovePodSandboxRequest()
            remove.podSandboxID = sandbox.id
            _ = try? await connection.runtime.removePodSandbox(remove, options: RuntimeConnection.options())
        }
        volumes.tearDown(podUID: uid)
        PodCgroups.remove(podUID: uid, cgroupRoot: configuration.cgroupRoot)
        waiting[uid] = nil
        verdicts[uid] = nil
        stopProbes(uid: uid)
        volumesRefreshed[uid] = nil
        podVolumes[uid] = nil
        mountRetry.reset(uid)
        startTraces[uid] = nil
        restartBackOff.forget(prefix: uid + "/")
        createRetry.forget(prefix: uid + "/")
    }

    /// Stops the sandbox's containers in parallel, each through ``kill(_:container:pod:podIP:grace:ordering:)``; a
    /// pod's sidecars wait for its app containers and later sidecars.
    private func stopContainers(sandboxID: String, grace: Int64, pod: Pod? = nil) async {
        guard let containers = try? await containers(sandboxID: sandboxID) else { return }
        let podIP = pod.flatMap { $0.status?.podIP } ?? ""
        let stopping = containers.filter { $0.state == .containerRunning || $0.state == .containerCreated }
        // With sidecars, app containers stop first and sidecars after them in reverse order (upstream 1.29+).
        let ordering = pod.flatMap { pod in
            TerminationOrdering.needed(pod) ? TerminationOrdering(pod: pod, running: Set(stopping.map(\.metadata.name))) : nil
        }
        await withTaskGroup(of: Void.self) { group in
            for container in stopping {
                // Only a running container has a preStop handler to run.
                let spec = container.state == .containerRunning ? pod?.spec?.anyContainer(named: container.metadata.name) : nil
                let turn = ordering.map { ($0, name: container.metadata.name) }
                group.addTask { await self.kill(container.id, container: spec, pod: pod, podIP: podIP, grace: grace, ordering: turn) }
            }
        }
    }

    // MARK: Runtime queries

    /// One pod as the runtime has it, read once per sync.
    struct PodRuntimeView: Sendable {
        var sandboxes: [Runtime_V1_PodSandbox]
        /// The ready sandbox, else the newest.
        var sandbox: Runtime_V1_PodSandbox?
        /// The containers of ``sandbox``.
        var containers: [Runtime_V1_Container]
        /// The newest container of each name in ``sandbox``, with its full status.
        var latest: [String: Runtime_V1_ContainerStatus]

        var ready: Runtime_V1_PodSandbox? { sandboxes.first { $0.state == .sandboxReady } }
    }

    func sandboxes(uid: String) async throws -> [Runtime_V1_PodSandbox] {
        var request = Runtime_V1_ListPodSandboxRequest()
        request.filter.labelSelector = [PodLabels.podUID: uid]
        return try await connection.runtime.listPodSandbox(request, options: RuntimeConnection.options()).items
    }

    func containers(sandboxID: String) async throws -> [Runtime_V1_Container] {
        var request = Runtime_V1_ListContainersRequest()
        request.filter.podSandboxID = sandboxID
        return try await connection.runtime.listContainers(request, options: RuntimeConnection.options()).containers
    }

    /// What the runtime has for pod `uid` now: its sandboxes, and in the ready one (else the newest) its
    /// containers and the full status of the newest container of each name.
    func observe(uid: String) async throws -> PodRuntimeView {
        let sandboxes = try await sandboxes(uid: uid)
        guard let chosen = sandboxes.first(where: { $0.state == .sandboxReady }) ?? sandboxes.max(by: { $0.metadata.attempt < $1.metadata.attempt })
        else { return PodRuntimeView(sandboxes: [], sandbox: nil, containers: [], latest: [:]) }
        let containers = try await containers(sandboxID: chosen.id)
        return PodRuntimeView(sandboxes: sandboxes, sandbox: chosen, containers: containers, latest: try await latestStatuses(containers))
    }

    /// The newest container of each name in the sandbox, with its full status.
    func latestContainers(sandboxID: String) async throws -> [String: Runtime_V1_ContainerStatus] {
        try await latestStatuses(try await containers(sandboxID: sandboxID))
    }

    /// The full status of the newest of `containers` of each name.
    private func latestStatuses(_ containers: [Runtime_V1_Container]) async throws -> [String: Runtime_V1_ContainerStatus] {
        var newest: [String: Runtime_V1_Container] = [:]
        for container in containers {
            if let current = newest[container.metadata.name], current.metadata.attempt >= container.metadata.attempt { continue }
            newest[container.metadata.name] = container
        }
        var statuses: [String: Runtime_V1_ContainerStatus] = [:]
        for (name, container) in newest {
            var request = Runtime_V1_ContainerStatusRequest()
            request.containerID = container.id
            statuses[name] = try await connection.runtime.containerStatus(request, options: RuntimeConnection.options()).status
        }
        return statuses
    }

    /// A sandbox's or container's entry in the relist's per-pod fingerprint: its id and state.
    static func fingerprint(_ sandbox: Runtime_V1_PodSandbox) -> String { "\(sandbox.id)=\(sandbox.state.rawValue)" }
    static func fingerprint(_ container: Runtime_V1_Container) -> String { "\(container.id)=\(container.state.rawValue)" }

    static func name(_ pod: Pod) -> String { "\(pod.metadata.namespace ?? "default")/\(pod.metadata.name ?? "")" }

    /// The container's place in its pod's spec, what the kubelet's Events name as `involvedObject.fieldPath`
    /// (upstream's GenerateContainerRef): `spec.containers{NAME}`, `spec.initContainers{NAME}` (sidecars too) or
    /// `spec.ephemeralContainers{NAME}`, looked up in that order; nil for a name the spec does not have.
    static func fieldPath(ofContainer name: String, in pod: Pod) -> String? {
        let spec = pod.spec
        if spec?.containers.contains(where: { $0.name == name }) == true { return "spec.containers{\(name)}" }
        if spec?.initContainers?.contains(where: { $0.name == name }) == true { return "spec.initContainers{\(name)}" }
        if spec?.ephemeralContainers?.contains(where: { $0.name == name }) == true { return "spec.ephemeralContainers{\(name)}" }
        return nil
    }

    /// A gRPC error's status message alone (Go's `status.Message()`), as upstream's kubelet reports a failed
    /// CreateContainer or StartContainer; other errors as they describe themselves.
    static func message(_ error: any Error) -> String {
        if let error = error as? RPCError { return error.message }
        return String(describing: error)
    }

    /// An error as Go's `err.Error()` prints it, which is how upstream's kubelet words the CRI's failures in most
    /// of its events and messages (RunPodSandbox, PullImage, ExecSync for hooks): a gRPC error as
    /// `rpc error: code = Unknown desc = …`; other errors as they describe themselves.
    static func goError(_ error: any Error) -> String {
        guard let error = error as? RPCError else { return String(describing: error) }
        let names = ["OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
                     "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange",
                     "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated"]
        let code = error.code.rawValue
        let name = names.indices.contains(code) ? names[code] : "Code(\(code))"
        return "rpc error: code = \(name) desc = \(error.message)"
    }
}

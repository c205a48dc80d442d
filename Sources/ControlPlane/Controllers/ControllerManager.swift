import ClusterPKI
import Foundation
import KubeClient
import Logging

/// Runs Swiftlet's controllers in one process, as kube-controller-manager does: the enabled controllers share one
/// informer per kind and, with leader election on, run only while this process holds the
/// `kube-system/kube-controller-manager` Lease.
///
/// `run()` returns when the calling task is cancelled (a ServiceLifecycle `run()` cancelled on SIGTERM), after
/// stopping the controllers and releasing the lease.
///
/// ```swift
/// let manager = ControllerManager(client: client, controllers: try ControllerSelection(parsing: "*"), logger: logger)
/// try await manager.run()
/// ```
public final class ControllerManager: Sendable {
    private let client: KubeClient
    private let selection: ControllerSelection
    private let workers: Int
    private let nodeLifecycle: NodeLifecycleController.Configuration
    private let horizontalPodAutoscaler: HorizontalPodAutoscalerController.Configuration
    private let podGC: PodGCController.Configuration
    private let elector: LeaderElector?
    private let signingAuthority: CertificateAuthority?
    private let signingDuration: TimeInterval
    private let logger: Logger

    /// - Parameters:
    ///   - controllers: which controllers run (`--controllers`).
    ///   - workers: concurrent reconciles per controller (upstream's `--concurrent-*-syncs`, 5 for most).
    ///   - nodeLifecycle: the node lifecycle controller's timing (`--node-monitor-grace-period`, …).
    ///   - horizontalPodAutoscaler: the autoscaler's settings (`--horizontal-pod-autoscaler-sync-period`, …).
    ///   - podGC: the pod garbage collector's settings (`--terminated-pod-gc-threshold`).
    ///   - leaderElection: the lease to campaign for; `nil` runs the controllers unconditionally (one server).
    ///   - signingAuthority: the cluster CA `csrsigning` signs approved CertificateSigningRequests with (upstream's
    ///     `--cluster-signing-cert-file`/`--cluster-signing-key-file`); nil: nothing is signed.
    ///   - signingDuration: the longest certificate `csrsigning` issues (`--cluster-signing-duration`, a year).
    public init(client: KubeClient, controllers: ControllerSelection = .all, workers: Int = 5,
                nodeLifecycle: NodeLifecycleController.Configuration = NodeLifecycleController.Configuration(),
                horizontalPodAutoscaler: HorizontalPodAutoscalerController.Configuration = HorizontalPodAutoscalerController.Configuration(),
                podGC: PodGCController.Configuration = PodGCController.Configuration(),
                leaderElection: LeaderElector.Configuration? = LeaderElector.Configuration(),
                signingAuthority: CertificateAuthority? = nil,
                signingDuration: TimeInterval = CertificateAuthority.defaultSigningDuration, logger: Logger) {
        self.signingAuthority = signingAuthority
        self.signingDuration = signingDuration
        self.client = client
        self.selection = controllers
        self.workers = workers
        self.nodeLifecycle = nodeLifecycle
        self.horizontalPodAutoscaler = horizontalPodAutoscaler
        self.podGC = podGC
        self.elector = leaderElection.map { LeaderElector(client: client, configuration: $0, logger: logger) }
        self.logger = logger
    }

    /// Whether the controllers are running here: this process leads, or leader election is off.
    public var isLeading: Bool { elector?.isLeader ?? true }

    /// Runs until the calling task is cancelled.
    public func run() async throws {
        logger.info("starting controller manager", metadata: ["controllers": "\(selection)"])
        if let elector {
            await elector.run { [self] in await runControllers() }
        } else {
            await runControllers()
        }
        try Task.checkCancellation()
    }

    /// Builds the enabled controllers over fresh shared informers, waits for the caches, then runs everything until
    /// cancelled. Fresh informers per term: a new leader starts from a consistent LIST.
    private func runControllers() async {
        let informers = SharedInformers(client: client, logger: logger)
        let context = ControllerContext(client: client, informers: informers, logger: logger)
        let controllers = makeControllers(context)
        await withDiscardingTaskGroup { group in
            group.addTask { await informers.run() }
            group.addTask { [logger, workers] in
                do {
                    try await informers.waitForSync()
                } catch {
                    return
                }
                logger.info("caches synced, starting controllers", metadata: ["count": "\(controllers.count)"])
                await withDiscardingTaskGroup { inner in
                    for controller in controllers {
                        inner.addTask { await controller.run(workers: workers) }
                    }
                }
            }
        }
    }

    private func makeControllers(_ context: ControllerContext) -> [any Controller] {
        var controllers: [any Controller] = []
        let on = selection.isEnabled
        if on(ReplicaSetController.controllerName) { controllers.append(ReplicaSetController(context: context)) }
        if on(ReplicationManager.controllerName) { controllers.append(ReplicationManager(context: context)) }
        if on(DeploymentController.controllerName) { controllers.append(DeploymentController(context: context)) }
        if on(EndpointSliceController.controllerName) { controllers.append(EndpointSliceController(context: context)) }
        if on(EndpointSliceMirroringController.controllerName) { controllers.append(EndpointSliceMirroringController(context: context)) }
        if on(EphemeralVolumeController.controllerName) { controllers.append(EphemeralVolumeController(context: context)) }
        if on(EndpointsController.controllerName) { controllers.append(EndpointsController(context: context)) }
        if on(GarbageCollector.controllerName) { controllers.append(GarbageCollector(context: context)) }
        if on(NamespaceController.controllerName) { controllers.append(NamespaceController(context: context)) }
        if on(ServiceAccountController.controllerName) { controllers.append(ServiceAccountController(context: context)) }
        if on(RootCACertPublisher.controllerName) { controllers.append(RootCACertPublisher(context: context)) }
        if on(DaemonSetController.controllerName) { controllers.append(DaemonSetController(context: context)) }
        if on(StatefulSetController.controllerName) { controllers.append(StatefulSetController(context: context)) }
        if on(JobController.controllerName) { controllers.append(JobController(context: context)) }
        if on(CronJobController.controllerName) { controllers.append(CronJobController(context: context)) }
        if on(TTLAfterFinishedController.controllerName) { controllers.append(TTLAfterFinishedController(context: context)) }
        if on(NodeLifecycleController.controllerName) {
            controllers.append(NodeLifecycleController(context: context, configuration: nodeLifecycle))
        }
        if on(TaintEvictionController.controllerName) { controllers.append(TaintEvictionController(context: context)) }
        if on(DisruptionController.controllerName) { controllers.append(DisruptionController(context: context)) }
        if on(PodGCController.controllerName) { controllers.append(PodGCController(context: context, configuration: podGC)) }
        if on(HorizontalPodAutoscalerController.controllerName) {
            controllers.append(HorizontalPodAutoscalerController(context: context, configuration: horizontalPodAutoscaler))
        }
        if on(CertificateApprover.controllerName) { controllers.append(CertificateApprover(context: context)) }
        if on(CertificateSigner.controllerName) {
            controllers.append(CertificateSigner(context: context, authority: signingAuthority, duration: signingDuration))
        }
        if on(PersistentVolumeController.controllerName) { controllers.append(PersistentVolumeController(context: context)) }
        if on(PVCProtectionController.controllerName) { controllers.append(PVCProtectionController(context: context)) }
        if on(PVProtectionController.controllerName) { controllers.append(PVProtectionController(context: context)) }
        if on(CertificateCleaner.controllerName) { controllers.append(CertificateCleaner(context: context)) }
        if on(ResourceQuotaController.controllerName) { controllers.append(ResourceQuotaController(context: context)) }
        if on(ServiceLoadBalancerController.controllerName) { controllers.append(ServiceLoadBalancerController(context: context)) }
        return controllers
    }
}

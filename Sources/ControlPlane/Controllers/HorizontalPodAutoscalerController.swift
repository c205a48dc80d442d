import Foundation
import KubeAPI
import KubeClient
import Logging

/// Scales the targets of HorizontalPodAutoscalers (upstream's `horizontal-pod-autoscaler-controller`): every sync
/// period each autoscaler reads its target's `scale` subresource, computes a replica count per metric — resource
/// metrics from the metrics API (metrics.k8s.io, the server's built-in metrics server) over the pods the scale's
/// selector picks — takes the largest, normalizes it (stabilization window, min/max, the scale-up limit or the
/// behavior's rate policies), writes the scale when it changed (SuccessfulRescale) and the status: current and
/// desired replicas, current metrics, lastScaleTime and the AbleToScale / ScalingActive / ScalingLimited
/// conditions, with upstream's reasons and messages. Custom (Pods, Object) and External metrics need APIs this
/// server does not serve; they fail as upstream's controller does without an adapter.
public struct HorizontalPodAutoscalerController: Controller {
    /// Upstream's name, for `--controllers` (alias `horizontalpodautoscaling`).
    public static let controllerName = "horizontal-pod-autoscaler-controller"
    /// The source of its Events.
    static let eventSource = "horizontal-pod-autoscaler"

    /// kube-controller-manager's `--horizontal-pod-autoscaler-*` settings.
    public struct Configuration: Sendable {
        /// `--horizontal-pod-autoscaler-sync-period`: how often each autoscaler is synced; a new or changed one
        /// waits this long too.
        public var syncPeriod: Duration
        /// `--horizontal-pod-autoscaler-downscale-stabilization`.
        public var downscaleStabilization: Duration
        /// `--horizontal-pod-autoscaler-tolerance`.
        public var tolerance: Double
        /// `--horizontal-pod-autoscaler-cpu-initialization-period`.
        public var cpuInitializationPeriod: Duration
        /// `--horizontal-pod-autoscaler-initial-readiness-delay`.
        public var initialReadinessDelay: Duration

        public init(syncPeriod: Duration = .seconds(15), downscaleStabilization: Duration = .seconds(300), tolerance: Double = 0.1,
                    cpuInitializationPeriod: Duration = .seconds(300), initialReadinessDelay: Duration = .seconds(30)) {
            self.syncPeriod = syncPeriod
            self.downscaleStabilization = downscaleStabilization
            self.tolerance = tolerance
            self.cpuInitializationPeriod = cpuInitializationPeriod
            self.initialReadinessDelay = initialReadinessDelay
        }
    }

    public var name: String { Self.controllerName }
    let client: KubeClient
    let autoscalers: Informer<HorizontalPodAutoscaler>
    let pods: Informer<Pod>
    let queue: WorkQueue
    let events: EventRecorder
    let logger: Logger
    let metrics: ControllerMetrics
    let configuration: Configuration
    let calculator: HPAReplicaCalculator
    let history: Locked<HPAScalingHistory>
    /// The parsed selector of each registered autoscaler, for the check that no pod is under two of them.
    let selectors: Locked<[String: LabelSelectorExpression]>

    public init(context: ControllerContext, configuration: Configuration = Configuration()) {
        client = context.client
        autoscalers = context.informers.informer(HorizontalPodAutoscaler.self)
        pods = context.informers.informer(Pod.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "horizontalpodautoscaler", logger: logger)
        events = EventRecorder(client: context.client, component: Self.eventSource, logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        self.configuration = configuration
        calculator = HPAReplicaCalculator(tolerance: configuration.tolerance,
                                          cpuInitializationPeriod: configuration.cpuInitializationPeriod.seconds,
                                          initialReadinessDelay: configuration.initialReadinessDelay.seconds)
        history = Locked(HPAScalingHistory(downscaleStabilizationWindow: configuration.downscaleStabilization.seconds))
        selectors = Locked([:])
        // Upstream queues every add and change after a whole sync period, and a key already waiting is not queued again.
        let queue = queue, selectors = selectors, period = configuration.syncPeriod
        let enqueue: @Sendable (HorizontalPodAutoscaler) async -> Void = { autoscaler in
            let key = Informer.key(for: autoscaler)
            selectors.withLock { if $0[key] == nil { $0[key] = .nothing } }
            await queue.addAfter(key, delay: period)
        }
        autoscalers.addHandler(InformerHandler(onAdd: enqueue, onUpdate: { _, new in await enqueue(new) }, onDelete: { autoscaler in
            let key = Informer.key(for: autoscaler)
            selectors.withLock { $0[key] = nil }
            await queue.forget(key)
        }))
    }

    public func run(workers: Int) async {
        await queue.process(workers: workers) { [self] key in
            try? await metrics.measure {
                guard let autoscaler = autoscalers.get(key) else {
                    history.withLock { $0.forget(key) }
                    return
                }
                // Every autoscaler comes back after the sync period, whether this sync failed or not.
                do {
                    try await reconcile(autoscaler, key: key, now: Date())
                } catch {
                    logger.warning("sync failed", metadata: ["hpa": "\(key)", "error": "\(error)"])
                    await queue.addAfter(key, delay: configuration.syncPeriod)
                    throw error
                }
                await queue.addAfter(key, delay: configuration.syncPeriod)
            }
        }
    }

    /// A failed sync, in upstream's words (`failed to query scale subresource for Deployment/default/web: …`).
    struct SyncError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// One sync of one autoscaler (upstream's `reconcileAutoscaler`).
    func reconcile(_ autoscaler: HorizontalPodAutoscaler, key: String, now: Date) async throws {
        var hpa = autoscaler
        let original = autoscaler.status ?? HorizontalPodAutoscalerStatus()
        var status = original
        let spec = hpa.spec ?? HorizontalPodAutoscalerSpec()
        let target = spec.scaleTargetRef
        let namespace = hpa.metadata.namespace ?? "default"
        let reference = "\(target.kind)/\(namespace)/\(target.name)"

        let kind: any KubeObject.Type
        var scale: Scale
        do {
            kind = try Self.scalableKind(target)
            scale = try await client.scale(kind, name: target.name, namespace: namespace)
        } catch {
            let message = (error as? KubeClientError)?.status?.message ?? "\(error)"
            events.record(hpa, "Warning", reason: "FailedGetScale", message: message)
            Self.setCondition(&status, HorizontalPodAutoscalerCondition.ableToScale, false, "FailedGetScale",
                              "the HPA controller was unable to get the target's current scale: \(message)", now: now)
            try await write(&hpa, status, original: original, reference: reference)
            throw SyncError(message: error is KubeClientError ? "failed to query scale subresource for \(reference): \(message)"
                                                               : "unable to determine resource for scale target reference: \(message)")
        }
        Self.setCondition(&status, HorizontalPodAutoscalerCondition.ableToScale, true, "SucceededGetScale",
                          "the HPA controller was able to get the target's current scale", now: now)
        let currentReplicas = scale.spec?.replicas ?? 0
        history.withLock { $0.recordInitial(key, currentReplicas: currentReplicas, now: now) }

        let minReplicas = spec.minReplicas ?? 1
        var desiredReplicas: Int32 = 0
        var rescaleReason = ""
        var metricStatuses: [MetricStatus]?
        var rescale = true
        var partialError: HPAMetricError?
        if currentReplicas == 0, minReplicas != 0 {
            rescale = false
            Self.setCondition(&status, HorizontalPodAutoscalerCondition.scalingActive, false, "ScalingDisabled",
                              "scaling is disabled since the replica count of the target is zero", now: now)
        } else if currentReplicas > spec.maxReplicas {
            rescaleReason = "Current number of replicas above Spec.MaxReplicas"
            desiredReplicas = spec.maxReplicas
        } else if currentReplicas < minReplicas {
            rescaleReason = "Current number of replicas below Spec.MinReplicas"
            desiredReplicas = minReplicas
        } else {
            let computed = await replicasForMetrics(hpa, scale: scale, status: &status, now: now)
            // Upstream's omitempty: no statuses is no field.
            metricStatuses = computed.statuses.isEmpty ? nil : computed.statuses
            guard let proposal = computed.replicas else {
                status.currentReplicas = currentReplicas
                status.currentMetrics = metricStatuses
                try await write(&hpa, status, original: original, reference: reference)
                let message = computed.error?.message ?? ""
                events.record(hpa, "Warning", reason: "FailedComputeMetricsReplicas", message: message)
                throw SyncError(message: "failed to compute desired number of replicas based on listed metrics for \(reference): \(message)")
            }
            partialError = computed.error
            var rescaleMetric = ""
            if proposal > desiredReplicas {
                desiredReplicas = proposal
                rescaleMetric = computed.metric
            }
            if desiredReplicas > currentReplicas { rescaleReason = "\(rescaleMetric) above target" }
            if desiredReplicas < currentReplicas { rescaleReason = "All metrics below target" }
            let outcome = history.withLock { history in
                if let behavior = spec.behavior {
                    history.normalize(key, current: currentReplicas, desired: desiredReplicas, min: minReplicas, max: spec.maxReplicas,
                                      behavior: behavior, now: now)
                } else {
                    history.normalize(key, current: currentReplicas, desired: desiredReplicas, min: minReplicas, max: spec.maxReplicas, now: now)
                }
            }
            Self.setCondition(&status, HorizontalPodAutoscalerCondition.ableToScale, true, outcome.ableToScale.reason,
                              outcome.ableToScale.message, now: now)
            Self.setCondition(&status, HorizontalPodAutoscalerCondition.scalingLimited, outcome.limited.status, outcome.limited.reason,
                              outcome.limited.message, now: now)
            desiredReplicas = outcome.replicas
            rescale = desiredReplicas != currentReplicas
        }

        if rescale {
            scale.spec = ScaleSpec(replicas: desiredReplicas)
            do {
                _ = try await client.updateScale(kind, scale)
            } catch {
                let message = error.status?.message ?? "\(error)"
                events.record(hpa, "Warning", reason: "FailedRescale",
                              message: "New size: \(desiredReplicas); reason: \(rescaleReason); error: \(message)")
                Self.setCondition(&status, HorizontalPodAutoscalerCondition.ableToScale, false, "FailedUpdateScale",
                                  "the HPA controller was unable to update the target scale: \(message)", now: now)
                status.currentReplicas = currentReplicas
                status.currentMetrics = metricStatuses
                try await write(&hpa, status, original: original, reference: reference)
                throw SyncError(message: "failed to rescale \(reference): \(message)")
            }
            Self.setCondition(&status, HorizontalPodAutoscalerCondition.ableToScale, true, "SucceededRescale",
                              "the HPA controller was able to update the target scale to \(desiredReplicas)", now: now)
            events.record(hpa, reason: "SuccessfulRescale", message: "New size: \(desiredReplicas); reason: \(rescaleReason)")
            history.withLock { $0.recordScale(key, behavior: spec.behavior, from: currentReplicas, to: desiredReplicas, now: now) }
            logger.info("rescaled", metadata: ["hpa": "\(key)", "from": "\(currentReplicas)", "to": "\(desiredReplicas)",
                                               "reason": "\(rescaleReason)"])
            status.lastScaleTime = Time(now)
        } else {
            desiredReplicas = currentReplicas
        }
        status.currentReplicas = currentReplicas
        status.desiredReplicas = desiredReplicas
        status.currentMetrics = metricStatuses
        try await write(&hpa, status, original: original, reference: reference)
        if let partialError { throw SyncError(message: partialError.message) }
    }

    /// The stored kind with a `scale` subresource a reference names, by group and kind as a REST mapping finds it.
    static func scalableKind(_ target: CrossVersionObjectReference) throws -> any KubeObject.Type {
        let parts = (target.apiVersion ?? "").split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw SyncError(message: "unexpected GroupVersion string: \(target.apiVersion ?? "")") }
        let group = parts.count == 2 ? String(parts[0]) : ""
        guard let kind = KubeKinds.all.first(where: { $0.resource.group == group && $0.resource.kind == target.kind }) else {
            throw SyncError(message: "no matches for kind \"\(target.kind)\" in group \"\(group)\"")
        }
        return kind
    }

    /// Writes the status when it changed (upstream's `updateStatusIfNeeded`).
    private func write(_ hpa: inout HorizontalPodAutoscaler, _ status: HorizontalPodAutoscalerStatus, original: HorizontalPodAutoscalerStatus,
                       reference: String) async throws {
        guard status != original else { return }
        hpa.status = status
        do {
            _ = try await client.updateStatus(hpa)
        } catch {
            let message = error.status?.message ?? "\(error)"
            events.record(hpa, "Warning", reason: "FailedUpdateStatus", message: message)
            throw SyncError(message: "failed to update status for \(reference): \(message)")
        }
    }

    /// Sets a condition, stamping the transition time when its status changes (upstream's `setConditionInList`).
    static func setCondition(_ status: inout HorizontalPodAutoscalerStatus, _ type: String, _ value: Bool, _ reason: String,
                             _ message: String, now: Date) {
        var conditions = status.conditions ?? []
        let text = value ? "True" : "False"
        if let i = conditions.firstIndex(where: { $0.type == type }) {
            if conditions[i].status != text { conditions[i].lastTransitionTime = Time(now) }
            conditions[i].status = text
            conditions[i].reason = reason
            conditions[i].message = message
        } else {
            conditions.append(HorizontalPodAutoscalerCondition(type: type, status: text, lastTransitionTime: Time(now), reason: reason, message: message))
        }
        status.conditions = conditions
    }
}

extension Duration {
    /// The duration in seconds, as `TimeInterval`.
    var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

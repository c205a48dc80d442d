import Foundation
import KubeAPI
import KubeClient

extension HorizontalPodAutoscalerController {
    /// What the metrics of one sync gave: the largest proposal and the metric that made it (nil when none could be
    /// computed, or some failed and the others would scale down), each metric's status, and the first failure.
    struct MetricsOutcome {
        var replicas: Int32?
        var metric = ""
        var statuses: [MetricStatus]
        var error: HPAMetricError?
    }

    /// Why a metric or the selector gave no proposal: the reason of its Warning event and of the ScalingActive
    /// condition, the event's message, the condition's, and the error the sync reports (`failed to get cpu resource
    /// metric value: …`).
    private struct MetricFailure: Error {
        var reason: String
        var message: String
        var conditionMessage: String
        var error: HPAMetricError

        /// A metric's failure, as upstream's `getUnableComputeReplicaCountCondition` words the condition.
        static func metric(_ reason: String, _ message: String, reported: String) -> MetricFailure {
            MetricFailure(reason: reason, message: message, conditionMessage: "the HPA was unable to compute the replica count: \(message)",
                          error: HPAMetricError(reported))
        }
    }

    /// Upstream's `computeReplicasForMetrics`: checks the scale's selector, computes every metric, and sets
    /// ScalingActive from the outcome.
    func replicasForMetrics(_ hpa: HorizontalPodAutoscaler, scale: Scale, status: inout HorizontalPodAutoscalerStatus,
                            now: Date) async -> MetricsOutcome {
        let specs = hpa.spec?.metrics ?? []
        let selectorText: String
        let pods: [Pod]
        switch validateSelector(hpa, scale.status?.selector) {
        case .success(let selected):
            (selectorText, pods) = selected
        case .failure(let failure):
            Self.setCondition(&status, HorizontalPodAutoscalerCondition.scalingActive, false, failure.reason, failure.conditionMessage, now: now)
            return MetricsOutcome(statuses: [], error: failure.error)
        }
        let specReplicas = scale.spec?.replicas ?? 0
        let namespace = hpa.metadata.namespace ?? "default"
        var statuses = [MetricStatus](repeating: MetricStatus(), count: specs.count)
        var best: (replicas: Int32, metric: String)?
        var firstFailure: MetricFailure?
        var failures = 0
        for (i, spec) in specs.enumerated() {
            do {
                let proposal = try await replicas(for: spec, current: specReplicas, namespace: namespace, selector: selectorText,
                                                  pods: pods, status: &statuses[i], now: now)
                if best == nil || proposal.replicas > best!.replicas { best = proposal }
            } catch {
                events.record(hpa, "Warning", reason: error.reason, message: error.message)
                if firstFailure == nil { firstFailure = error }
                failures += 1
            }
        }
        let error = firstFailure.map { HPAMetricError("invalid metrics (\(failures) invalid out of \(specs.count)), first error is: \($0.error.message)") }
        if let firstFailure, failures >= specs.count || (best?.replicas ?? 0) < specReplicas {
            Self.setCondition(&status, HorizontalPodAutoscalerCondition.scalingActive, false, firstFailure.reason,
                              firstFailure.conditionMessage, now: now)
            return MetricsOutcome(statuses: statuses, error: error)
        }
        let (replicas, metric) = best ?? (0, "")
        Self.setCondition(&status, HorizontalPodAutoscalerCondition.scalingActive, true, "ValidMetricFound",
                          "the HPA was able to successfully calculate a replica count from \(metric)", now: now)
        return MetricsOutcome(replicas: replicas, metric: metric, statuses: statuses, error: error)
    }

    /// Upstream's `validateAndParseSelector`: the scale must have a selector that parses and whose pods no other
    /// autoscaler selects. Gives the selector and the pods it picks.
    private func validateSelector(_ hpa: HorizontalPodAutoscaler, _ text: String?) -> Result<(String, [Pod]), MetricFailure> {
        guard let text, !text.isEmpty else {
            let message = "selector is required"
            events.record(hpa, "Warning", reason: "SelectorRequired", message: message)
            return .failure(MetricFailure(reason: "InvalidSelector", message: message, conditionMessage: "the HPA target's scale is missing a selector",
                                          error: HPAMetricError(message)))
        }
        let parsed: LabelSelectorExpression
        do {
            parsed = try LabelSelectorExpression(parsing: text)
        } catch {
            let message = "couldn't convert selector into a corresponding internal selector object: \(error)"
            events.record(hpa, "Warning", reason: "InvalidSelector", message: message)
            return .failure(MetricFailure(reason: "InvalidSelector", message: message, conditionMessage: message, error: HPAMetricError(message)))
        }
        let key = Informer.key(for: hpa)
        let namespace = hpa.metadata.namespace ?? "default"
        let registered = selectors.withLock { selectors in
            if selectors[key] != nil { selectors[key] = parsed }
            return selectors
        }
        let pods = self.pods.list(namespace: namespace, labelSelector: parsed)
        var selecting = Set<String>()
        for pod in pods {
            for (other, selector) in registered where other.hasPrefix(namespace + "/") && selector.matches(pod) { selecting.insert(other) }
        }
        if selecting.count > 1 {
            let message = "pods by selector \(text) are controlled by multiple HPAs: [\(selecting.sorted().joined(separator: " "))]"
            events.record(hpa, "Warning", reason: "AmbiguousSelector", message: message)
            return .failure(MetricFailure(reason: "AmbiguousSelector", message: message, conditionMessage: message, error: HPAMetricError(message)))
        }
        return .success((text, pods))
    }

    /// Upstream's `computeReplicasForMetric` for one metric: its proposal and metric name, or why there is none.
    private func replicas(for spec: MetricSpec, current: Int32, namespace: String, selector: String, pods: [Pod],
                          status: inout MetricStatus, now: Date) async throws(MetricFailure) -> (replicas: Int32, metric: String) {
        let customMetrics = "unable to fetch metrics from custom metrics API: no known available metric versions found"
        switch spec.type {
        case MetricSpec.resourceType, MetricSpec.containerResourceType:
            let container = spec.type == MetricSpec.containerResourceType ? spec.containerResource?.container : nil
            let name = spec.resource?.name ?? spec.containerResource?.name ?? ""
            let target = spec.resource?.target ?? spec.containerResource?.target ?? MetricTarget()
            do {
                let (current, proposal, metricName) = try await resourceProposal(name: name, target: target, container: container, current: current,
                                                                                 namespace: namespace, selector: selector, pods: pods, now: now)
                status = container.map {
                    MetricStatus(type: spec.type, containerResource: ContainerResourceMetricStatus(name: name, current: current, container: $0))
                } ?? MetricStatus(type: spec.type, resource: ResourceMetricStatus(name: name, current: current))
                return (proposal, metricName)
            } catch {
                if let container {
                    throw .metric("FailedGetContainerResourceMetric", error.message,
                                  reported: "failed to get \(container) container metric value: \(error.message)")
                }
                throw .metric("FailedGetResourceMetric", error.message, reported: "failed to get \(name) resource metric value: \(error.message)")
            }
        case MetricSpec.podsType:
            let message = "unable to get metric \(spec.pods?.metric.name ?? ""): \(customMetrics)"
            throw .metric("FailedGetPodsMetric", message, reported: "failed to get pods metric value: \(message)")
        case MetricSpec.objectType:
            let message = "unable to get metric \(spec.object?.metric.name ?? ""): \(customMetrics)"
            throw .metric("FailedGetObjectMetric", message, reported: "failed to get object metric value: \(message)")
        case MetricSpec.externalType:
            let name = spec.external?.metric.name ?? ""
            let message = "unable to get external metric \(namespace)/\(name): unable to fetch metrics from external metrics API: "
                + "the server could not find the requested resource"
            throw .metric("FailedGetExternalMetric", message, reported: "failed to get \(name) external metric value: \(message)")
        default:
            let message = "unknown metric source type \"\(spec.type)\""
            throw .metric("InvalidMetricSourceType", message, reported: message)
        }
    }

    /// Upstream's `computeStatusForResourceMetricGeneric`: an `AverageValue` or `Utilization` target of a resource.
    private func resourceProposal(name: String, target: MetricTarget, container: String?, current: Int32, namespace: String,
                                  selector: String, pods: [Pod], now: Date) async throws(HPAMetricError) -> (MetricValueStatus, Int32, String) {
        if let average = target.averageValue {
            let readings = try await podMetrics(resource: name, container: container, namespace: namespace, selector: selector)
            do {
                let proposal = try calculator.rawResourceReplicas(currentReplicas: current, targetAverage: average.milliValue, resource: name,
                                                                  pods: pods, metrics: readings, now: now)
                return (MetricValueStatus(averageValue: Quantity(milliValue: proposal.average)), proposal.replicas, "\(name) resource")
            } catch {
                throw HPAMetricError("failed to get \(name) usage: \(error.message)")
            }
        }
        guard let utilization = target.averageUtilization else {
            throw HPAMetricError("invalid resource metric source: neither an average utilization target nor an average value (usage) target was set")
        }
        do {
            let readings = try await podMetrics(resource: name, container: container, namespace: namespace, selector: selector)
            let proposal = try calculator.resourceReplicas(currentReplicas: current, targetUtilization: utilization, resource: name,
                                                           container: container, pods: pods, metrics: readings, now: now)
            let metricName = container == nil ? "\(name) resource utilization (percentage of request)"
                                              : "\(name) container resource utilization (percentage of request)"
            return (MetricValueStatus(averageValue: Quantity(milliValue: proposal.rawAverage), averageUtilization: proposal.utilization),
                    proposal.replicas, metricName)
        } catch {
            throw HPAMetricError("failed to get \(name) utilization: \(error.message)")
        }
    }

    /// Upstream's `GetResourceMetric`: the pods' readings from the metrics API.
    private func podMetrics(resource: String, container: String?, namespace: String,
                            selector: String) async throws(HPAMetricError) -> [String: PodMetric] {
        let items: [PodMetrics]
        do {
            items = try await client.list(PodMetrics.self, namespace: namespace, options: ListOptions(labelSelector: selector)).items
        } catch {
            let detail = error.status?.message ?? "\(error)"
            throw HPAMetricError("unable to get metrics for resource \(resource): unable to fetch metrics from resource metrics API: \(detail)")
        }
        guard !items.isEmpty else {
            throw HPAMetricError("unable to get metrics for resource \(resource): no metrics returned from resource metrics API")
        }
        return HPAReplicaCalculator.podMetrics(items, resource: resource, container: container)
    }
}

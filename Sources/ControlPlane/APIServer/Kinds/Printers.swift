import Foundation
import KubeAPI

/// The `kubectl get` columns upstream prints for each kind (pkg/printers/internalversion), as server-side tables.
enum Printers {
    typealias Column = TableConverter<Pod>.Column

    static let nameColumn = (name: "Name", type: "string", format: "name", description: "Name must be unique within a namespace.")
    static let ageDescription = "CreationTimestamp is a timestamp representing the server time when this object was created."
    /// The wide columns of kinds with a pod template (upstream's CONTAINERS and IMAGES) …
    static let templateColumns = [
        TableColumn(name: "Containers", type: "string", description: "Names of each container in the template.", priority: 1),
        TableColumn(name: "Images", type: "string", description: "Images referenced by each container in the template.", priority: 1),
    ]
    /// … and the SELECTOR column most of them add.
    static let selectorColumn = TableColumn(name: "Selector", type: "string", description: "Label selector for pods.", priority: 1)

    static var pod: TableConverter<Pod> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Ready", type: "string", description: "The aggregate readiness state of this pod for accepting traffic."),
            .init(name: "Status", type: "string", description: "The aggregate status of the containers in this pod."),
            .init(name: "Restarts", type: "string", description: "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            .init(name: "Age", type: "string", description: ageDescription),
            .init(name: "IP", type: "string", description: "The IP address assigned to the pod", priority: 1),
            .init(name: "Node", type: "string", description: "The name of the node assigned to the pod", priority: 1),
            .init(name: "Nominated Node", type: "string", description: "The name of the node nominated by the scheduler", priority: 1),
            .init(name: "Readiness Gates", type: "string", description: "The readiness gates of the pod", priority: 1),
        ]) { pod, now in
            let summary = podSummary(pod)
            var restartCell = String(summary.restarts)
            if summary.restarts > 0, let lastRestart = summary.lastRestart {
                restartCell += " (\(humanDuration(now.timeIntervalSince(lastRestart.date))) ago)"
            }
            let gates = pod.spec?.readinessGates ?? []
            let gatesCell: String
            if gates.isEmpty { gatesCell = "<none>" } else {
                let passing = gates.filter { gate in pod.status?.conditions?.contains { $0.type == gate.conditionType && $0.status == "True" } ?? false }.count
                gatesCell = "\(passing)/\(gates.count)"
            }
            return [.string(pod.metadata.name ?? ""), .string("\(summary.ready)/\(summary.total)"), .string(summary.reason),
                    .string(restartCell), ageCell(pod.metadata.creationTimestamp, now: now),
                    .string(pod.status?.podIP ?? "<none>"), .string(nonEmpty(pod.spec?.nodeName)),
                    .string(nonEmpty(pod.status?.nominatedNodeName)), .string(gatesCell)]
        }
    }

    /// The STATUS column: upstream's precedence of pod reason, init progress, container reasons, Terminating.
    static func podStatusReason(_ pod: Pod) -> String { podSummary(pod).reason }

    /// The READY, STATUS and RESTARTS columns as upstream's printPod computes them: sidecars (init containers with
    /// `restartPolicy: Always`) count among the containers and, once started, do not hold the pod in `Init:`; once
    /// initialized, restarts are those of the sidecars and app containers.
    static func podSummary(_ pod: Pod) -> (ready: Int, total: Int, reason: String, restarts: Int, lastRestart: Time?) {
        var reason = pod.status?.reason ?? pod.status?.phase ?? "Pending"
        let initContainers = pod.spec?.initContainers ?? []
        let sidecars = Set(initContainers.filter(\.isSidecar).map(\.name))
        let total = (pod.spec?.containers.count ?? 0) + sidecars.count
        var ready = 0, restarts = 0, sidecarRestarts = 0
        var lastRestart: Time?, lastSidecarRestart: Time?
        func later(_ a: Time?, _ b: Time?) -> Time? {
            guard let a else { return b }
            guard let b else { return a }
            return a.date > b.date ? a : b
        }
        let initStatuses = pod.status?.initContainerStatuses ?? []
        var initializing = false
        for (i, status) in initStatuses.enumerated() {
            restarts += Int(status.restartCount)
            lastRestart = later(lastRestart, status.lastState?.terminated?.finishedAt)
            let sidecar = sidecars.contains(status.name)
            if sidecar {
                sidecarRestarts += Int(status.restartCount)
                lastSidecarRestart = later(lastSidecarRestart, status.lastState?.terminated?.finishedAt)
            }
            if let terminated = status.state?.terminated, terminated.exitCode == 0 { continue }
            if sidecar, status.started == true {
                if status.ready { ready += 1 }
                continue
            }
            if let terminated = status.state?.terminated {
                reason = terminated.reason.map { "Init:\($0)" } ?? (terminated.signal.map { "Init:Signal:\($0)" } ?? "Init:ExitCode:\(terminated.exitCode)")
            } else if let waiting = status.state?.waiting?.reason, !waiting.isEmpty, waiting != "PodInitializing" {
                reason = "Init:" + waiting
            } else {
                reason = "Init:\(i)/\(initContainers.isEmpty ? initStatuses.count : initContainers.count)"
            }
            initializing = true
            break
        }
        let initialized = pod.status?.conditions?.contains { $0.type == "Initialized" && $0.status == "True" } ?? false
        if !initializing || initialized {
            restarts = sidecarRestarts
            lastRestart = lastSidecarRestart
            var hasRunning = false
            for status in (pod.status?.containerStatuses ?? []).reversed() {
                restarts += Int(status.restartCount)
                lastRestart = later(lastRestart, status.lastState?.terminated?.finishedAt)
                if let waiting = status.state?.waiting?.reason, !waiting.isEmpty {
                    reason = waiting
                } else if let terminated = status.state?.terminated {
                    reason = terminated.reason ?? (terminated.signal.map { "Signal:\($0)" } ?? "ExitCode:\(terminated.exitCode)")
                } else if status.ready, status.state?.running != nil {
                    hasRunning = true
                    ready += 1
                }
            }
            if reason == "Completed", hasRunning {
                reason = pod.status?.conditions?.contains(where: { $0.type == "Ready" && $0.status == "True" }) == true ? "Running" : "NotReady"
            }
        }
        if pod.metadata.deletionTimestamp != nil {
            reason = pod.status?.reason == "NodeLost" ? "Unknown" : "Terminating"
        }
        return (ready, total, reason, restarts, lastRestart)
    }

    static var service: TableConverter<Service> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Type", type: "string", description: "type determines how the Service is exposed."),
            .init(name: "Cluster-IP", type: "string", description: "clusterIP is the IP address of the service and is usually assigned randomly."),
            .init(name: "External-IP", type: "string", description: "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
            .init(name: "Port(s)", type: "string", description: "The list of ports that are exposed by this service."),
            .init(name: "Age", type: "string", description: ageDescription),
            .init(name: "Selector", type: "string", description: "Route service traffic to pods with label keys and values matching this selector.", priority: 1),
        ]) { service, now in
            let spec = service.spec
            let type = spec?.type ?? "ClusterIP"
            var external = spec?.externalIPs ?? []
            if type == "LoadBalancer" {
                external += (service.status?.loadBalancer?.ingress ?? []).compactMap { $0.ip ?? $0.hostname }
            }
            let externalCell: String
            switch type {
            case "ExternalName": externalCell = spec?.externalName ?? "<none>"
            case "LoadBalancer": externalCell = external.isEmpty ? "<pending>" : external.joined(separator: ",")
            default: externalCell = external.isEmpty ? "<none>" : external.joined(separator: ",")
            }
            let ports = (spec?.ports ?? []).map { port in
                let proto = port.protocol ?? "TCP"
                if let nodePort = port.nodePort, nodePort > 0 { return "\(port.port):\(nodePort)/\(proto)" }
                return "\(port.port)/\(proto)"
            }
            return [.string(service.metadata.name ?? ""), .string(type), .string(nonEmpty(spec?.clusterIP)),
                    .string(externalCell), .string(ports.isEmpty ? "<none>" : ports.joined(separator: ",")),
                    ageCell(service.metadata.creationTimestamp, now: now), .string(selectorString(spec?.selector))]
        }
    }

    static var node: TableConverter<Node> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Status", type: "string", description: "The status of the node"),
            .init(name: "Roles", type: "string", description: "The roles of the node"),
            .init(name: "Age", type: "string", description: ageDescription),
            .init(name: "Version", type: "string", description: "Kubelet Version reported by the node."),
            .init(name: "Internal-IP", type: "string", description: "List of addresses reachable to the node.", priority: 1),
            .init(name: "External-IP", type: "string", description: "List of addresses reachable to the node.", priority: 1),
            .init(name: "OS-Image", type: "string", description: "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", priority: 1),
            .init(name: "Kernel-Version", type: "string", description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", priority: 1),
            .init(name: "Container-Runtime", type: "string", description: "Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2).", priority: 1),
        ]) { node, now in
            // As upstream's printNode: a Ready condition that is not True (False or Unknown) is NotReady; "Unknown"
            // only when the node has no Ready condition at all.
            var status = "Unknown"
            if let ready = node.status?.conditions?.first(where: { $0.type == "Ready" }) {
                status = ready.status == "True" ? "Ready" : "NotReady"
            }
            if node.spec?.unschedulable == true { status += ",SchedulingDisabled" }
            let roles = (node.metadata.labels ?? [:]).keys.compactMap { key -> String? in
                if key.hasPrefix("node-role.kubernetes.io/") { return String(key.dropFirst("node-role.kubernetes.io/".count)) }
                return nil
            }.sorted()
            let addresses = node.status?.addresses ?? []
            let info = node.status?.nodeInfo
            return [.string(node.metadata.name ?? ""), .string(status), .string(roles.isEmpty ? "<none>" : roles.joined(separator: ",")),
                    ageCell(node.metadata.creationTimestamp, now: now), .string(info?.kubeletVersion ?? ""),
                    .string(addresses.first { $0.type == "InternalIP" }?.address ?? "<none>"),
                    .string(addresses.first { $0.type == "ExternalIP" }?.address ?? "<none>"),
                    .string(nonEmpty(info?.osImage, or: "<unknown>")), .string(nonEmpty(info?.kernelVersion, or: "<unknown>")),
                    .string(nonEmpty(info?.containerRuntimeVersion, or: "<unknown>"))]
        }
    }

    static var namespace: TableConverter<Namespace> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Status", type: "string", description: "The status of the namespace"),
            .init(name: "Age", type: "string", description: ageDescription),
        ]) { namespace, now in
            [.string(namespace.metadata.name ?? ""), .string(namespace.status?.phase ?? ""), ageCell(namespace.metadata.creationTimestamp, now: now)]
        }
    }

    /// NAME, one count column, AGE: ConfigMaps (DATA) and the like.
    static func counted<K: KubeObject>(_ header: String, _ description: String, _ count: @escaping @Sendable (K) -> Int) -> TableConverter<K> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: header, type: "integer", description: description),
            .init(name: "Age", type: "string", description: ageDescription),
        ]) { object, now in
            [.string(object.metadata.name ?? ""), .int(Int64(count(object))), ageCell(object.metadata.creationTimestamp, now: now)]
        }
    }

    static func nonEmpty(_ value: String?, or placeholder: String = "<none>") -> String {
        guard let value, !value.isEmpty else { return placeholder }
        return value
    }

    static func selectorString(_ selector: [String: String]?) -> String {
        guard let selector, !selector.isEmpty else { return "<none>" }
        return selector.keys.sorted().map { "\($0)=\(selector[$0]!)" }.joined(separator: ",")
    }
}

// MARK: - Workloads and the rest

extension Printers {
    static func containersAndImages(_ spec: PodSpec?) -> (String, String) {
        let containers = spec?.containers ?? []
        return (containers.map(\.name).joined(separator: ","), containers.map { $0.image ?? "" }.joined(separator: ","))
    }

    static func labelSelectorString(_ selector: LabelSelector?) -> String {
        guard let selector, let expression = try? LabelSelectorExpression(selector) else { return "<none>" }
        let text = expression.description
        return text.isEmpty ? "<none>" : text
    }

    static var deployment: TableConverter<Deployment> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Ready", type: "string", description: "Number of the pod with ready state"),
            .init(name: "Up-to-date", type: "string", description: "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
            .init(name: "Available", type: "string", description: "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
            .init(name: "Age", type: "string", description: ageDescription),
        ] + templateColumns + [selectorColumn]) { d, now in
            let (containers, images) = containersAndImages(d.spec?.template.spec)
            return [.string(d.metadata.name ?? ""), .string("\(d.status?.readyReplicas ?? 0)/\(d.spec?.replicas ?? 0)"),
                    .int(Int64(d.status?.updatedReplicas ?? 0)), .int(Int64(d.status?.availableReplicas ?? 0)),
                    ageCell(d.metadata.creationTimestamp, now: now), .string(containers), .string(images),
                    .string(labelSelectorString(d.spec?.selector))]
        }
    }

    static var replicaSet: TableConverter<ReplicaSet> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Desired", type: "integer", description: "Replicas is the number of desired replicas."),
            .init(name: "Current", type: "integer", description: "Replicas is the most recently observed number of replicas."),
            .init(name: "Ready", type: "integer", description: "The number of ready replicas for this replica set."),
            .init(name: "Age", type: "string", description: ageDescription),
        ] + templateColumns + [selectorColumn]) { rs, now in
            let (containers, images) = containersAndImages(rs.spec?.template?.spec)
            return [.string(rs.metadata.name ?? ""), .int(Int64(rs.spec?.replicas ?? 0)), .int(Int64(rs.status?.replicas ?? 0)),
                    .int(Int64(rs.status?.readyReplicas ?? 0)), ageCell(rs.metadata.creationTimestamp, now: now),
                    .string(containers), .string(images), .string(labelSelectorString(rs.spec?.selector))]
        }
    }

    static var daemonSet: TableConverter<DaemonSet> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Desired", type: "integer", description: "The total number of nodes that should be running the daemon pod."),
            .init(name: "Current", type: "integer", description: "The number of nodes that are running at least 1 daemon pod."),
            .init(name: "Ready", type: "integer", description: "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready."),
            .init(name: "Up-to-date", type: "integer", description: "The total number of nodes that are running updated daemon pod"),
            .init(name: "Available", type: "integer", description: "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available."),
            .init(name: "Node Selector", type: "string", description: "NodeSelector is a selector which must be true for the pod to fit on a node."),
            .init(name: "Age", type: "string", description: ageDescription),
        ] + templateColumns + [selectorColumn]) { ds, now in
            let (containers, images) = containersAndImages(ds.spec?.template.spec)
            let status = ds.status
            return [.string(ds.metadata.name ?? ""), .int(Int64(status?.desiredNumberScheduled ?? 0)),
                    .int(Int64(status?.currentNumberScheduled ?? 0)), .int(Int64(status?.numberReady ?? 0)),
                    .int(Int64(status?.updatedNumberScheduled ?? 0)), .int(Int64(status?.numberAvailable ?? 0)),
                    .string(selectorString(ds.spec?.template.spec?.nodeSelector)), ageCell(ds.metadata.creationTimestamp, now: now),
                    .string(containers), .string(images), .string(labelSelectorString(ds.spec?.selector))]
        }
    }

    static var job: TableConverter<Job> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Status", type: "string", description: "Status of the job."),
            .init(name: "Completions", type: "string", description: "The desired number of successfully finished pods the job should be run with."),
            .init(name: "Duration", type: "string", description: "Time required to complete the job."),
            .init(name: "Age", type: "string", description: ageDescription),
        ] + templateColumns + [selectorColumn]) { job, now in
            let (containers, images) = containersAndImages(job.spec?.template.spec)
            let conditions = job.status?.conditions ?? []
            func has(_ type: String) -> Bool { conditions.contains { $0.type == type && $0.status == "True" } }
            let status = has("Complete") ? "Complete" : has("Failed") ? "Failed" : has("FailureTarget") ? "FailureTarget"
                : has("Suspended") ? "Suspended" : job.metadata.deletionTimestamp != nil ? "Terminating" : "Running"
            let completions = job.spec?.completions.map { "\(job.status?.succeeded ?? 0)/\($0)" } ?? "\(job.status?.succeeded ?? 0)/1 of \(job.spec?.parallelism ?? 1)"
            var duration = ""
            if let start = job.status?.startTime {
                duration = humanDuration((job.status?.completionTime?.date ?? now).timeIntervalSince(start.date))
            }
            return [.string(job.metadata.name ?? ""), .string(status), .string(completions), .string(duration),
                    ageCell(job.metadata.creationTimestamp, now: now), .string(containers), .string(images),
                    .string(labelSelectorString(job.spec?.selector))]
        }
    }

    static var endpointSlice: TableConverter<EndpointSlice> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "AddressType", type: "string", description: "The IP protocol for this slice"),
            .init(name: "Ports", type: "string", description: "The ports of the endpoints"),
            .init(name: "Endpoints", type: "string", description: "The addresses of the endpoints"),
            .init(name: "Age", type: "string", description: ageDescription),
        ]) { slice, now in
            let ports = (slice.ports ?? []).compactMap { $0.port.map(String.init) }
            let addresses = slice.endpoints.flatMap(\.addresses)
            var endpointsCell = addresses.prefix(3).joined(separator: ",")
            if addresses.count > 3 { endpointsCell += " + \(addresses.count - 3) more..." }
            return [.string(slice.metadata.name ?? ""), .string(slice.addressType),
                    .string(ports.isEmpty ? "<unset>" : ports.joined(separator: ",")),
                    .string(addresses.isEmpty ? "<unset>" : endpointsCell), ageCell(slice.metadata.creationTimestamp, now: now)]
        }
    }

    /// Upstream's printEvent: LAST SEEN (a series' last observation), TYPE, REASON, OBJECT, MESSAGE, and with
    /// `-o wide` SUBOBJECT, SOURCE, FIRST SEEN, COUNT (1 for a singleton of the new API) and NAME.
    static var event: TableConverter<Event> {
        TableConverter(columns: [
            .init(name: "Last Seen", type: "string", description: "The time at which the most recent occurrence of this event was recorded."),
            .init(name: "Type", type: "string", description: "Type of this event (Normal, Warning), new types could be added in the future"),
            .init(name: "Reason", type: "string", description: "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
            .init(name: "Object", type: "string", description: "The object that this event is about."),
            .init(name: "Subobject", type: "string", description: "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].", priority: 1),
            .init(name: "Source", type: "string", description: "The component reporting this event. Should be a short machine understandable string.", priority: 1),
            .init(name: "Message", type: "string", description: "A human-readable description of the status of this operation."),
            .init(name: "First Seen", type: "string", description: "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", priority: 1),
            .init(name: "Count", type: "string", description: "The number of times this event has occurred.", priority: 1),
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description, priority: 1),
        ]) { event, now in
            let first = event.firstTimestamp.map { ageCell($0, now: now) } ?? ageCell(event.eventTime.map { Time($0.date) }, now: now)
            var last = event.lastTimestamp.map { ageCell($0, now: now) } ?? first
            var count = event.count ?? 0
            if let series = event.series {
                last = ageCell(series.lastObservedTime.map { Time($0.date) }, now: now)
                count = series.count ?? 0
            } else if count == 0 {
                count = 1
            }
            let kind = (event.involvedObject.kind ?? "").lowercased()
            let object = (event.involvedObject.name ?? "").isEmpty ? kind : "\(kind)/\(event.involvedObject.name ?? "")"
            // formatEventSource: the reporting controller and instance stand in for an empty source.
            let component = event.source?.component.flatMap { $0.isEmpty ? nil : $0 } ?? event.reportingComponent
            let instance = event.source?.host.flatMap { $0.isEmpty ? nil : $0 } ?? event.reportingInstance
            return [last, .string(event.type ?? ""), .string(event.reason ?? ""), .string(object), .string(event.involvedObject.fieldPath ?? ""),
                    .string(instance.isEmpty ? component : "\(component), \(instance)"),
                    .string((event.message ?? "").trimmingCharacters(in: .whitespacesAndNewlines)), first, .int(Int64(count)),
                    .string(event.metadata.name ?? "")]
        }
    }

    static var secret: TableConverter<Secret> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Type", type: "string", description: "The type of the secret"),
            .init(name: "Data", type: "string", description: "The number of entries in the secret"),
            .init(name: "Age", type: "string", description: ageDescription),
        ]) { secret, now in
            [.string(secret.metadata.name ?? ""), .string(secret.type ?? ""), .int(Int64(secret.data?.count ?? 0)),
             ageCell(secret.metadata.creationTimestamp, now: now)]
        }
    }

    static var serviceAccount: TableConverter<ServiceAccount> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Secrets", type: "string", description: "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."),
            .init(name: "Age", type: "string", description: ageDescription),
        ]) { account, now in
            [.string(account.metadata.name ?? ""), .int(Int64(account.secrets?.count ?? 0)), ageCell(account.metadata.creationTimestamp, now: now)]
        }
    }

    /// Upstream's `printControllerRevision`: the controller as `kind.group/name` (`daemonset.apps/x`) or `<none>`.
    static var controllerRevision: TableConverter<ControllerRevision> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Controller", type: "string", description: "Controller of the object"),
            .init(name: "Revision", type: "integer", description: "Revision indicates the revision of the state represented by Data."),
            .init(name: "Age", type: "string", description: ageDescription),
        ]) { revision, now in
            var controller = "<none>"
            if let ref = revision.metadata.ownerReferences?.first(where: { $0.controller == true }) {
                let group = ref.apiVersion.split(separator: "/").dropLast().first.map(String.init) ?? ""
                controller = (group.isEmpty ? ref.kind : ref.kind + "." + group).lowercased() + "/" + ref.name
            }
            return [.string(revision.metadata.name ?? ""), .string(controller), .int(revision.revision),
                    ageCell(revision.metadata.creationTimestamp, now: now)]
        }
    }

    static var lease: TableConverter<Lease> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Holder", type: "string", description: "HolderIdentity contains the identity of the holder of a current lease."),
            .init(name: "Age", type: "string", description: ageDescription),
        ]) { lease, now in
            [.string(lease.metadata.name ?? ""), .string(lease.spec?.holderIdentity ?? ""), ageCell(lease.metadata.creationTimestamp, now: now)]
        }
    }

    static var endpoints: TableConverter<Endpoints> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Endpoints", type: "string", description: "Endpoints is the list of endpoints available for this service."),
            .init(name: "Age", type: "string", description: ageDescription),
        ]) { endpoints, now in
            var list: [String] = []
            for subset in endpoints.subsets ?? [] {
                for address in subset.addresses ?? [] {
                    let ports = subset.ports ?? []
                    if ports.isEmpty { list.append(address.ip) }
                    for port in ports { list.append("\(address.ip):\(port.port)") }
                }
            }
            var cell = list.prefix(3).joined(separator: ",")
            if list.count > 3 { cell += " + \(list.count - 3) more..." }
            return [.string(endpoints.metadata.name ?? ""), .string(list.isEmpty ? "<none>" : cell), ageCell(endpoints.metadata.creationTimestamp, now: now)]
        }
    }
}

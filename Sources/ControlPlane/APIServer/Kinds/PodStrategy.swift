import Foundation
import KubeAPI

/// Pods: upstream's defaulting (restartPolicy, dnsPolicy, imagePullPolicy, grace period, default tolerations),
/// validation of containers, the status subresource, and the `kubectl get pods` columns.
struct PodStrategy: ResourceStrategy {
    typealias Object = Pod
    var extraSubresources: [String] { ["attach", "binding", "ephemeralcontainers", "eviction", "exec", "log", "portforward", "proxy"] }
    /// Created, bound and given their first status within a fraction of a second, each while dozens of others are.
    var recentWriteCapacity: Int { 64 }

    func prepareForCreate(_ pod: inout Pod, context: AdmissionContext) async throws {
        if let priorities = context.priorities { try await priorities.admit(&pod) }
        try ServiceAccountAdmission.validateMirrorPod(pod)
        var spec = pod.spec ?? PodSpec()
        PodDefaults.apply(to: &spec)
        PodDefaults.applyPodOnly(to: &spec, defaultServiceAccount: !pod.isMirror)
        Self.addDefaultTolerationSeconds(&spec)
        pod.spec = spec
        try await context.serviceAccounts?.admit(&pod)
        try await context.limitRanger?.defaultResources(of: &pod)
        // After DefaultTolerationSeconds, as upstream orders its plugins: the class's tolerations merge with those.
        try await context.runtimeClasses?.admit(&pod)
        spec = pod.spec ?? spec
        pod.status = PodStatus(phase: "Pending", qosClass: PodDefaults.qosClass(spec))
    }

    /// LimitRanger's bounds and the RuntimeClass plugin's overhead check, on the pod as it will be stored.
    func admitValidated(_ pod: Pod, context: AdmissionContext) async throws {
        try await context.limitRanger?.validate(pod)
        try await context.runtimeClasses?.validate(pod)
    }

    func prepareForUpdate(_ pod: inout Pod, old: Pod, context: AdmissionContext) async throws {
        if var spec = pod.spec {
            PodDefaults.apply(to: &spec)
            pod.spec = spec
        }
    }


    func validate(_ pod: Pod, old: Pod?) -> [StatusCause] {
        guard let spec = pod.spec else {
            return [StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.containers")]
        }
        var causes = Self.validateSpec(spec)
        // Upstream's ValidatePodCreate: only the ephemeralcontainers subresource adds them.
        if old == nil, !(spec.ephemeralContainers ?? []).isEmpty {
            causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: cannot be set on create", field: "spec.ephemeralContainers"))
        }
        if let old, let oldSpec = old.spec, PodDefaults.mutableView(spec) != PodDefaults.mutableView(oldSpec) {
            causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)", field: "spec"))
        }
        return causes
    }

    /// What upstream's validatePodSpec checks here: containers, init containers and ephemeral containers (names unique
    /// across all three), images, pull and restart policies, containers' resources, the overhead's resource names and
    /// amounts.
    static func validateSpec(_ spec: PodSpec) -> [StatusCause] {
        var causes: [StatusCause] = []
        if spec.containers.isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.containers"))
        }
        var names = Set<String>()
        for (group, containers) in [("initContainers", spec.initContainers ?? []), ("containers", spec.containers)] {
            for (i, container) in containers.enumerated() {
                let field = "spec.\(group)[\(i)]"
                if container.name.isEmpty {
                    causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "\(field).name"))
                } else if !NameValidation.isDNS1123Label(container.name) {
                    causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(container.name)\": \(NameValidation.dns1123LabelMessage)", field: "\(field).name"))
                } else if !names.insert(container.name).inserted {
                    causes.append(StatusCause(reason: "FieldValueDuplicate", message: "Duplicate value: \"\(container.name)\"", field: "\(field).name"))
                }
                if (container.image ?? "").isEmpty {
                    causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "\(field).image"))
                }
                if let policy = container.imagePullPolicy, !["Always", "IfNotPresent", "Never"].contains(policy) {
                    causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(policy)\": supported values: \"Always\", \"IfNotPresent\", \"Never\"", field: "\(field).imagePullPolicy"))
                }
                causes += ContainerResourceValidation.validate(container.resources, field: "\(field).resources")
                causes += Self.validateRestartPolicy(container, initContainer: group == "initContainers", field: field)
            }
        }
        if let policy = spec.restartPolicy, !["Always", "OnFailure", "Never"].contains(policy) {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(policy)\": supported values: \"Always\", \"OnFailure\", \"Never\"", field: "spec.restartPolicy"))
        }
        causes += EphemeralContainerValidation.validate(spec)
        // Upstream's validateOverhead: the same container-limits rules a RuntimeClass's overhead is held to.
        if let overhead = spec.overhead {
            causes += RuntimeClassValidation.overhead(overhead, field: "spec.overhead")
        }
        return causes
    }

    /// A container's `restartPolicy` as upstream 1.32 validates it: an init container may set only `Always` (a sidecar),
    /// and only a sidecar may have lifecycle hooks and probes among init containers; an app container may not set it.
    private static func validateRestartPolicy(_ container: Container, initContainer: Bool, field: String) -> [StatusCause] {
        guard initContainer else {
            guard container.restartPolicy != nil else { return [] }
            return [StatusCause(reason: "FieldValueForbidden", message: "Forbidden: may not be set for non-init containers", field: "\(field).restartPolicy")]
        }
        var causes: [StatusCause] = []
        if let policy = container.restartPolicy, policy != "Always" {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(policy)\": supported values: \"Always\"", field: "\(field).restartPolicy"))
        }
        guard !container.isSidecar else { return causes }
        let sidecarOnly: [(String, Bool)] = [("lifecycle", container.lifecycle != nil), ("livenessProbe", container.livenessProbe != nil),
                                             ("readinessProbe", container.readinessProbe != nil), ("startupProbe", container.startupProbe != nil)]
        return causes + sidecarOnly.filter(\.1).map { name, _ in
            StatusCause(reason: "FieldValueForbidden", message: "Forbidden: may not be set for init containers without restartPolicy=Always", field: "\(field).\(name)")
        }
    }

    /// `pods/ephemeralcontainers` takes only `spec.ephemeralContainers` (defaulted) from the request.
    func mergeSubresource(_ subresource: String, _ pod: Pod, into old: Pod) -> Pod {
        guard subresource == "ephemeralcontainers" else { return pod }
        var merged = old
        merged.spec?.ephemeralContainers = pod.spec?.ephemeralContainers?.map(PodDefaults.defaulted)
        if merged.spec?.ephemeralContainers?.isEmpty == true { merged.spec?.ephemeralContainers = nil }
        return merged
    }

    /// NodeRestriction's `admitPodStatus`: a node writes the status only of a pod bound to itself, and the pod it sends
    /// may not change the labels (which select the pod for Services and controllers) nor the resource claims named in
    /// the status (what the Node authorizer's graph lets it read).
    func authorizeSubresourceWrite(_ pod: Pod, requested: Pod, old: Pod, subresource: String, user: Identity, security: Security) async throws {
        guard subresource == "status", let node = user.nodeName else { return }
        func refuse(_ message: String) -> Status { Status.forbidden(Pod.resource, name: old.metadata.name ?? "", message) }
        if (old.spec?.nodeName ?? "") != node {
            throw refuse("node \"\(node)\" can only update pod status for pods with spec.nodeName set to itself")
        }
        if (old.metadata.labels ?? [:]) != (requested.metadata.labels ?? [:]) {
            throw refuse("node \"\(node)\" cannot update labels through pod status")
        }
        if (old.status?.resourceClaimStatuses ?? []) != (requested.status?.resourceClaimStatuses ?? []) {
            // Upstream's words, spelling and all.
            throw refuse("node \"\(node)\" cannot update resource claim statues")
        }
    }

    func validateSubresourceUpdate(_ subresource: String, _ pod: Pod, old: Pod) -> [StatusCause] {
        guard subresource == "ephemeralcontainers" else { return validate(pod, old: old) }
        return EphemeralContainerValidation.validateUpdate(pod, old: old)
    }

    /// The DefaultTolerationSeconds admission plugin: a pod that does not already tolerate the not-ready or the
    /// unreachable NoExecute taint (a toleration with that key or none, and effect NoExecute or none) tolerates it
    /// for 300 s, so the taint eviction controller evicts it five minutes after its node fails.
    static func addDefaultTolerationSeconds(_ spec: inout PodSpec) {
        var tolerations = spec.tolerations ?? []
        for key in [Taint.notReadyKey, Taint.unreachableKey]
        where !tolerations.contains(where: { [key, ""].contains($0.key ?? "") && ["NoExecute", ""].contains($0.effect ?? "") }) {
            tolerations.append(Toleration(key: key, operator: "Exists", effect: "NoExecute", tolerationSeconds: 300))
        }
        spec.tolerations = tolerations
    }

    /// Pods bound to a node get their grace period so the kubelet can stop them; others go at once.
    func gracePeriod(for pod: Pod, requested: Int64?) -> Int64 {
        guard let node = pod.spec?.nodeName, !node.isEmpty else { return 0 }
        if pod.status?.phase == "Succeeded" || pod.status?.phase == "Failed" { return 0 }
        return max(0, requested ?? pod.spec?.terminationGracePeriodSeconds ?? 30)
    }

    var table: TableConverter<Pod> { Printers.pod }
}

/// Upstream's pod defaulting (pkg/apis/core/v1/defaults.go), shared by pods and pod templates.
enum PodDefaults {
    static func apply(to spec: inout PodSpec) {
        if (spec.restartPolicy ?? "").isEmpty { spec.restartPolicy = "Always" }
        if (spec.dnsPolicy ?? "").isEmpty { spec.dnsPolicy = "ClusterFirst" }
        if spec.terminationGracePeriodSeconds == nil { spec.terminationGracePeriodSeconds = 30 }
        if (spec.schedulerName ?? "").isEmpty { spec.schedulerName = "default-scheduler" }
        if spec.securityContext == nil { spec.securityContext = PodSecurityContext() }
        spec.containers = spec.containers.map(defaulted)
        spec.initContainers = spec.initContainers?.map(defaulted)
        spec.ephemeralContainers = spec.ephemeralContainers?.map(defaulted)
    }

    /// What upstream fills in for pods only, never for pod templates: SetDefaults_Pod plus the ServiceAccount
    /// and Priority admission plugins. The ServiceAccount plugin leaves a mirror pod's account unset
    /// (`defaultServiceAccount` false): the kubelet would take a changed spec for another pod.
    static func applyPodOnly(to spec: inout PodSpec, defaultServiceAccount: Bool) {
        if spec.enableServiceLinks == nil { spec.enableServiceLinks = true }
        if (spec.serviceAccountName ?? "").isEmpty {
            spec.serviceAccountName = spec.serviceAccount.flatMap { $0.isEmpty ? nil : $0 } ?? (defaultServiceAccount ? "default" : nil)
        }
        if spec.serviceAccount == nil { spec.serviceAccount = spec.serviceAccountName }
        if spec.priority == nil { spec.priority = 0 }
        if spec.preemptionPolicy == nil { spec.preemptionPolicy = "PreemptLowerPriority" }
        spec.containers = spec.containers.map(requestingLimits)
        spec.initContainers = spec.initContainers?.map(requestingLimits)
    }

    /// SetDefaults_Pod's resource defaulting: a container that limits a resource but does not request it requests
    /// its limit.
    static func requestingLimits(_ container: Container) -> Container {
        guard let limits = container.resources?.limits, !limits.isEmpty else { return container }
        var c = container
        var requests = c.resources?.requests ?? [:]
        for (name, limit) in limits where requests[name] == nil { requests[name] = limit }
        c.resources?.requests = requests
        return c
    }

    static func defaulted(_ container: Container) -> Container {
        var c = container
        if (c.imagePullPolicy ?? "").isEmpty { c.imagePullPolicy = pullPolicy(for: c.image ?? "") }
        if (c.terminationMessagePath ?? "").isEmpty { c.terminationMessagePath = "/dev/termination-log" }
        if (c.terminationMessagePolicy ?? "").isEmpty { c.terminationMessagePolicy = "File" }
        if c.resources == nil { c.resources = ResourceRequirements() }
        c.ports = c.ports?.map { port in
            var p = port
            if (p.protocol ?? "").isEmpty { p.protocol = "TCP" }
            return p
        }
        c.livenessProbe = c.livenessProbe.map(defaulted)
        c.readinessProbe = c.readinessProbe.map(defaulted)
        c.startupProbe = c.startupProbe.map(defaulted)
        return c
    }

    /// Upstream's SetDefaults_EphemeralContainer: the Container defaults (pull policy, termination message, empty
    /// resources), since ports and probes are refused anyway.
    static func defaulted(_ container: EphemeralContainer) -> EphemeralContainer {
        var c = container
        if (c.imagePullPolicy ?? "").isEmpty { c.imagePullPolicy = pullPolicy(for: c.image ?? "") }
        if (c.terminationMessagePath ?? "").isEmpty { c.terminationMessagePath = "/dev/termination-log" }
        if (c.terminationMessagePolicy ?? "").isEmpty { c.terminationMessagePolicy = "File" }
        if c.resources == nil { c.resources = ResourceRequirements() }
        return c
    }

    static func defaulted(_ probe: Probe) -> Probe {
        var p = probe
        if (p.timeoutSeconds ?? 0) == 0 { p.timeoutSeconds = 1 }
        if (p.periodSeconds ?? 0) == 0 { p.periodSeconds = 10 }
        if (p.successThreshold ?? 0) == 0 { p.successThreshold = 1 }
        if (p.failureThreshold ?? 0) == 0 { p.failureThreshold = 3 }
        if var http = p.httpGet, (http.scheme ?? "").isEmpty {
            http.scheme = "HTTP"
            p.httpGet = http
        }
        return p
    }

    /// `Always` for `:latest` or untagged images (not pinned by digest), `IfNotPresent` otherwise.
    static func pullPolicy(for image: String) -> String {
        if image.contains("@") { return "IfNotPresent" }
        let lastComponent = image.split(separator: "/").last.map(String.init) ?? image
        guard let colon = lastComponent.lastIndex(of: ":") else { return "Always" }
        return lastComponent[lastComponent.index(after: colon)...] == "latest" ? "Always" : "IfNotPresent"
    }

    /// Guaranteed, Burstable or BestEffort from the containers' requests and limits.
    static func qosClass(_ spec: PodSpec) -> String {
        let containers = spec.containers + (spec.initContainers ?? [])
        var anySet = false
        var guaranteed = true
        for c in containers {
            let requests = c.resources?.requests ?? [:]
            let limits = c.resources?.limits ?? [:]
            if !requests.isEmpty || !limits.isEmpty { anySet = true }
            for resource in ["cpu", "memory"] {
                guard let limit = limits[resource] else { guaranteed = false; continue }
                if let request = requests[resource], request != limit { guaranteed = false }
            }
        }
        if !anySet { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }

    /// The spec with the fields an update may change blanked out, to compare old and new.
    static func mutableView(_ spec: PodSpec) -> PodSpec {
        var s = spec
        s.containers = s.containers.map { var c = $0; c.image = nil; return c }
        s.initContainers = s.initContainers?.map { var c = $0; c.image = nil; return c }
        s.activeDeadlineSeconds = nil
        s.tolerations = nil
        s.terminationGracePeriodSeconds = nil
        s.nodeName = nil
        return s
    }
}

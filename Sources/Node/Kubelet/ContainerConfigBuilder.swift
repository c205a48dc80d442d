import CRI
import KubeAPI

/// Pod container → CRI `ContainerConfig`, as the kubelet's `generateContainerConfig`: command and args
/// with `$(VAR)` expansion, environment, mounts (volumes with subPath and readOnly, the termination message file,
/// the kubelet-managed /etc/hosts), log path, labels, annotations (restart count, termination message path and policy, the ``ContainerHash``),
/// resources and security context.
struct ContainerConfigBuilder {
    let pod: Pod
    let environment: [(String, String)]
    let volumes: [String: PodVolume]
    /// The kubelet-managed hosts file, mounted at /etc/hosts (not for host-network pods).
    let hostsFile: String?
    let memoryCapacity: Int64
    /// The file bound at the container's `terminationMessagePath` (``TerminationMessage/createFile(podDirectory:container:)``).
    var terminationMessageFile: String? = nil

    /// `imageRef`: the image as the runtime resolved it (the ID its ImageStatus or PullImage answered), which the
    /// config names as upstream's `generateContainerConfig` does, with the pod's own string as `userSpecifiedImage`.
    /// `pidTarget`: the runtime ID of the container whose PID namespace an ephemeral container joins (its
    /// `targetContainerName`), when the pod does not share one PID namespace anyway.
    func build(_ container: Container, imageRef: String, attempt: UInt32, pidTarget: String? = nil) throws -> Runtime_V1_ContainerConfig {
        var config = Runtime_V1_ContainerConfig()
        config.metadata.name = container.name
        config.metadata.attempt = attempt
        config.image.image = imageRef
        config.image.userSpecifiedImage = container.image ?? ""
        let values = Dictionary(environment, uniquingKeysWith: { _, last in last })
        config.command = (container.command ?? []).map { EnvironmentResolver.expand($0, with: values) }
        config.args = (container.args ?? []).map { EnvironmentResolver.expand($0, with: values) }
        config.workingDir = container.workingDir ?? ""
        config.envs = environment.map { name, value in
            var pair = Runtime_V1_KeyValue()
            pair.key = name
            pair.value = value
            return pair
        }
        config.logPath = "\(container.name)/\(attempt).log"
        config.labels = PodLabels.sandbox(pod).merging([PodLabels.containerName: container.name]) { $1 }
        config.annotations = ["io.kubernetes.container.restartCount": String(attempt),
                              TerminationMessage.pathAnnotation: terminationMessagePath(container),
                              TerminationMessage.policyAnnotation: container.terminationMessagePolicy ?? "File",
                              ContainerHash.annotation: ContainerHash.annotationValue(container)]
        config.mounts = try mounts(container)
        config.linux.resources = resources(container)
        config.linux.securityContext = securityContext(container, pidTarget: pidTarget)
        config.stdin = container.stdin ?? false
        config.stdinOnce = container.stdinOnce ?? false
        config.tty = container.tty ?? false
        return config
    }

    private func terminationMessagePath(_ container: Container) -> String {
        container.terminationMessagePath.flatMap { $0.isEmpty ? nil : $0 } ?? "/dev/termination-log"
    }

    private func mounts(_ container: Container) throws -> [Runtime_V1_Mount] {
        var mounts: [Runtime_V1_Mount] = []
        for volumeMount in container.volumeMounts ?? [] {
            guard let volume = volumes[volumeMount.name] else {
                throw ContainerConfigError(message: "cannot find volume \"\(volumeMount.name)\" to mount into container \"\(container.name)\"")
            }
            var mount = Runtime_V1_Mount()
            mount.containerPath = volumeMount.mountPath
            if let subPath = volumeMount.subPath, !subPath.isEmpty {
                guard !subPath.hasPrefix("/"), !subPath.split(separator: "/").contains("..") else {
                    throw ContainerConfigError(message: "subPath \"\(subPath)\" must be a relative path without '..'")
                }
                mount.hostPath = volume.path + "/" + subPath
            } else {
                mount.hostPath = volume.path
            }
            mount.readonly = volumeMount.readOnly ?? false || volume.readOnly
            switch volumeMount.mountPropagation {
            case "HostToContainer": mount.propagation = .propagationHostToContainer
            case "Bidirectional": mount.propagation = .propagationBidirectional
            default: mount.propagation = .propagationPrivate
            }
            mounts.append(mount)
        }
        if let terminationMessageFile {
            var mount = Runtime_V1_Mount()
            mount.containerPath = terminationMessagePath(container)
            mount.hostPath = terminationMessageFile
            mounts.append(mount)
        }
        if let hostsFile, !mounts.contains(where: { $0.containerPath == "/etc/hosts" }) {
            var mount = Runtime_V1_Mount()
            mount.containerPath = "/etc/hosts"
            mount.hostPath = hostsFile
            mounts.append(mount)
        }
        return mounts
    }

    /// Requests and limits to cgroup settings: shares from the CPU request (1024 per core, at least 2),
    /// CFS quota from the CPU limit over a 100 ms period, the memory limit, and the QoS oom_score_adj.
    private func resources(_ container: Container) -> Runtime_V1_LinuxContainerResources {
        var resources = Runtime_V1_LinuxContainerResources()
        let limits = container.resources?.limits ?? [:]
        let requests = (container.resources?.requests ?? [:]).merging(limits) { request, _ in request }
        let cpuRequest = requests["cpu"]?.milliValue ?? 0
        resources.cpuShares = max(2, cpuRequest * 1024 / 1000)
        if let cpuLimit = limits["cpu"]?.milliValue, cpuLimit > 0 {
            resources.cpuPeriod = 100_000
            resources.cpuQuota = max(1000, cpuLimit * 100)
        }
        if let memory = limits["memory"]?.value { resources.memoryLimitInBytes = memory }
        resources.oomScoreAdj = QOSClass(pod).oomScoreAdjust(memoryRequest: requests["memory"]?.value ?? 0, memoryCapacity: memoryCapacity)
        return resources
    }

    private func securityContext(_ container: Container, pidTarget: String?) -> Runtime_V1_LinuxContainerSecurityContext {
        var security = Runtime_V1_LinuxContainerSecurityContext()
        let podSecurity = pod.spec?.securityContext
        let own = container.securityContext
        security.namespaceOptions = SandboxConfigBuilder.namespaceOptions(pod)
        // As upstream's generateLinuxContainerConfig: only a container that would get a PID namespace of its own joins
        // the target's (a pod sharing one, or using the node's, keeps it).
        if let pidTarget, security.namespaceOptions.pid == .container {
            security.namespaceOptions.pid = .target
            security.namespaceOptions.targetID = pidTarget
        }
        security.privileged = own?.privileged ?? false
        if let user = own?.runAsUser ?? podSecurity?.runAsUser { security.runAsUser.value = user }
        if let group = own?.runAsGroup ?? podSecurity?.runAsGroup { security.runAsGroup.value = group }
        // Upstream's determineEffectiveSecurityContext: the pod's supplemental groups, then its fsGroup, so the
        // container can use the volumes the kubelet gave that group.
        security.supplementalGroups = (podSecurity?.supplementalGroups ?? []) + (podSecurity?.fsGroup.map { [$0] } ?? [])
        security.readonlyRootfs = own?.readOnlyRootFilesystem ?? false
        security.noNewPrivs = own?.allowPrivilegeEscalation == false
        security.capabilities.addCapabilities = own?.capabilities?.add ?? []
        security.capabilities.dropCapabilities = own?.capabilities?.drop ?? []
        // SeccompDefault is off upstream: without a profile the container runs Unconfined.
        switch (own?.seccompProfile ?? podSecurity?.seccompProfile).map({ ($0.type, $0.localhostProfile) }) {
        case ("RuntimeDefault", _)?: security.seccomp.profileType = .runtimeDefault
        case ("Localhost", let profile)?:
            security.seccomp.profileType = .localhost
            security.seccomp.localhostRef = profile ?? ""
        default: security.seccomp.profileType = .unconfined
        }
        return security
    }
}

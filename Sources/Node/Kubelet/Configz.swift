import Foundation
import KubeAPI

extension KubeletConfiguration {
    /// The kubelet's `/configz`: `{"kubeletconfig":{…}}` with the KubeletConfiguration (kubelet.config.k8s.io/v1beta1)
    /// field names and formats (durations as Go prints them, `1m0s`) for what this agent runs with — its flags and the
    /// fixed values it implements; settings it does not have are left out rather than reported with upstream's
    /// defaults (as upstream's `omitempty` fields are left out when empty). `secured`: the port authenticates and authorizes (it serves HTTPS); without that it serves everyone.
    func configz(secured: Bool) -> [String: Any] {
        var config: [String: Any] = [
            "enableServer": true,
            "enableDebuggingHandlers": true,
            "address": address,
            "port": port,
            "readOnlyPort": 0,
            "registerNode": true,
            "rotateCertificates": rotateCertificates,
            "serverTLSBootstrap": rotateServerCertificates,
            "authentication": [
                "x509": [String: Any](),
                "webhook": ["enabled": secured, "cacheTTL": GoDuration.string(KubeletAuth.tokenCacheTTL)],
                "anonymous": ["enabled": secured ? anonymousAuth : true],
            ] as [String: Any],
            "authorization": [
                "mode": secured ? authorizationMode.rawValue : AuthorizationMode.alwaysAllow.rawValue,
                "webhook": ["cacheAuthorizedTTL": GoDuration.string(KubeletAuth.allowedCacheTTL),
                            "cacheUnauthorizedTTL": GoDuration.string(KubeletAuth.deniedCacheTTL)],
            ] as [String: Any],
            "clusterDomain": clusterDomain,
            "fileCheckFrequency": GoDuration.string(fileCheckFrequency),
            "nodeStatusUpdateFrequency": GoDuration.string(nodeStatusUpdateFrequency),
            "nodeStatusReportFrequency": GoDuration.string(.seconds(60)),
            "nodeLeaseDurationSeconds": Int(leaseDurationSeconds),
            "maxPods": maxPods,
            "cgroupRoot": cgroupRoot,
            "cgroupsPerQOS": true,
            "cgroupDriver": "cgroupfs",
            "containerRuntimeEndpoint": "unix://" + runtimeSocket,
            "podLogsDir": podLogDirectory,
        ]
        if !clusterDNS.isEmpty { config["clusterDNS"] = clusterDNS }
        if let podCIDR { config["podCIDR"] = podCIDR }
        if let podManifestPath { config["staticPodPath"] = podManifestPath }
        if let healthz = healthzBindAddress {
            config["healthzBindAddress"] = healthz.host
            config["healthzPort"] = healthz.port
        }
        for (key, reserved) in [("kubeReserved", resourcePolicy.kubeReserved), ("systemReserved", resourcePolicy.systemReserved)] where !reserved.isEmpty {
            config[key] = reserved.mapValues(\.description)
        }
        func thresholds(_ list: [NodeResourcePolicy.Threshold]) -> [String: String] {
            Dictionary(uniqueKeysWithValues: list.map { ($0.signal, $0.value.description) })
        }
        if !resourcePolicy.evictionHard.isEmpty { config["evictionHard"] = thresholds(resourcePolicy.evictionHard) }
        if !resourcePolicy.evictionSoft.isEmpty {
            config["evictionSoft"] = thresholds(resourcePolicy.evictionSoft)
            config["evictionSoftGracePeriod"] = Dictionary(uniqueKeysWithValues: resourcePolicy.evictionSoft.map { ($0.signal, GoDuration.string($0.gracePeriod)) })
        }
        let reclaims = resourcePolicy.thresholds.compactMap { threshold in threshold.minimumReclaim.map { (threshold.signal, $0.description) } }
        if !reclaims.isEmpty { config["evictionMinimumReclaim"] = Dictionary(reclaims, uniquingKeysWith: { first, _ in first }) }
        config["evictionPressureTransitionPeriod"] = GoDuration.string(evictionPressureTransitionPeriod)
        if evictionMaxPodGracePeriod != 0 { config["evictionMaxPodGracePeriod"] = evictionMaxPodGracePeriod }
        config["imageGCHighThresholdPercent"] = imageGC.highThresholdPercent
        config["imageGCLowThresholdPercent"] = imageGC.lowThresholdPercent
        config["imageMinimumGCAge"] = GoDuration.string(imageGC.minimumAge)
        config["podPidsLimit"] = podPidsLimit
        config["serializeImagePulls"] = imagePulls.serialize
        if let maxParallel = imagePulls.maxParallel { config["maxParallelImagePulls"] = maxParallel }
        config["registryPullQPS"] = imagePulls.registryQPS
        config["registryBurst"] = imagePulls.registryBurst
        config["containerLogMaxSize"] = containerLogs.maxSize
        config["containerLogMaxFiles"] = containerLogs.maxFiles
        config["containerLogMaxWorkers"] = containerLogs.maxWorkers
        config["containerLogMonitorInterval"] = GoDuration.string(containerLogs.monitorInterval)
        if !sysctls.unsafe.isEmpty { config["allowedUnsafeSysctls"] = sysctls.unsafe }
        return ["kubeletconfig": config]
    }
}

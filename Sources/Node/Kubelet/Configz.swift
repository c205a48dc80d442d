import Foundation

extension KubeletConfiguration {
    /// The kubelet's `/configz`: `{"kubeletconfig":{…}}` with the KubeletConfiguration (kubelet.config.k8s.io/v1beta1)
    /// field names and formats (durations as Go prints them, `1m0s`) for what this agent runs with — its flags and the
    /// fixed values it implements; settings it does not have are left out rather than reported with upstream's
    /// defaults. `secured`: the port authenticates and authorizes (it serves HTTPS); without that it serves everyone.
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
                "webhook": ["enabled": secured, "cacheTTL": Self.goDuration(KubeletAuth.tokenCacheTTL)],
                "anonymous": ["enabled": secured ? anonymousAuth : true],
            ] as [String: Any],
            "authorization": [
                "mode": secured ? authorizationMode.rawValue : AuthorizationMode.alwaysAllow.rawValue,
                "webhook": ["cacheAuthorizedTTL": Self.goDuration(KubeletAuth.allowedCacheTTL),
                            "cacheUnauthorizedTTL": Self.goDuration(KubeletAuth.deniedCacheTTL)],
            ] as [String: Any],
            "clusterDomain": clusterDomain,
            "fileCheckFrequency": Self.goDuration(fileCheckFrequency),
            "nodeStatusUpdateFrequency": Self.goDuration(nodeStatusUpdateFrequency),
            "nodeStatusReportFrequency": Self.goDuration(.seconds(60)),
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
        return ["kubeletconfig": config]
    }

    /// A duration as Go's `time.Duration.String()` prints whole seconds: `30s`, `1m0s`, `2h0m0s`; below a second `500ms`.
    static func goDuration(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        guard seconds > 0 else {
            let milliseconds = duration.components.attoseconds / 1_000_000_000_000_000
            return milliseconds == 0 ? "0s" : "\(milliseconds)ms"
        }
        let hours = seconds / 3600, minutes = (seconds % 3600) / 60, rest = seconds % 60
        if hours > 0 { return "\(hours)h\(minutes)m\(rest)s" }
        if minutes > 0 { return "\(minutes)m\(rest)s" }
        return "\(rest)s"
    }
}

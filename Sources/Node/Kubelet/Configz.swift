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

    /// A duration as Go's `time.Duration.String()` prints it to the millisecond: `30s`, `1m0s`, `2h0m0s`, `1.25s`;
    /// below a second `500ms`.
    static func goDuration(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        let milliseconds = duration.components.attoseconds / 1_000_000_000_000_000
        guard seconds > 0 else { return milliseconds == 0 ? "0s" : "\(milliseconds)ms" }
        let hours = seconds / 3600, minutes = (seconds % 3600) / 60, rest = seconds % 60
        var fraction = milliseconds == 0 ? "" : String(String(milliseconds + 1000).dropFirst())
        while fraction.hasSuffix("0") { fraction.removeLast() }
        let secondsText = fraction.isEmpty ? "\(rest)s" : "\(rest).\(fraction)s"
        if hours > 0 { return "\(hours)h\(minutes)m" + secondsText }
        if minutes > 0 { return "\(minutes)m" + secondsText }
        return secondsText
    }
}

import CRI
import Foundation

/// The files a sandbox's containers bind-mount over their image's: `/etc/hostname`, `/etc/hosts` and
/// `/etc/resolv.conf` (from the CRI DNS config, or the node's own for host-DNS pods), written in the
/// sandbox directory as containerd does.
enum SandboxFiles {
    static func write(_ config: Runtime_V1_PodSandboxConfig, hostNetwork: Bool, into directory: String) throws {
        let hostname = hostNetwork ? ProcessInfo.processInfo.hostName : config.hostname
        try (hostname + "\n").write(toFile: directory + "/hostname", atomically: true, encoding: .utf8)
        try hosts(hostNetwork: hostNetwork).write(toFile: directory + "/hosts", atomically: true, encoding: .utf8)
        try resolvConf(config.dnsConfig).write(toFile: directory + "/resolv.conf", atomically: true, encoding: .utf8)
    }

    /// The node's `/etc/hosts` for host-network pods, else the loopback entries (the kubelet mounts its own
    /// managed file with the pod IP over it).
    static func hosts(hostNetwork: Bool) -> String {
        if hostNetwork, let text = try? String(contentsOfFile: "/etc/hosts", encoding: .utf8) { return text }
        return """
            127.0.0.1\tlocalhost
            ::1\tlocalhost ip6-localhost ip6-loopback
            fe00::0\tip6-localnet
            fe00::0\tip6-mcastprefix
            fe00::1\tip6-allnodes
            fe00::2\tip6-allrouters

            """
    }

    /// resolv.conf from the CRI DNS config (`nameserver`, `search`, `options` lines); an empty config means
    /// the node's resolv.conf (dnsPolicy Default).
    static func resolvConf(_ dns: Runtime_V1_DNSConfig) -> String {
        if dns.servers.isEmpty, dns.searches.isEmpty, dns.options.isEmpty {
            return (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        }
        var lines: [String] = []
        if !dns.searches.isEmpty { lines.append("search " + dns.searches.joined(separator: " ")) }
        lines += dns.servers.map { "nameserver " + $0 }
        if !dns.options.isEmpty { lines.append("options " + dns.options.joined(separator: " ")) }
        return lines.joined(separator: "\n") + "\n"
    }
}

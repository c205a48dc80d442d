import CRI
import Foundation
import SwiftProtobuf
import Testing

/// The generated CRI messages encode with upstream's field numbers and survive a round trip.
struct CRIMessageTests {
    @Test("VersionRequest encodes field 1 as a length-delimited string")
    func versionRequestBytes() throws {
        var request = Runtime_V1_VersionRequest()
        request.version = "v1"
        // Tag (1 << 3 | 2) = 0x0a, length 2, "v1".
        #expect(try [UInt8](request.serializedBytes() as [UInt8]) == [0x0a, 0x02, 0x76, 0x31])
    }

    @Test("PodSandboxConfig with metadata, labels, DNS, ports and Linux sysctls round-trips")
    func podSandboxConfigRoundTrip() throws {
        var config = Runtime_V1_PodSandboxConfig()
        config.metadata.name = "web-0"
        config.metadata.namespace = "default"
        config.metadata.uid = "7d0c5a7e-0b1b-4d43-9d0e-5b5f1e0c2a11"
        config.metadata.attempt = 2
        config.hostname = "web-0"
        config.logDirectory = "/var/log/pods/default_web-0_7d0c5a7e"
        config.labels = ["app": "web", "io.kubernetes.pod.name": "web-0"]
        config.annotations = ["kubernetes.io/config.source": "api"]
        config.dnsConfig.servers = ["10.96.0.10"]
        config.dnsConfig.searches = ["default.svc.cluster.local", "svc.cluster.local"]
        config.dnsConfig.options = ["ndots:5"]
        var port = Runtime_V1_PortMapping()
        port.protocol = .tcp
        port.containerPort = 8080
        port.hostPort = 30080
        port.hostIp = "0.0.0.0"
        config.portMappings = [port]
        config.linux.cgroupParent = "/kubepods/besteffort/pod7d0c5a7e"
        config.linux.sysctls = ["net.ipv4.ip_unprivileged_port_start": "0"]
        config.linux.securityContext.namespaceOptions.network = .pod
        config.linux.securityContext.runAsUser.value = 1000

        let bytes: [UInt8] = try config.serializedBytes()
        let decoded = try Runtime_V1_PodSandboxConfig(serializedBytes: bytes)
        #expect(decoded == config)
        #expect(decoded.labels["app"] == "web")
        #expect(decoded.portMappings.first?.hostPort == 30080)
        #expect(decoded.linux.securityContext.hasRunAsUser)
        // Field 1 (metadata) comes first, length-delimited.
        #expect(bytes.first == 0x0a)
    }

    @Test("ContainerConfig with mounts, env, devices and resources round-trips inside CreateContainerRequest")
    func containerConfigRoundTrip() throws {
        var config = Runtime_V1_ContainerConfig()
        config.metadata.name = "app"
        config.metadata.attempt = 1
        config.image.image = "registry.local/app:1.0"
        config.command = ["/bin/app"]
        config.args = ["--port", "8080"]
        config.workingDir = "/srv"
        var env = Runtime_V1_KeyValue()
        env.key = "MODE"
        env.value = "production"
        config.envs = [env]
        var data = Runtime_V1_Mount()
        data.containerPath = "/data"
        data.hostPath = "/var/lib/kubelet/pods/7d0c5a7e/volumes/kubernetes.io~empty-dir/data"
        data.propagation = .propagationHostToContainer
        var secret = Runtime_V1_Mount()
        secret.containerPath = "/var/run/secrets/kubernetes.io/serviceaccount"
        secret.hostPath = "/var/lib/kubelet/pods/7d0c5a7e/volumes/kubernetes.io~projected/token"
        secret.readonly = true
        secret.selinuxRelabel = true
        config.mounts = [data, secret]
        var device = Runtime_V1_Device()
        device.containerPath = "/dev/fuse"
        device.hostPath = "/dev/fuse"
        device.permissions = "rwm"
        config.devices = [device]
        config.logPath = "app/1.log"
        config.linux.resources.cpuShares = 512
        config.linux.resources.memoryLimitInBytes = 256 << 20
        config.linux.resources.oomScoreAdj = 1000
        config.linux.securityContext.capabilities.addCapabilities = ["NET_ADMIN"]

        var request = Runtime_V1_CreateContainerRequest()
        request.podSandboxID = "0123456789abcdef"
        request.config = config

        let decoded = try Runtime_V1_CreateContainerRequest(serializedBytes: try request.serializedBytes() as [UInt8])
        #expect(decoded == request)
        #expect(decoded.config.mounts.map(\.containerPath) == ["/data", "/var/run/secrets/kubernetes.io/serviceaccount"])
        #expect(decoded.config.mounts[0].propagation == .propagationHostToContainer)
        #expect(decoded.config.mounts[1].readonly)
        #expect(decoded.config.linux.resources.memoryLimitInBytes == 256 << 20)
    }

    @Test("Fields unknown to us (a newer kubelet) are kept through decode and re-encode")
    func unknownFieldsSurvive() throws {
        // VersionResponse with field 4 (runtime_api_version) and an unknown field 99 (varint 7).
        let bytes: [UInt8] = [0x22, 0x02, 0x76, 0x31, 0x98, 0x06, 0x07]
        let response = try Runtime_V1_VersionResponse(serializedBytes: bytes)
        #expect(response.runtimeApiVersion == "v1")
        #expect(try response.serializedBytes() as [UInt8] == bytes)
    }
}

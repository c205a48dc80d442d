import CRI
import KubeAPI
@testable import Kubelet
import Testing

/// The image fields on their way kubelet → CRI → pod status, as upstream's kubelet fills them: the container is
/// created from the image the runtime resolved (`ImageSpec{Image: imageRef, UserSpecifiedImage: container.Image}`),
/// and a container status shows the image the runtime reports for the container (`Image: cs.Image`,
/// `ImageID: cs.ImageRef`), the spec's only while no container exists.
@Suite struct ContainerImageFieldsTests {
    static let imageID = "sha256:" + String(repeating: "ab", count: 32)

    @Test func configNamesTheResolvedImageAndWhatThePodSaid() throws {
        let pod = Pod(metadata: ObjectMeta(name: "p", namespace: "default", uid: "u"), spec: PodSpec(containers: [Container(name: "app", image: "busybox")]))
        let builder = ContainerConfigBuilder(pod: pod, environment: [], volumes: [:], hostsFile: nil, memoryCapacity: 1 << 30)
        let config = try builder.build(Container(name: "app", image: "busybox"), imageRef: Self.imageID, attempt: 0)
        #expect(config.image.image == Self.imageID)
        #expect(config.image.userSpecifiedImage == "busybox")
        // The hash is still the spec's (name and image as the pod says them).
        #expect(config.annotations[ContainerHash.annotation] == ContainerHash.annotationValue(Container(name: "app", image: "busybox")))
    }

    static func runtime(_ name: String, image: String, running: Bool) -> Runtime_V1_ContainerStatus {
        var status = Runtime_V1_ContainerStatus()
        status.id = name + "-id"
        status.metadata.name = name
        status.state = running ? .containerRunning : .containerExited
        status.image.image = image
        status.imageRef = image.split(separator: ":").dropLast().joined(separator: ":") + "@sha256:" + String(repeating: "0", count: 64)
        status.startedAt = 1_000_000_000
        if !running { status.finishedAt = 2_000_000_000 }
        return status
    }

    @Test func statusShowsTheRuntimesImageForContainersThatExist() throws {
        let pod = Pod(metadata: ObjectMeta(name: "p", uid: "u"),
                      spec: PodSpec(containers: [Container(name: "app", image: "busybox"), Container(name: "new", image: "nginx:1.27"),
                                                 Container(name: "changed", image: "registry.local/web:2")]))
        // `changed`: its image was changed; the old container (web:1) was killed and the new image cannot be pulled.
        let latest = [Self.runtime("app", image: "docker.io/library/busybox:latest", running: true),
                      Self.runtime("changed", image: "registry.local/web:1", running: false)]
        let status = PodStatusBuilder(pod: pod, sandboxReady: true, podIP: "10.0.0.2", hostIP: "10.0.0.1", runtimeName: "containerd",
                                      latest: Dictionary(uniqueKeysWithValues: latest.map { ($0.metadata.name, $0) }), previous: [:],
                                      waiting: ["changed": ("ImagePullBackOff", "Back-off pulling image \"registry.local/web:2\"")],
                                      probes: [:]).build()
        let byName = Dictionary(uniqueKeysWithValues: (status.containerStatuses ?? []).map { ($0.name, $0) })
        let app = try #require(byName["app"]), new = try #require(byName["new"]), changed = try #require(byName["changed"])
        #expect(app.image == "docker.io/library/busybox:latest" && app.imageID == latest[0].imageRef)
        #expect(new.image == "nginx:1.27" && new.imageID == "" && new.state?.waiting?.reason == "ContainerCreating")
        #expect(changed.image == "registry.local/web:1" && changed.imageID == latest[1].imageRef)
        #expect(changed.state?.waiting?.reason == "ImagePullBackOff" && changed.lastState?.terminated?.containerID == "containerd://changed-id")
    }
}
